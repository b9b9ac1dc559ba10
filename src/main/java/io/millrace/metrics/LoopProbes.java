package io.millrace.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * Probes of the server's threads, once a second: how late a timer fires on each event loop
 * ({@code millrace_event_loop_delay_seconds}, {@code loop} its thread: a loop busy with other work, or blocked, runs
 * it late) and how long a blocking task waits for a worker ({@code millrace_worker_queue_delay_seconds}: file I/O and
 * fsync queue behind each other there). Both as histograms. The probes cost a timer and a no-op task a second.
 */
public final class LoopProbes {

  private static final long PERIOD_MILLIS = 1000;

  private LoopProbes() {}

  /** Starts the probes on {@code eventLoops} event loops of {@code vertx} (one context each, round robin). */
  public static void start(Vertx vertx, int eventLoops, MeterRegistry registry) {
    for (int i = 0; i < eventLoops; i++) {
      Context context = vertx.getOrCreateContext();
      context.runOnContext(v -> {
        Timer delay = Timer.builder("millrace.event.loop.delay").tag("loop", Thread.currentThread().getName())
            .description("How late a timer fired on this event loop").publishPercentileHistogram()
            .register(registry);
        long[] expected = {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS)};
        vertx.setPeriodic(PERIOD_MILLIS, id -> {
          long now = System.nanoTime();
          delay.record(Math.max(0, now - expected[0]), TimeUnit.NANOSECONDS);
          expected[0] = now + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
        });
      });
    }
    Timer queued = Timer.builder("millrace.worker.queue.delay").publishPercentileHistogram()
        .description("How long a blocking task waited for a worker thread").register(registry);
    vertx.setPeriodic(PERIOD_MILLIS, id -> {
      long asked = System.nanoTime();
      vertx.executeBlocking(() -> {
        queued.record(System.nanoTime() - asked, TimeUnit.NANOSECONDS);
        return null;
      }, false);
    });
  }
}
