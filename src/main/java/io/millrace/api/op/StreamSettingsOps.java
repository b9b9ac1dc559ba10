package io.millrace.api.op;

import io.millrace.api.model.Requests.EnhancedMonitoringRequest;
import io.millrace.api.model.Requests.RetentionPeriodRequest;
import io.millrace.api.model.Requests.StreamEncryptionRequest;
import io.millrace.api.model.Requests.UpdateMaxRecordSizeRequest;
import io.millrace.api.model.Requests.UpdateStreamModeRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMode;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Per-stream settings: retention, enhanced monitoring, encryption, capacity mode and maximum record size.
 */
final class StreamSettingsOps {

  private StreamSettingsOps() {}

  static final int MIN_RETENTION_HOURS = 24;
  static final int MAX_RETENTION_HOURS = 8760;
  static final List<String> ALL_METRICS = List.of("IncomingBytes", "IncomingRecords", "OutgoingBytes",
      "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
      "IteratorAgeMilliseconds");

  /** IncreaseStreamRetentionPeriod (increase = true) and DecreaseStreamRetentionPeriod. */
  static final class RetentionPeriod extends BaseOperation<RetentionPeriodRequest, Responses.Empty> {
    private final StreamRegistry registry;
    private final boolean increase;

    RetentionPeriod(StreamRegistry registry, boolean increase) {
      super(increase ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod",
          RetentionPeriodRequest.class);
      this.registry = registry;
      this.increase = increase;
    }

    @Override
    public Future<Responses.Empty> handle(RetentionPeriodRequest r, RequestScope scope) {
      int hours = r.retentionPeriodHours();
      if (hours < MIN_RETENTION_HOURS) {
        throw new KinesisException.InvalidArgument("Minimum allowed retention period is " + MIN_RETENTION_HOURS
            + " hours. Requested retention period (" + hours + " hours) is too short.");
      }
      if (hours > MAX_RETENTION_HOURS) {
        throw new KinesisException.InvalidArgument("Maximum allowed retention period is " + MAX_RETENTION_HOURS
            + " hours. Requested retention period (" + hours + " hours) is too long.");
      }
      StreamKey key = scope.streamKey(r);
      return registry.change(key, s -> {
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
      }).map(Responses.Empty.INSTANCE);
    }
  }

  /** EnableEnhancedMonitoring (enable = true) and DisableEnhancedMonitoring. */
  static final class EnhancedMonitoring
      extends BaseOperation<EnhancedMonitoringRequest, Responses.EnhancedMonitoringOutput> {
    private final StreamRegistry registry;
    private final boolean enable;

    EnhancedMonitoring(StreamRegistry registry, boolean enable) {
      super(enable ? "EnableEnhancedMonitoring" : "DisableEnhancedMonitoring", EnhancedMonitoringRequest.class);
      this.registry = registry;
      this.enable = enable;
    }

    @Override
    public Future<Responses.EnhancedMonitoringOutput> handle(EnhancedMonitoringRequest r, RequestScope scope) {
      StreamKey key = scope.streamKey(r);
      List<String> asked = r.shardLevelMetrics().contains("ALL") ? ALL_METRICS : r.shardLevelMetrics();
      List<String> before = new ArrayList<>();
      return registry.change(key, s -> {
        StreamRegistry.requireActive(s);
        before.addAll(s.shardLevelMetrics());
        TreeSet<String> metrics = new TreeSet<>(s.shardLevelMetrics());
        if (enable) {
          metrics.addAll(asked);
        } else {
          metrics.removeAll(asked);
        }
        return s.toBuilder().shardLevelMetrics(List.copyOf(metrics)).build();
      }).map(s -> new Responses.EnhancedMonitoringOutput(s.name(), before, s.shardLevelMetrics(), s.arn()));
    }
  }

  /** StartStreamEncryption (start = true) and StopStreamEncryption. */
  static final class StreamEncryption extends BaseOperation<StreamEncryptionRequest, Responses.Empty> {
    private final StreamRegistry registry;
    private final boolean start;

    StreamEncryption(StreamRegistry registry, boolean start) {
      super(start ? "StartStreamEncryption" : "StopStreamEncryption", StreamEncryptionRequest.class);
      this.registry = registry;
      this.start = start;
    }

    @Override
    public Future<Responses.Empty> handle(StreamEncryptionRequest r, RequestScope scope) {
      if (!"KMS".equals(r.encryptionType())) {
        throw new KinesisException.InvalidArgument("EncryptionType must be KMS; NONE is not a valid value for "
            + name() + ".");
      }
      return registry.changeWhileUpdating(scope.streamKey(r), s -> start
          ? s.toBuilder().encryption("KMS", r.keyId()).build()
          : s.toBuilder().encryption("NONE", null).build()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class UpdateStreamMode extends BaseOperation<UpdateStreamModeRequest, Responses.Empty> {
    private final StreamRegistry registry;

    UpdateStreamMode(StreamRegistry registry) {
      super("UpdateStreamMode", UpdateStreamModeRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(UpdateStreamModeRequest r, RequestScope scope) {
      StreamKey key = scope.streamKey(r);
      StreamMode mode = StreamMode.valueOf(r.streamModeDetails().streamMode());
      return registry.changeWhileUpdating(key, s -> {
        if (s.mode() == mode) {
          throw new KinesisException.InvalidArgument(key.describe() + " is already in " + mode + " mode.");
        }
        if (mode == StreamMode.ON_DEMAND
            && registry.onDemandStreamCount(key.account(), key.region()) >= registry.limits().onDemandStreamLimit()) {
          throw new KinesisException.LimitExceeded("This request would exceed the on-demand stream count limit of "
              + registry.limits().onDemandStreamLimit() + " for the account " + key.account() + " in "
              + key.region() + ".");
        }
        return s.toBuilder().mode(mode).warmThroughputMiBps(r.warmThroughputMiBps()).build();
      }).map(Responses.Empty.INSTANCE);
    }
  }

  static final class UpdateMaxRecordSize extends BaseOperation<UpdateMaxRecordSizeRequest, Responses.Empty> {
    private final StreamRegistry registry;

    UpdateMaxRecordSize(StreamRegistry registry) {
      super("UpdateMaxRecordSize", UpdateMaxRecordSizeRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(UpdateMaxRecordSizeRequest r, RequestScope scope) {
      if (r.streamARN() == null) {
        throw new KinesisException.InvalidArgument("StreamARN is required: Millrace does not implement StreamId.");
      }
      return registry.change(scope.streamKey(r), s -> {
        StreamRegistry.requireActive(s);
        return s.toBuilder().maxRecordSizeKiB(r.maxRecordSizeInKiB()).build();
      }).map(Responses.Empty.INSTANCE);
    }
  }

  static List<Operation<?, ?>> all(StreamRegistry registry) {
    return List.of(new RetentionPeriod(registry, true), new RetentionPeriod(registry, false),
        new EnhancedMonitoring(registry, true), new EnhancedMonitoring(registry, false),
        new StreamEncryption(registry, true), new StreamEncryption(registry, false), new UpdateStreamMode(registry),
        new UpdateMaxRecordSize(registry));
  }

}
