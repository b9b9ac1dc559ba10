package millrace.load;

import java.util.concurrent.atomic.LongAdder;

/** Counts records over a simulation's run and prints the rate at the end (Gatling itself counts requests). */
final class Meter {

  private final String what;
  private final LongAdder count = new LongAdder();
  private volatile long startNanos;

  Meter(String what) {
    this.what = what;
  }

  void start() {
    startNanos = System.nanoTime();
  }

  void add(long n) {
    count.add(n);
  }

  long count() {
    return count.sum();
  }

  void report() {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf("%n>>> %s: %,d in %.1f s = %,.0f per second%n%n", what, count.sum(), seconds,
        count.sum() / seconds);
  }
}
