package io.millrace.firehose;

import io.micrometer.core.instrument.MeterRegistry;
import io.millrace.error.KinesisException;
import io.millrace.shard.ShardSettings;
import io.millrace.storage.SegmentIo;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Clock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * Firehose in one piece: the control plane ({@link DeliveryStreamRegistry}, over its own {@link FirehoseCommitter})
 * and the running deliveries ({@link Deliveries}), built and started together. Firehose's wire layer talks to this.
 */
public final class Firehose {

  private static final Pattern STREAM_ARN =
      Pattern.compile("arn:aws[a-z-]*:kinesis:([a-zA-Z0-9-]+):(\\d{12}):stream/([a-zA-Z0-9_.-]+)");

  /**
   * What Firehose is configured with.
   *
   * @param limits           the registry's limits and delays
   * @param maxBufferedBytes undelivered bytes a delivery stream may hold
   * @param objects          where S3 destinations' objects go
   * @param lambda           the client of the Lambda Invoke endpoint, or null when none is configured
   * @param directPutLimits  whether Direct PUT quotas are enforced
   * @param httpEndpointTimeoutMillis how long an HTTP endpoint may take to answer one request
   * @param destinations     what the Redshift, OpenSearch and Splunk destinations need from the server
   */
  public record Settings(DeliveryStreamRegistry.Limits limits, long maxBufferedBytes, ObjectStore objects,
                         LambdaClient lambda, boolean directPutLimits, long httpEndpointTimeoutMillis,
                         DestinationOptions destinations) {}

  private final DeliveryStreamRegistry registry;
  private final Deliveries deliveries;
  private final ObjectStore objects;
  private final LambdaClient lambda;
  private final DestinationRules.Capabilities capabilities;
  private final StreamRegistry streams;

  private Firehose(DeliveryStreamRegistry registry, Deliveries deliveries, ObjectStore objects, LambdaClient lambda,
                   DestinationRules.Capabilities capabilities, StreamRegistry streams) {
    this.registry = registry;
    this.deliveries = deliveries;
    this.objects = objects;
    this.lambda = lambda;
    this.capabilities = capabilities;
    this.streams = streams;
  }

  /**
   * Wires Firehose: metadata in {@code <dataDir>/meta/firehose.json} and buffers under {@code <dataDir>/firehose}
   * ({@code dataDir} null: in memory); Kinesis-stream sources read {@code streams}. Call {@link #start()} before use.
   */
  public static Firehose create(Vertx vertx, Path dataDir, SegmentIo io, ShardSettings shardSettings,
                                StreamRegistry streams, Settings settings, MeterRegistry meters, Clock clock) {
    WorkerExecutor worker = vertx.createSharedWorkerExecutor("millrace-firehose", 8);
    Deliveries deliveries = new Deliveries(vertx, dataDir, shardSettings, io, new DeliveryStreamVerticle.Settings(
        settings.maxBufferedBytes(), settings.objects(), worker, io, streams, settings.directPutLimits(),
        settings.lambda(), settings.httpEndpointTimeoutMillis(), settings.destinations(),
        new RequestPermits(RequestPermits.SERVER_WIDE), clock), meters);
    FirehoseCommitter committer = new FirehoseCommitter(vertx, vertx.getOrCreateContext(),
        dataDir == null ? null : dataDir.resolve("meta"), io);
    DeliveryStreamRegistry registry = new DeliveryStreamRegistry(vertx, committer, deliveries, settings.limits(),
        clock);
    return new Firehose(registry, deliveries, settings.objects(), settings.lambda(),
        new DestinationRules.Capabilities(settings.lambda() != null, settings.destinations()), streams);
  }

  /** The stream a Kinesis stream ARN names; InvalidArgument if it is not one. */
  static StreamKey streamKey(String kinesisStreamArn) {
    Matcher m = STREAM_ARN.matcher(kinesisStreamArn);
    if (!m.matches()) {
      throw new KinesisException.InvalidArgument("KinesisStreamARN " + kinesisStreamArn + " is not a Kinesis stream "
          + "ARN.");
    }
    return new StreamKey(m.group(2), m.group(1), m.group(3));
  }

  /** Loads the delivery streams and resumes their deliveries. */
  public Future<Void> start() {
    return registry.start();
  }

  /** Releases the clients of external stores; call after the deliveries stopped (with Vert.x). */
  public void close() {
    if (lambda != null) {
      lambda.close();
    }
    if (objects instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException("could not close " + objects.describe(), e);
      }
    }
  }

  public DeliveryStreamRegistry registry() {
    return registry;
  }

  public Deliveries deliveries() {
    return deliveries;
  }

  public DestinationRules.Capabilities capabilities() {
    return capabilities;
  }

  /** The Kinesis stream a KinesisStreamSourceConfiguration names, which must exist on this server. */
  public StreamKey requireSourceStream(String kinesisStreamArn) {
    StreamKey key = streamKey(kinesisStreamArn);
    if (streams.find(key).isEmpty()) {
      throw new KinesisException.InvalidArgument("The Kinesis stream " + kinesisStreamArn + " does not exist; "
          + "create it before the delivery stream that reads it.");
    }
    return key;
  }
}
