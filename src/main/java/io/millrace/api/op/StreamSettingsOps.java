package io.millrace.api.op;

import io.millrace.api.model.Requests.EnhancedMonitoringRequest;
import io.millrace.api.model.Requests.RetentionPeriodRequest;
import io.millrace.api.model.Requests.StreamEncryptionRequest;
import io.millrace.api.model.Requests.UpdateMaxRecordSizeRequest;
import io.millrace.api.model.Requests.UpdateStreamModeRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.StreamMode;
import io.millrace.stream.StreamRegistry;
import io.millrace.stream.StreamSettings;
import io.vertx.core.Future;
import java.util.List;

/** Per-stream settings: the wire side of {@link StreamSettings}, which has their rules. */
final class StreamSettingsOps {

  private StreamSettingsOps() {}

  /** IncreaseStreamRetentionPeriod (increase = true) and DecreaseStreamRetentionPeriod. */
  static final class RetentionPeriod extends BaseOperation<RetentionPeriodRequest, Responses.Empty> {
    private final StreamSettings settings;
    private final boolean increase;

    RetentionPeriod(StreamSettings settings, boolean increase) {
      super(increase ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod",
          RetentionPeriodRequest.class);
      this.settings = settings;
      this.increase = increase;
    }

    @Override
    public Future<Responses.Empty> handle(RetentionPeriodRequest r, RequestScope scope) {
      return settings.retention(scope.streamKey(r), r.retentionPeriodHours(), increase).map(Responses.Empty.INSTANCE);
    }
  }

  /** EnableEnhancedMonitoring (enable = true) and DisableEnhancedMonitoring. */
  static final class EnhancedMonitoring
      extends BaseOperation<EnhancedMonitoringRequest, Responses.EnhancedMonitoringOutput> {
    private final StreamSettings settings;
    private final boolean enable;

    EnhancedMonitoring(StreamSettings settings, boolean enable) {
      super(enable ? "EnableEnhancedMonitoring" : "DisableEnhancedMonitoring", EnhancedMonitoringRequest.class);
      this.settings = settings;
      this.enable = enable;
    }

    @Override
    public Future<Responses.EnhancedMonitoringOutput> handle(EnhancedMonitoringRequest r, RequestScope scope) {
      return settings.enhancedMonitoring(scope.streamKey(r), r.shardLevelMetrics(), enable)
          .map(m -> new Responses.EnhancedMonitoringOutput(m.stream().name(), m.before(), m.after(),
              m.stream().arn()));
    }
  }

  /** StartStreamEncryption (start = true) and StopStreamEncryption. */
  static final class StreamEncryption extends BaseOperation<StreamEncryptionRequest, Responses.Empty> {
    private final StreamSettings settings;
    private final boolean start;

    StreamEncryption(StreamSettings settings, boolean start) {
      super(start ? "StartStreamEncryption" : "StopStreamEncryption", StreamEncryptionRequest.class);
      this.settings = settings;
      this.start = start;
    }

    @Override
    public Future<Responses.Empty> handle(StreamEncryptionRequest r, RequestScope scope) {
      return settings.encryption(scope.streamKey(r), start, r.encryptionType(), r.keyId())
          .map(Responses.Empty.INSTANCE);
    }
  }

  static final class UpdateStreamMode extends BaseOperation<UpdateStreamModeRequest, Responses.Empty> {
    private final StreamSettings settings;

    UpdateStreamMode(StreamSettings settings) {
      super("UpdateStreamMode", UpdateStreamModeRequest.class);
      this.settings = settings;
    }

    @Override
    public Future<Responses.Empty> handle(UpdateStreamModeRequest r, RequestScope scope) {
      return settings.mode(scope.streamKey(r), StreamMode.valueOf(r.streamModeDetails().streamMode()),
          r.warmThroughputMiBps()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class UpdateMaxRecordSize extends BaseOperation<UpdateMaxRecordSizeRequest, Responses.Empty> {
    private final StreamSettings settings;

    UpdateMaxRecordSize(StreamSettings settings) {
      super("UpdateMaxRecordSize", UpdateMaxRecordSizeRequest.class);
      this.settings = settings;
    }

    @Override
    public Future<Responses.Empty> handle(UpdateMaxRecordSizeRequest r, RequestScope scope) {
      if (r.streamARN() == null) {
        throw new KinesisException.InvalidArgument("StreamARN is required: Millrace does not implement StreamId.");
      }
      return settings.maxRecordSize(scope.streamKey(r), r.maxRecordSizeInKiB()).map(Responses.Empty.INSTANCE);
    }
  }

  static List<Operation<?, ?>> all(StreamRegistry registry) {
    StreamSettings settings = new StreamSettings(registry);
    return List.of(new RetentionPeriod(settings, true), new RetentionPeriod(settings, false),
        new EnhancedMonitoring(settings, true), new EnhancedMonitoring(settings, false),
        new StreamEncryption(settings, true), new StreamEncryption(settings, false), new UpdateStreamMode(settings),
        new UpdateMaxRecordSize(settings));
  }
}
