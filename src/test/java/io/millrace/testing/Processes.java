package io.millrace.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stopping and waiting on the processes tests start (S3Proxy, OpenSearch, PostgreSQL, the Millrace jar): every wait
 * has a deadline. Stateless.
 */
public final class Processes {

  private Processes() {}

  /**
   * Asks {@code process} to stop with each of {@code asks} in turn (SIGTERM, a signal of the server's own), giving
   * each {@code step} to take effect, then SIGKILL; returns once it has exited, and fails (naming it {@code name}) if
   * it is still there {@code step} after SIGKILL. Interrupted: SIGKILL at once, the interrupt kept.
   */
  public static void stop(Process process, String name, Duration step, List<Runnable> asks) {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      for (Runnable ask : asks) {
        ask.run();
        if (process.waitFor(step.toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
      }
      process.destroyForcibly();
      if (!process.waitFor(step.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " (pid " + process.pid() + ") did not exit after SIGKILL");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, then SIGKILL: {@link #stop(Process, String, Duration, List)} for a process with no signal of its own. */
  public static void stop(Process process, String name, Duration step) {
    stop(process, name, step, process == null ? List.of() : List.of(process::destroy));
  }

  /** Sleeps between two looks of a bounded wait on another process (there is no event to await). */
  public static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
