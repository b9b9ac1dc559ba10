package millrace.load;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts units of work (records, requests) over a simulation's run and prints the rate at the end (Gatling itself
 * counts requests); given the server's pid ({@code -Dmillrace.pid}), also the server's CPU per unit over the same
 * window. With {@code -DwarmupSeconds=N} the first N seconds after {@link #start()} are not counted (a JVM server's
 * JIT compiles then), so the run's {@code seconds} should include them.
 */
final class Meter {

  private static final long WARMUP_NANOS = Kinesis.intProperty("warmupSeconds", 0) * 1_000_000_000L;

  private final String what;
  private final LongAdder count = new LongAdder();
  private volatile long startNanos;
  private volatile double startCpu = Double.NaN;
  private volatile double startDriverCpu = Double.NaN;

  Meter(String what) {
    this.what = what;
  }

  void start() {
    startNanos = System.nanoTime() + WARMUP_NANOS;
    if (WARMUP_NANOS == 0) {
      startCpu = ServerProcess.cpuSeconds();
      startDriverCpu = driverCpuSeconds();
    }
  }

  /** CPU time of this process (the load driver), in seconds. */
  private static double driverCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  void add(long n) {
    if (System.nanoTime() < startNanos) {
      return;
    }
    if (Double.isNaN(startCpu) && ServerProcess.known()) {
      startMeasuring();
    }
    count.add(n);
  }

  /** The first unit after the warm-up takes the CPU baseline. */
  private synchronized void startMeasuring() {
    if (Double.isNaN(startCpu)) {
      startCpu = ServerProcess.cpuSeconds();
      startDriverCpu = driverCpuSeconds();
    }
  }

  void report() {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf("%n>>> %s: %,d in %.1f s = %,.0f per second%n", what, count.sum(), seconds,
        count.sum() / seconds);
    if (ServerProcess.known() && !Double.isNaN(startCpu)) {
      double cpu = ServerProcess.cpuSeconds() - startCpu;
      System.out.printf(">>> server CPU while measuring: %.1f s = %,.0f %s per CPU-second%n", cpu,
          count.sum() / cpu, what);
      System.out.printf(">>> driver CPU while measuring: %.1f s = %.0f%% of one core%n",
          driverCpuSeconds() - startDriverCpu, 100 * (driverCpuSeconds() - startDriverCpu) / seconds);
    }
    System.out.println();
  }
}
