package io.millrace.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one bounded poll of the tests, for state that another process or a server's own schedule produces and that
 * offers no event to await (objects in a bucket, requests at an endpoint, a metric, a state over the API). Looks
 * every 20 ms, fails with what it last saw after the limit.
 */
public final class Poll {

  /** The limit of {@link #until(String, Supplier, Predicate)}. */
  public static final Duration LIMIT = Duration.ofSeconds(30);

  private Poll() {}

  /** Looks until {@code done} holds for what {@code look} returns; that value. Fails after {@link #LIMIT}. */
  public static <T> T until(String what, Supplier<T> look, Predicate<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    T seen = look.get();
    while (!done.test(seen)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " did not happen within " + LIMIT + "; last seen: " + seen);
      }
      Thread.sleep(20); // the bounded poll's interval: nothing to await but the state itself
      seen = look.get();
    }
    return seen;
  }

  /** {@link #until(String, Supplier, Predicate)} for a condition. */
  public static void until(String what, BooleanSupplier condition) throws InterruptedException {
    until(what, condition::getAsBoolean, Boolean::booleanValue);
  }
}
