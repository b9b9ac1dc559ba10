package io.millrace.stream;

import io.millrace.error.KinesisException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The rules of a stream's settings, in AWS's words: retention (24 hours to 365 days, increased and decreased by their
 * own calls), enhanced monitoring, encryption, capacity mode and maximum record size. Each change is one committed
 * {@link StreamRegistry#change}; encryption and mode changes show the stream UPDATING, as AWS does.
 *
 * <p>Stateless over its registry; thread-safe.
 */
public final class StreamSettings {

  /** The shard-level metrics "ALL" stands for. */
  public static final List<String> ALL_METRICS = List.of("IncomingBytes", "IncomingRecords", "OutgoingBytes",
      "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
      "IteratorAgeMilliseconds");

  private final StreamRegistry streams;

  public StreamSettings(StreamRegistry streams) {
    this.streams = streams;
  }

  /** IncreaseStreamRetentionPeriod ({@code increase}) or DecreaseStreamRetentionPeriod. */
  public Future<StreamMeta> retention(StreamKey key, int hours, boolean increase) {
    if (hours < KinesisLimits.MIN_RETENTION_HOURS) {
      throw new KinesisException.InvalidArgument("Minimum allowed retention period is " + KinesisLimits.MIN_RETENTION_HOURS
          + " hours. Requested retention period (" + hours + " hours) is too short.");
    }
    if (hours > KinesisLimits.MAX_RETENTION_HOURS) {
      throw new KinesisException.InvalidArgument("Maximum allowed retention period is " + KinesisLimits.MAX_RETENTION_HOURS
          + " hours. Requested retention period (" + hours + " hours) is too long.");
    }
    return streams.change(key, s -> {
      int current = s.retentionHours();
      if (increase && hours < current) {
        throw new KinesisException.InvalidArgument("Requested retention period (" + hours + " hours) for stream "
            + key.name() + " can not be shorter than existing retention period (" + current
            + " hours). Use DecreaseRetentionPeriod API.");
      }
      if (!increase && hours > current) {
        throw new KinesisException.InvalidArgument("Requested retention period (" + hours + " hours) for stream "
            + key.name() + " can not be longer than existing retention period (" + current
            + " hours). Use IncreaseRetentionPeriod API.");
      }
      return s.toBuilder().retentionHours(hours).build();
    });
  }

  /** What Enable/DisableEnhancedMonitoring report: the metrics before and after. */
  public record Monitoring(StreamMeta stream, List<String> before, List<String> after) {}

  /** EnableEnhancedMonitoring ({@code enable}) or DisableEnhancedMonitoring of {@code metrics} ("ALL" for all). */
  public Future<Monitoring> enhancedMonitoring(StreamKey key, List<String> metrics, boolean enable) {
    List<String> asked = metrics.contains("ALL") ? ALL_METRICS : metrics;
    List<String> before = new ArrayList<>();
    return streams.change(key, s -> {
      StreamRegistry.requireActive(s);
      before.addAll(s.shardLevelMetrics());
      TreeSet<String> next = new TreeSet<>(s.shardLevelMetrics());
      if (enable) {
        next.addAll(asked);
      } else {
        next.removeAll(asked);
      }
      return s.toBuilder().shardLevelMetrics(List.copyOf(next)).build();
    }).map(s -> new Monitoring(s, List.copyOf(before), s.shardLevelMetrics()));
  }

  /** StartStreamEncryption ({@code start}, with the KMS key) or StopStreamEncryption; only KMS exists. */
  public Future<StreamMeta> encryption(StreamKey key, boolean start, String encryptionType, String keyId) {
    if (!"KMS".equals(encryptionType)) {
      throw new KinesisException.InvalidArgument("EncryptionType must be KMS; NONE is not a valid value for "
          + (start ? "StartStreamEncryption" : "StopStreamEncryption") + ".");
    }
    return streams.changeWhileUpdating(key, s -> start ? s.toBuilder().encryption("KMS", keyId).build()
        : s.toBuilder().encryption("NONE", null).build());
  }

  /** UpdateStreamMode: a different mode, within the account's on-demand stream limit. */
  public Future<StreamMeta> mode(StreamKey key, StreamMode mode, Integer warmThroughputMiBps) {
    return streams.changeWhileUpdating(key, s -> {
      if (s.mode() == mode) {
        throw new KinesisException.InvalidArgument(key.describe() + " is already in " + mode + " mode.");
      }
      if (mode == StreamMode.ON_DEMAND) {
        streams.checkOnDemandLimit(streams.all(), key);
      }
      return s.toBuilder().mode(mode).warmThroughputMiBps(warmThroughputMiBps).build();
    });
  }

  /** UpdateMaxRecordSize of an ACTIVE stream. */
  public Future<StreamMeta> maxRecordSize(StreamKey key, int maxRecordSizeKiB) {
    return streams.change(key, s -> {
      StreamRegistry.requireActive(s);
      return s.toBuilder().maxRecordSizeKiB(maxRecordSizeKiB).build();
    });
  }
}
