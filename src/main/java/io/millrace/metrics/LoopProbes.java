package io.millrace.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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

  /**
   * Starts the probes: a small verticle per event loop (each gets an event loop of its own, round robin), the first
   * of which also probes the worker pool. Undeployed with the server's Vert.x.
   */
  public static io.vertx.core.Future<String> start(Vertx vertx, int eventLoops, MeterRegistry registry) {
    Timer queued = Timer.builder("millrace.worker.queue.delay").publishPercentileHistogram()
        .description("How long a blocking task waited for a worker thread").register(registry);
    java.util.concurrent.atomic.AtomicInteger instances = new java.util.concurrent.atomic.AtomicInteger();
    return vertx.deployVerticle(() -> new Probe(registry, instances.getAndIncrement() == 0 ? queued : null),
        new io.vertx.core.DeploymentOptions().setInstances(eventLoops));
  }

  /** One event loop's probe (and, for one of them, the worker pool's). */
  private static final class Probe extends io.vertx.core.VerticleBase {
    private final MeterRegistry registry;
    private final Timer workerQueue;

    Probe(MeterRegistry registry, Timer workerQueue) {
      this.registry = registry;
      this.workerQueue = workerQueue;
    }

    @Override
    public io.vertx.core.Future<?> start() {
      Timer delay = Timer.builder("millrace.event.loop.delay").tag("loop", Thread.currentThread().getName())
          .description("How late a timer fired on this event loop").publishPercentileHistogram()
          .register(registry);
      long[] expected = {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS)};
      vertx.setPeriodic(PERIOD_MILLIS, id -> {
        long now = System.nanoTime();
        delay.record(Math.max(0, now - expected[0]), TimeUnit.NANOSECONDS);
        expected[0] = now + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
        if (workerQueue != null) {
          context.executeBlocking(() -> {
            workerQueue.record(System.nanoTime() - now, TimeUnit.NANOSECONDS);
            return null;
          }, false);
        }
      });
      return io.vertx.core.Future.succeededFuture();
    }
  }
}
