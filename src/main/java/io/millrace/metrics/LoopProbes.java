package io.millrace.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * A probe of each event loop, once a second: how late a timer fires on it ({@code millrace_event_loop_delay_seconds},
 * a histogram, {@code loop} its thread: a loop busy with other work, or blocked, runs it late). It costs a timer a
 * second per loop. (The worker pool's queueing is Vert.x's own {@code vertx_pool_queue_time_seconds}, measured for
 * every task; see {@link ServerMetrics#vertxMetricsOptions}.)
 */
public final class LoopProbes {

  private static final long PERIOD_MILLIS = 1000;

  private LoopProbes() {}

  /**
   * Starts the probes: a small verticle per event loop (each gets an event loop of its own, round robin). Undeployed
   * with the server's Vert.x.
   */
  public static Future<String> start(Vertx vertx, int eventLoops, MeterRegistry registry) {
    return vertx.deployVerticle(() -> new Probe(registry), new DeploymentOptions().setInstances(eventLoops));
  }

  /** One event loop's probe. */
  private static final class Probe extends VerticleBase {
    private final MeterRegistry registry;

    Probe(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public Future<?> start() {
      Timer delay = Timer.builder("millrace.event.loop.delay").tag("loop", Thread.currentThread().getName())
          .description("How late a timer fired on this event loop").publishPercentileHistogram()
          .register(registry);
      long[] expected = {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS)};
      vertx.setPeriodic(PERIOD_MILLIS, id -> {
        long now = System.nanoTime();
        delay.record(Math.max(0, now - expected[0]), TimeUnit.NANOSECONDS);
        expected[0] = now + TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
      });
      return Future.succeededFuture();
    }
  }
}
