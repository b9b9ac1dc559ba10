package io.millrace.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.shard.ShardEvents;
import io.millrace.storage.RecoveryReport;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's metrics, served by {@code GET /metrics} in the Prometheus text format. Shards feed it through
 * {@link ShardEvents}:
 * <ul>
 *   <li>{@code millrace_recovered_shards_total}: shard logs recovered at start (not those created later);</li>
 *   <li>{@code millrace_recovery_dropped_bytes_total}, {@code millrace_recovery_dropped_records_total}: torn or
 *       corrupt tails that recovery truncated;</li>
 *   <li>{@code millrace_fenced_shards}: shards fenced by a storage failure since the start (they refuse writes
 *       until a restart);</li>
 *   <li>{@code millrace_retention_trims_total}: retention passes that deleted whole segments;</li>
 *   <li>{@code millrace_subscriptions}, {@code millrace_subscription_in_flight_bytes},
 *       {@code millrace_subscriptions_waiting_on_client}: SubscribeToShard subscriptions, the event bytes their
 *       clients have not yet taken, and how many wait on their client;</li>
 * </ul>
 * plus the JVM's: memory ({@code jvm_memory_used_bytes} and friends), garbage collection ({@code jvm_gc_pause_seconds},
 * {@code jvm_gc_memory_allocated_bytes_total}, ...; its listeners go with {@link #close}), threads, classes, processors
 * and uptime.
 *
 * <p>Threading: the callbacks run on the shards' contexts and only touch Micrometer meters and a concurrent set,
 * both thread-safe; {@link #scrape()} may run on any thread.
 *
 * <p>Design note: the meters carry no shard label. A server may hold thousands of shards, and the log line that
 * accompanies each event names the shard; the metrics say that something happened and how much.
 */
public final class ServerMetrics implements ShardEvents {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Set<String> fenced = ConcurrentHashMap.newKeySet();
  private final Health health = new Health();
  private volatile boolean recovering = true;
  private final java.util.List<Object> held = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.List<Runnable> beforeScrape = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Counter recovered;
  private final Counter droppedBytes;
  private final Counter droppedRecords;
  private final Counter trims;
  /** Listens to the JVM's collections until {@link #close}: one set of listeners per server, not per JVM. */
  private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gc =
      new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();

  public ServerMetrics() {
    this(new SubscriptionStats());
  }

  /** Metrics that include the totals of the server's SubscribeToShard subscriptions. */
  public ServerMetrics(SubscriptionStats subscriptions) {
    recovered = Counter.builder("millrace.recovered.shards")
        .description("Shard logs recovered at start (not those created later)").register(registry);
    droppedBytes = Counter.builder("millrace.recovery.dropped.bytes")
        .description("Bytes of torn or corrupt tail that recovery truncated").register(registry);
    droppedRecords = Counter.builder("millrace.recovery.dropped.records")
        .description("Records (complete or torn) that recovery truncated from a tail").register(registry);
    trims = Counter.builder("millrace.retention.trims")
        .description("Retention passes that deleted whole segments").register(registry);
    Gauge.builder("millrace.fenced.shards", fenced, Set::size)
        .description("Shards fenced by a storage failure since the start; they refuse writes until a restart")
        .register(registry);
    Gauge.builder("millrace.subscriptions", subscriptions, SubscriptionStats::live)
        .description("Live SubscribeToShard subscriptions").register(registry);
    Gauge.builder("millrace.subscription.in.flight.bytes", subscriptions, SubscriptionStats::inFlightBytes)
        .description("Event bytes written to subscribers and not yet taken by them").register(registry);
    Gauge.builder("millrace.subscriptions.waiting.on.client", subscriptions, SubscriptionStats::waitingOnClient)
        .description("Subscriptions whose in-flight budget is used up: their client reads slower than the shard "
            + "is written, or not at all").register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
    gc.bindTo(registry);
  }

  /** The server has recovered what it found on disk: shard logs opened from now on are new ones, not recoveries. */
  public void recoveryFinished() {
    recovering = false;
  }

  @Override
  public void onRecovered(String shard, RecoveryReport report) {
    if (recovering) {
      recovered.increment();
    }
    droppedBytes.increment(report.bytesDropped());
    droppedRecords.increment(report.recordsDropped());
  }

  @Override
  public void onFenced(String shard, Throwable cause) {
    fenced.add(shard);
    health.fenced(shard, String.valueOf(cause.getMessage()));
  }

  /**
   * Vert.x's own metrics, from {@code vertx-micrometer-metrics}, into this registry: its worker pools
   * ({@code vertx_pool_queue_pending}, {@code vertx_pool_in_use}, {@code vertx_pool_queue_time_seconds},
   * {@code vertx_pool_usage_seconds}, by {@code pool_type} and {@code pool_name}) and Netty's event loops ({@code netty_eventexecutor_tasks_pending}, per loop). Per-request HTTP and connection metrics are left off:
   * the API's CloudWatch-named metrics and {@code millrace_connections} say that at less cost per request. The
   * registry's name is this server's alone (Vert.x keeps a process-wide table of them; it drops the entry on close).
   */
  public io.vertx.core.metrics.MetricsOptions vertxMetricsOptions() {
    io.vertx.micrometer.MicrometerMetricsOptions options = new io.vertx.micrometer.MicrometerMetricsOptions()
        .setEnabled(true).setRegistryName("millrace-" + java.util.UUID.randomUUID()).setJvmMetricsEnabled(false)
        .setNettyMetricsEnabled(true);
    for (io.vertx.micrometer.MetricsDomain off : java.util.EnumSet.complementOf(java.util.EnumSet.of(
        io.vertx.micrometer.MetricsDomain.NAMED_POOLS))) {
      options.addDisabledMetricsCategory(off);
    }
    return options;
  }

  /** The factory of Vert.x's metrics ({@link #vertxMetricsOptions}), writing to this server's registry. */
  public io.vertx.core.spi.VertxMetricsFactory vertxMetrics() {
    return new io.vertx.micrometer.MicrometerMetricsFactory(registry);
  }

  /** Stops listening to the JVM's garbage collections (the server stopped). */
  public void close() {
    gc.close();
  }

  /** The server's readiness, which fenced shards take away. */
  public Health health() {
    return health;
  }

  @Override
  public void onTrimmed(String shard, long startOffset) {
    trims.increment();
  }

  /** Adds a gauge read from {@code value} at each scrape (any thread; it must be quick and thread-safe). */
  public void gauge(String name, String description, java.util.function.Supplier<Number> value) {
    Gauge.builder(name, value, v -> v.get().doubleValue()).description(description).strongReference(true)
        .register(registry);
  }

  /** Adds a counter read from {@code total} at each scrape (a monotonic, thread-safe count). */
  public void counter(String name, String description, java.util.function.Supplier<Number> total) {
    held.add(total); // Micrometer keeps only a weak reference to what it reads
    io.micrometer.core.instrument.FunctionCounter.builder(name, total, t -> t.get().doubleValue())
        .description(description).register(registry);
  }

  /** The registry, for parts that keep meters of their own (Firehose's per delivery stream). */
  public io.micrometer.core.instrument.MeterRegistry registry() {
    return registry;
  }

  /** Runs {@code action} before each scrape (on the scraping thread; quick and thread-safe). */
  public void beforeScrape(Runnable action) {
    beforeScrape.add(action);
  }

  /** Every meter in the Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    beforeScrape.forEach(Runnable::run);
    return registry.scrape();
  }
}
