package io.millrace.firehose;

import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.BufferingHints;
import io.millrace.firehose.FirehoseConfig.KinesisStreamSourceConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.ProcessingConfiguration;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationConfiguration;
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
   * The one destination: exactly one of the configurations is set.
   *
   * @param extendedS3              an S3 destination (embedded files or an S3-compatible store)
   * @param httpEndpoint            an HTTP endpoint destination, with its S3 backup
   * @param redshift                a Redshift destination, loaded into PostgreSQL through intermediate S3 objects
   * @param amazonopensearchservice an Amazon OpenSearch Service destination (an OpenSearch cluster)
   * @param elasticsearch           an Elasticsearch destination (the same, under Firehose's older name)
   * @param splunk                  a Splunk destination (an HTTP Event Collector)
   */
  public record Destination(ExtendedS3DestinationConfiguration extendedS3,
                            HttpEndpointDestinationConfiguration httpEndpoint,
                            RedshiftDestinationConfiguration redshift,
                            OpenSearchDestinationConfiguration amazonopensearchservice,
                            OpenSearchDestinationConfiguration elasticsearch,
                            SplunkDestinationConfiguration splunk) {

    /** An S3 or HTTP endpoint destination. */
    public Destination(ExtendedS3DestinationConfiguration extendedS3,
                       HttpEndpointDestinationConfiguration httpEndpoint) {
      this(extendedS3, httpEndpoint, null, null, null, null);
    }

    public static Destination of(RedshiftDestinationConfiguration c) {
      return new Destination(null, null, c, null, null, null);
    }

    public static Destination ofOpenSearch(OpenSearchDestinationConfiguration c, boolean elasticsearch) {
      return elasticsearch ? new Destination(null, null, null, null, c, null)
          : new Destination(null, null, null, c, null, null);
    }

    public static Destination of(SplunkDestinationConfiguration c) {
      return new Destination(null, null, null, null, null, c);
    }

    /** Which destination this is. */
    public DestinationKind kind() {
      if (extendedS3 != null) {
        return DestinationKind.S3;
      }
      if (httpEndpoint != null) {
        return DestinationKind.HTTP_ENDPOINT;
      }
      if (redshift != null) {
        return DestinationKind.REDSHIFT;
      }
      if (amazonopensearchservice != null) {
        return DestinationKind.AMAZON_OPENSEARCH_SERVICE;
      }
      return elasticsearch != null ? DestinationKind.ELASTICSEARCH : DestinationKind.SPLUNK;
    }

    /** The OpenSearch configuration, under either name; null for other destinations. */
    public OpenSearchDestinationConfiguration openSearch() {
      return amazonopensearchservice != null ? amazonopensearchservice : elasticsearch;
    }

    /** When a batch is due (a Redshift destination buffers by its S3 configuration's hints). */
    public BufferingHints buffering() {
      return switch (kind()) {
        case S3 -> extendedS3.bufferingHints();
        case HTTP_ENDPOINT -> httpEndpoint.bufferingHints();
        case REDSHIFT -> redshift.s3Configuration().bufferingHints();
        case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> openSearch().bufferingHints();
        case SPLUNK -> splunk.bufferingHints();
      };
    }

    /** The processors the destination's records go through (null: none). */
    public ProcessingConfiguration processing() {
      return switch (kind()) {
        case S3 -> extendedS3.processingConfiguration();
        case HTTP_ENDPOINT -> httpEndpoint.processingConfiguration();
        case REDSHIFT -> redshift.processingConfiguration();
        case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> openSearch().processingConfiguration();
        case SPLUNK -> splunk.processingConfiguration();
      };
    }

    /** The S3 configuration that holds what the destination could not take (and backups); null for S3. */
    public S3DestinationConfiguration s3Configuration() {
      return switch (kind()) {
        case S3 -> null;
        case HTTP_ENDPOINT -> httpEndpoint.s3Configuration();
        case REDSHIFT -> redshift.s3Configuration();
        case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> openSearch().s3Configuration();
        case SPLUNK -> splunk.s3Configuration();
      };
    }
  }

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
