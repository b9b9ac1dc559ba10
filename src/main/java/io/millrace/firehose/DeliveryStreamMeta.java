package io.millrace.firehose;

import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.KinesisStreamSourceConfiguration;
import io.millrace.firehose.FirehoseConfig.Tag;
import java.util.List;

/**
 * One delivery stream as the control plane keeps it. Immutable; changes make a new value ({@code with...}).
 *
 * @param key              account, region and name
 * @param status           CREATING, ACTIVE or DELETING
 * @param type             {@code DirectPut} or {@code KinesisStreamAsSource}
 * @param createdMillis    creation time, epoch milliseconds
 * @param lastUpdateMillis time of the last configuration change, or 0 if none
 * @param versionId        the configuration version, 1 at creation, +1 per change (UpdateDestination, encryption)
 * @param destination      where records go, defaults filled in
 * @param source           the Kinesis stream read, for {@code KinesisStreamAsSource}; else null
 * @param throughputHint   DirectPutSourceConfiguration's ThroughputHintInMBs, or null
 * @param encryption       server-side encryption of the delivery stream
 * @param tags             tags, by key order
 */
public record DeliveryStreamMeta(DeliveryStreamKey key, DeliveryStreamStatus status, String type, long createdMillis,
                                 long lastUpdateMillis, long versionId, Destination destination,
                                 KinesisSource source, Integer throughputHint, Encryption encryption, List<Tag> tags) {

  public static final String DIRECT_PUT = "DirectPut";
  public static final String KINESIS_STREAM_AS_SOURCE = "KinesisStreamAsSource";
  /** Firehose has one destination per delivery stream, always named this. */
  public static final String DESTINATION_ID = "destinationId-000000000001";

  public DeliveryStreamMeta {
    tags = List.copyOf(tags);
  }

  /**
   * The one destination: exactly one of the two configurations is set.
   *
   * @param extendedS3   an S3 destination (embedded files or an S3-compatible store)
   * @param httpEndpoint an HTTP endpoint destination, with its S3 backup
   */
  public record Destination(ExtendedS3DestinationConfiguration extendedS3,
                            HttpEndpointDestinationConfiguration httpEndpoint) {}

  /**
   * A Kinesis stream as source.
   *
   * @param configuration       the stream's ARN and the role, as given
   * @param deliveryStartMillis when delivery from the stream started (records that arrived from then on are read)
   */
  public record KinesisSource(KinesisStreamSourceConfiguration configuration, long deliveryStartMillis) {}

  /**
   * Server-side encryption of the delivery stream: recorded and reported; records are kept as written.
   *
   * @param status  ENABLED or DISABLED
   * @param keyType AWS_OWNED_CMK or CUSTOMER_MANAGED_CMK, or null while disabled
   * @param keyArn  the customer key's ARN, or null
   */
  public record Encryption(String status, String keyType, String keyArn) {
    public static final Encryption DISABLED = new Encryption("DISABLED", null, null);

    public boolean enabled() {
      return "ENABLED".equals(status);
    }
  }

  public DeliveryStreamMeta withStatus(DeliveryStreamStatus next) {
    return new DeliveryStreamMeta(key, next, type, createdMillis, lastUpdateMillis, versionId, destination, source,
        throughputHint, encryption, tags);
  }

  /** A configuration change: the next version, updated at {@code nowMillis}. */
  public DeliveryStreamMeta withDestination(Destination next, long nowMillis) {
    return new DeliveryStreamMeta(key, status, type, createdMillis, nowMillis, versionId + 1, next, source,
        throughputHint, encryption, tags);
  }

  public DeliveryStreamMeta withEncryption(Encryption next, long nowMillis) {
    return new DeliveryStreamMeta(key, status, type, createdMillis, nowMillis, versionId + 1, destination, source,
        throughputHint, next, tags);
  }

  public DeliveryStreamMeta withTags(List<Tag> next) {
    return new DeliveryStreamMeta(key, status, type, createdMillis, lastUpdateMillis, versionId, destination, source,
        throughputHint, encryption, next);
  }

  public boolean directPut() {
    return DIRECT_PUT.equals(type);
  }
}
