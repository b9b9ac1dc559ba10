package io.millrace.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.millrace.fanout.PushListener;
import io.millrace.stream.StreamKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Kinesis Data Streams' CloudWatch metrics, under their CloudWatch names, so dashboards and alerts carry over: the
 * stream-level ones always, with the stream's dimension ({@code StreamName}, plus {@code Account} and {@code Region},
 * which CloudWatch implies), and the shard-level ones ({@code ShardId} too) for the metrics a stream's enhanced
 * monitoring enables (EnableEnhancedMonitoring's ShardLevelMetrics, or {@code ALL}); the enhanced fan-out ones
 * ({@code SubscribeToShard.*}, {@code SubscribeToShardEvent.*}) per consumer ({@code ConsumerName}). In Prometheus's
 * text a CloudWatch name keeps its case under the {@code kinesis_} prefix, its dots becoming underscores:
 * {@code kinesis_IncomingBytes_total{StreamName="orders",...}}; latencies and ages are summaries in milliseconds
 * ({@code kinesis_PutRecord_Latency_milliseconds_count}, {@code _sum}, {@code _max}), as CloudWatch reports them.
 *
 * <p>Meters are created when a stream is first used and removed with {@link #forget} when it is deleted (a
 * consumer's with {@link #forgetConsumer} when it is deregistered), so their number follows the streams, shards and
 * consumers that exist. Thread-safe: callers are the API verticles' event loops and the
 * subscriptions' contexts.
 */
public final class KinesisMetrics implements PushListener {

  /** The shard-level metrics EnableEnhancedMonitoring can enable. */
  public static final List<String> SHARD_LEVEL = List.of("IncomingBytes", "IncomingRecords", "OutgoingBytes",
      "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
      "IteratorAgeMilliseconds");

  private final MeterRegistry registry;
  private final Function<StreamKey, List<String>> shardLevel;
  /** Each stream's meters by name (a consumer's: name, {@link #CONSUMER}, consumer name). */
  private final Map<StreamKey, Map<String, Meter>> byStream = new ConcurrentHashMap<>();
  private static final String CONSUMER = "\u0000consumer=";

  /**
   * @param shardLevel the shard-level metrics enabled for a stream (empty when none, or the stream is unknown)
   */
  public KinesisMetrics(MeterRegistry registry, Function<StreamKey, List<String>> shardLevel) {
    this.registry = registry;
    this.shardLevel = shardLevel;
  }

  /** One PutRecord call: its record stored in {@code shardId}, or refused (throttled or not). */
  public void putRecord(StreamKey stream, String shardId, long bytes, boolean stored, boolean throttled,
                        long latencyMillis) {
    count(stream, "PutRecord.Success", stored ? 1 : 0);
    summary(stream, "PutRecord.Latency", latencyMillis);
    if (stored) {
      count(stream, "PutRecord.Bytes", bytes);
      incoming(stream, shardId, 1, bytes);
    } else if (throttled) {
      writeThrottled(stream, shardId, 1);
    }
  }

  /**
   * One PutRecords call of {@code total} records: {@code stored} of {@code storedBytes} went in (by shard in
   * {@code storedByShard}), {@code throttled} were throttled (by shard in {@code throttledByShard}), the rest failed.
   */
  public void putRecords(StreamKey stream, int total, int stored, long storedBytes, int throttled,
                         Map<String, long[]> storedByShard, Map<String, Integer> throttledByShard,
                         long latencyMillis) {
    count(stream, "PutRecords.Success", stored > 0 ? 1 : 0);
    summary(stream, "PutRecords.Latency", latencyMillis);
    count(stream, "PutRecords.TotalRecords", total);
    count(stream, "PutRecords.SuccessfulRecords", stored);
    count(stream, "PutRecords.Records", stored);
    count(stream, "PutRecords.Bytes", storedBytes);
    count(stream, "PutRecords.ThrottledRecords", throttled);
    count(stream, "PutRecords.FailedRecords", total - stored - throttled);
    storedByShard.forEach((shard, recordsAndBytes) -> incoming(stream, shard, recordsAndBytes[0],
        recordsAndBytes[1]));
    throttledByShard.forEach((shard, n) -> writeThrottled(stream, shard, n));
  }

  private void incoming(StreamKey stream, String shardId, long records, long bytes) {
    count(stream, "IncomingRecords", records);
    count(stream, "IncomingBytes", bytes);
    shardCount(stream, shardId, "IncomingRecords", records);
    shardCount(stream, shardId, "IncomingBytes", bytes);
  }

  private void writeThrottled(StreamKey stream, String shardId, long records) {
    count(stream, "WriteProvisionedThroughputExceeded", records);
    shardCount(stream, shardId, "WriteProvisionedThroughputExceeded", records);
  }

  /** One GetRecords call that returned {@code records} of {@code bytes} from {@code shardId}. */
  public void getRecords(StreamKey stream, String shardId, int records, long bytes, long iteratorAgeMillis,
                         long latencyMillis) {
    count(stream, "GetRecords.Success", 1);
    summary(stream, "GetRecords.Latency", latencyMillis);
    count(stream, "GetRecords.Records", records);
    count(stream, "GetRecords.Bytes", bytes);
    summary(stream, "GetRecords.IteratorAgeMilliseconds", iteratorAgeMillis);
    shardSummary(stream, shardId, "IteratorAgeMilliseconds", iteratorAgeMillis);
    outgoing(stream, shardId, records, bytes);
  }

  /** One GetRecords call refused because its shard's read limits were reached. */
  public void readThrottled(StreamKey stream, String shardId) {
    count(stream, "ReadProvisionedThroughputExceeded", 1);
    shardCount(stream, shardId, "ReadProvisionedThroughputExceeded", 1);
  }

  /** A SubscribeToShard call that started its subscription (or a gRPC Subscribe call: no consumer). */
  @Override
  public void subscribed(StreamKey stream, String consumer) {
    consumerCount(stream, consumer, "SubscribeToShard.Success", 1);
  }

  @Override
  public void rateExceeded(StreamKey stream, String consumer) {
    consumerCount(stream, consumer, "SubscribeToShard.RateExceeded", 1);
  }

  /** One SubscribeToShard event (records, or an empty one to keep the subscription alive) pushed to a consumer. */
  @Override
  public void pushed(StreamKey stream, String consumer, String shardId, int records, long bytes,
                     long millisBehindLatest) {
    consumerCount(stream, consumer, "SubscribeToShardEvent.Success", 1);
    consumerCount(stream, consumer, "SubscribeToShardEvent.Records", records);
    consumerCount(stream, consumer, "SubscribeToShardEvent.Bytes", bytes);
    consumerSummary(stream, consumer, "SubscribeToShardEvent.MillisBehindLatest", millisBehindLatest);
    outgoing(stream, shardId, records, bytes);
  }

  private void outgoing(StreamKey stream, String shardId, long records, long bytes) {
    count(stream, "OutgoingRecords", records);
    count(stream, "OutgoingBytes", bytes);
    shardCount(stream, shardId, "OutgoingRecords", records);
    shardCount(stream, shardId, "OutgoingBytes", bytes);
  }

  /**
   * Removes the meters of every stream that no longer exists, and of every consumer that no longer exists (an event
   * pushed just as its consumer was deregistered may have brought some back after {@link #forgetConsumer}).
   */
  public void retain(java.util.function.Predicate<StreamKey> streamExists,
                     java.util.function.BiPredicate<StreamKey, String> consumerExists) {
    for (Map.Entry<StreamKey, Map<String, Meter>> stream : byStream.entrySet()) {
      if (!streamExists.test(stream.getKey())) {
        forget(stream.getKey());
        continue;
      }
      for (String key : stream.getValue().keySet()) {
        int at = key.indexOf(CONSUMER);
        String consumer = at < 0 ? "" : key.substring(at + CONSUMER.length());
        if (!consumer.isEmpty() && !consumerExists.test(stream.getKey(), consumer)) {
          forgetConsumer(stream.getKey(), consumer);
        }
      }
    }
  }

  /** Removes the meters of a consumer that was deregistered. */
  public void forgetConsumer(StreamKey stream, String consumer) {
    Map<String, Meter> meters = byStream.get(stream);
    if (meters != null) {
      meters.entrySet().removeIf(meter -> {
        boolean its = meter.getKey().endsWith(CONSUMER + consumer);
        if (its) {
          registry.remove(meter.getValue());
        }
        return its;
      });
    }
  }

  /** Removes a deleted stream's meters. */
  public void forget(StreamKey stream) {
    Map<String, Meter> meters = byStream.remove(stream);
    if (meters != null) {
      meters.values().forEach(registry::remove);
    }
  }

  // ---- meters ----

  private Map<String, Meter> meters(StreamKey stream) {
    return byStream.computeIfAbsent(stream, s -> new ConcurrentHashMap<>());
  }

  private static Tags tags(StreamKey stream) {
    return Tags.of("StreamName", stream.name(), "Account", stream.account(), "Region", stream.region());
  }

  private void count(StreamKey stream, String name, long amount) {
    ((Counter) meters(stream).computeIfAbsent(name, n -> Counter.builder("kinesis." + n).tags(tags(stream))
        .register(registry))).increment(amount);
  }

  private void summary(StreamKey stream, String name, long millis) {
    ((DistributionSummary) meters(stream).computeIfAbsent(name, n -> DistributionSummary.builder("kinesis." + n)
        .baseUnit("milliseconds").tags(tags(stream)).register(registry))).record(millis);
  }

  /**
   * The meters of a consumer's subscriptions: dimensions StreamName and ConsumerName, as CloudWatch's; the gRPC API's
   * subscriptions, which have no consumer, under an empty ConsumerName.
   */
  private void consumerCount(StreamKey stream, String consumer, String name, long amount) {
    String c = consumer == null ? "" : consumer;
    ((Counter) meters(stream).computeIfAbsent(name + CONSUMER + c, n -> Counter.builder("kinesis." + name)
        .tags(tags(stream).and("ConsumerName", c)).register(registry))).increment(amount);
  }

  private void consumerSummary(StreamKey stream, String consumer, String name, long millis) {
    String c = consumer == null ? "" : consumer;
    ((DistributionSummary) meters(stream).computeIfAbsent(name + CONSUMER + c, n -> DistributionSummary
        .builder("kinesis." + name).baseUnit("milliseconds").tags(tags(stream).and("ConsumerName", c))
        .register(registry))).record(millis);
  }

  private boolean shardLevelEnabled(StreamKey stream, String metric) {
    List<String> enabled = shardLevel.apply(stream);
    return enabled.contains(metric) || enabled.contains("ALL");
  }

  private void shardCount(StreamKey stream, String shardId, String name, long amount) {
    if (shardId != null && shardLevelEnabled(stream, name)) {
      ((Counter) meters(stream).computeIfAbsent(shardId + "/" + name, n -> Counter.builder("kinesis.shard." + name)
          .tags(tags(stream).and("ShardId", shardId)).register(registry))).increment(amount);
    }
  }

  private void shardSummary(StreamKey stream, String shardId, String name, long millis) {
    if (shardId != null && shardLevelEnabled(stream, name)) {
      ((DistributionSummary) meters(stream).computeIfAbsent(shardId + "/" + name, n -> DistributionSummary
          .builder("kinesis.shard." + name).baseUnit("milliseconds").tags(tags(stream).and("ShardId", shardId))
          .register(registry))).record(millis);
    }
  }
}
