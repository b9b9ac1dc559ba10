package io.millrace.api.firehose;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.firehose.DeliveryStreamMeta;
import io.millrace.firehose.FirehoseConfig.BufferingHints;
import io.millrace.firehose.FirehoseConfig.CloudWatchLoggingOptions;
import io.millrace.firehose.FirehoseConfig.CopyCommand;
import io.millrace.firehose.FirehoseConfig.DocumentIdOptions;
import io.millrace.firehose.FirehoseConfig.DynamicPartitioningConfiguration;
import io.millrace.firehose.FirehoseConfig.EncryptionConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointRequestConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.ProcessingConfiguration;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.RetryOptions;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.Tag;
import java.time.Instant;
import java.util.List;

/**
 * The Firehose response shapes, named as in the API model, and how a delivery stream is described in them. Members
 * that are null are left out of the answer, as Firehose leaves them out.
 */
public final class FirehoseResponses {

  private FirehoseResponses() {}

  public record CreateDeliveryStreamResponse(@JsonProperty("DeliveryStreamARN") String deliveryStreamArn) {}

  public record DescribeDeliveryStreamResponse(DeliveryStreamDescription deliveryStreamDescription) {}

  public record DeliveryStreamDescription(String deliveryStreamName,
                                          @JsonProperty("DeliveryStreamARN") String deliveryStreamArn,
                                          String deliveryStreamStatus,
                                          DeliveryStreamEncryptionConfiguration deliveryStreamEncryptionConfiguration,
                                          String deliveryStreamType, String versionId, Instant createTimestamp,
                                          Instant lastUpdateTimestamp, SourceDescription source,
                                          List<DestinationDescription> destinations, Boolean hasMoreDestinations) {}

  public record DeliveryStreamEncryptionConfiguration(@JsonProperty("KeyARN") String keyArn, String keyType,
                                                      String status) {}

  public record SourceDescription(DirectPutSourceDescription directPutSourceDescription,
                                  KinesisStreamSourceDescription kinesisStreamSourceDescription) {}

  public record DirectPutSourceDescription(Integer throughputHintInMBs) {}

  public record KinesisStreamSourceDescription(@JsonProperty("KinesisStreamARN") String kinesisStreamArn,
                                               @JsonProperty("RoleARN") String roleArn,
                                               Instant deliveryStartTimestamp) {}

  public record DestinationDescription(String destinationId,
                                       @JsonProperty("S3DestinationDescription")
                                       S3DestinationDescription s3DestinationDescription,
                                       @JsonProperty("ExtendedS3DestinationDescription")
                                       ExtendedS3DestinationDescription extendedS3DestinationDescription,
                                       HttpEndpointDestinationDescription httpEndpointDestinationDescription,
                                       RedshiftDestinationDescription redshiftDestinationDescription,
                                       OpenSearchDestinationDescription amazonopensearchserviceDestinationDescription,
                                       OpenSearchDestinationDescription elasticsearchDestinationDescription,
                                       SplunkDestinationDescription splunkDestinationDescription) {

    DestinationDescription(String destinationId, S3DestinationDescription s3, ExtendedS3DestinationDescription
        extendedS3, HttpEndpointDestinationDescription httpEndpoint) {
      this(destinationId, s3, extendedS3, httpEndpoint, null, null, null, null);
    }
  }

  /** Redshift's description: as configured, without the password. */
  public record RedshiftDestinationDescription(@JsonProperty("RoleARN") String roleArn,
                                               @JsonProperty("ClusterJDBCURL") String clusterJdbcUrl,
                                               CopyCommand copyCommand, String username, RetryOptions retryOptions,
                                               @JsonProperty("S3DestinationDescription")
                                               S3DestinationDescription s3DestinationDescription,
                                               ProcessingConfiguration processingConfiguration,
                                               @JsonProperty("S3BackupMode") String s3BackupMode,
                                               @JsonProperty("S3BackupDescription")
                                               S3DestinationDescription s3BackupDescription,
                                               CloudWatchLoggingOptions cloudWatchLoggingOptions) {}

  /** AmazonopensearchserviceDestinationDescription and ElasticsearchDestinationDescription: one shape. */
  public record OpenSearchDestinationDescription(@JsonProperty("RoleARN") String roleArn,
                                                 @JsonProperty("DomainARN") String domainArn,
                                                 String clusterEndpoint, String indexName, String typeName,
                                                 String indexRotationPeriod, BufferingHints bufferingHints,
                                                 RetryOptions retryOptions,
                                                 @JsonProperty("S3BackupMode") String s3BackupMode,
                                                 @JsonProperty("S3DestinationDescription")
                                                 S3DestinationDescription s3DestinationDescription,
                                                 ProcessingConfiguration processingConfiguration,
                                                 CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                 DocumentIdOptions documentIdOptions) {}

  public record SplunkDestinationDescription(@JsonProperty("HECEndpoint") String hecEndpoint,
                                             @JsonProperty("HECEndpointType") String hecEndpointType,
                                             @JsonProperty("HECToken") String hecToken,
                                             @JsonProperty("HECAcknowledgmentTimeoutInSeconds")
                                             Integer hecAcknowledgmentTimeoutInSeconds, RetryOptions retryOptions,
                                             @JsonProperty("S3BackupMode") String s3BackupMode,
                                             @JsonProperty("S3DestinationDescription")
                                             S3DestinationDescription s3DestinationDescription,
                                             ProcessingConfiguration processingConfiguration,
                                             CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                             BufferingHints bufferingHints) {}

  public record S3DestinationDescription(@JsonProperty("RoleARN") String roleArn,
                                         @JsonProperty("BucketARN") String bucketArn, String prefix,
                                         String errorOutputPrefix, BufferingHints bufferingHints,
                                         String compressionFormat, EncryptionConfiguration encryptionConfiguration,
                                         CloudWatchLoggingOptions cloudWatchLoggingOptions) {}

  public record ExtendedS3DestinationDescription(@JsonProperty("RoleARN") String roleArn,
                                                 @JsonProperty("BucketARN") String bucketArn, String prefix,
                                                 String errorOutputPrefix, BufferingHints bufferingHints,
                                                 String compressionFormat,
                                                 EncryptionConfiguration encryptionConfiguration,
                                                 CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                 ProcessingConfiguration processingConfiguration,
                                                 @JsonProperty("S3BackupMode") String s3BackupMode,
                                                 @JsonProperty("S3BackupDescription")
                                                 S3DestinationDescription s3BackupDescription,
                                                 JsonNode dataFormatConversionConfiguration,
                                                 DynamicPartitioningConfiguration dynamicPartitioningConfiguration,
                                                 String fileExtension, String customTimeZone) {}

  public record HttpEndpointDescription(String url, String name) {}

  public record HttpEndpointDestinationDescription(HttpEndpointDescription endpointConfiguration,
                                                   BufferingHints bufferingHints,
                                                   CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                   HttpEndpointRequestConfiguration requestConfiguration,
                                                   ProcessingConfiguration processingConfiguration,
                                                   @JsonProperty("RoleARN") String roleArn,
                                                   RetryOptions retryOptions,
                                                   @JsonProperty("S3BackupMode") String s3BackupMode,
                                                   @JsonProperty("S3DestinationDescription")
                                                   S3DestinationDescription s3DestinationDescription) {}

  public record ListDeliveryStreamsResponse(List<String> deliveryStreamNames, Boolean hasMoreDeliveryStreams) {}

  public record PutRecordResponse(String recordId, Boolean encrypted) {}

  public record PutRecordBatchResponseEntry(String recordId, String errorCode, String errorMessage) {}

  public record PutRecordBatchResponse(Integer failedPutCount, Boolean encrypted,
                                       List<PutRecordBatchResponseEntry> requestResponses) {}

  public record ListTagsForDeliveryStreamResponse(List<Tag> tags, Boolean hasMoreTags) {}

  // ---- a delivery stream as DescribeDeliveryStream shows it ----

  static DeliveryStreamDescription describe(DeliveryStreamMeta m) {
    DeliveryStreamEncryptionConfiguration encryption = m.directPut()
        ? new DeliveryStreamEncryptionConfiguration(m.encryption().keyArn(), m.encryption().keyType(),
            m.encryption().status())
        : null;
    SourceDescription source = m.source() != null
        ? new SourceDescription(null, new KinesisStreamSourceDescription(
            m.source().configuration().kinesisStreamArn(), m.source().configuration().roleArn(),
            Instant.ofEpochMilli(m.source().deliveryStartMillis())))
        : m.throughputHint() != null ? new SourceDescription(new DirectPutSourceDescription(m.throughputHint()), null)
        : null;
    return new DeliveryStreamDescription(m.key().name(), m.key().arn(), m.status().name(), encryption, m.type(),
        String.valueOf(m.versionId()), Instant.ofEpochMilli(m.createdMillis()),
        m.lastUpdateMillis() == 0 ? null : Instant.ofEpochMilli(m.lastUpdateMillis()), source,
        List.of(destination(m.destination())), false);
  }

  private static DestinationDescription destination(DeliveryStreamMeta.Destination d) {
    if (d.extendedS3() != null) {
      ExtendedS3DestinationConfiguration c = d.extendedS3();
      return new DestinationDescription(DeliveryStreamMeta.DESTINATION_ID, new S3DestinationDescription(c.roleArn(),
          c.bucketArn(), c.prefix(), c.errorOutputPrefix(), c.bufferingHints(), c.compressionFormat(),
          c.encryptionConfiguration(), c.cloudWatchLoggingOptions()),
          new ExtendedS3DestinationDescription(c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(),
              c.bufferingHints(), c.compressionFormat(), c.encryptionConfiguration(), c.cloudWatchLoggingOptions(),
              c.processingConfiguration(), c.s3BackupMode(), plain(c.s3BackupConfiguration()),
              c.dataFormatConversionConfiguration(), c.dynamicPartitioningConfiguration(), c.fileExtension(),
              c.customTimeZone()), null);
    }
    String id = DeliveryStreamMeta.DESTINATION_ID;
    switch (d.kind()) {
      case REDSHIFT -> {
        RedshiftDestinationConfiguration r = d.redshift();
        return new DestinationDescription(id, null, null, null, new RedshiftDestinationDescription(r.roleArn(),
            r.clusterJdbcUrl(), r.copyCommand(), r.username(), r.retryOptions(), plain(r.s3Configuration()),
            r.processingConfiguration(), r.s3BackupMode(), plain(r.s3BackupConfiguration()),
            r.cloudWatchLoggingOptions()), null, null, null);
      }
      case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> {
        OpenSearchDestinationConfiguration o = d.openSearch();
        OpenSearchDestinationDescription os = new OpenSearchDestinationDescription(o.roleArn(), o.domainArn(),
            o.clusterEndpoint(), o.indexName(), o.typeName(), o.indexRotationPeriod(), o.bufferingHints(),
            o.retryOptions(), o.s3BackupMode(), plain(o.s3Configuration()), o.processingConfiguration(),
            o.cloudWatchLoggingOptions(), o.documentIdOptions());
        boolean es = d.elasticsearch() != null;
        return new DestinationDescription(id, null, null, null, null, es ? null : os, es ? os : null, null);
      }
      case SPLUNK -> {
        SplunkDestinationConfiguration s = d.splunk();
        return new DestinationDescription(id, null, null, null, null, null, null, new SplunkDestinationDescription(
            s.hecEndpoint(), s.hecEndpointType(), s.hecToken(), s.hecAcknowledgmentTimeoutInSeconds(),
            s.retryOptions(), s.s3BackupMode(), plain(s.s3Configuration()), s.processingConfiguration(),
            s.cloudWatchLoggingOptions(), s.bufferingHints()));
      }
      default -> { }
    }
    HttpEndpointDestinationConfiguration c = d.httpEndpoint();
    return new DestinationDescription(DeliveryStreamMeta.DESTINATION_ID, null, null,
        new HttpEndpointDestinationDescription(new HttpEndpointDescription(c.endpointConfiguration().url(),
            c.endpointConfiguration().name()), c.bufferingHints(), c.cloudWatchLoggingOptions(),
            c.requestConfiguration(), c.processingConfiguration(), c.roleArn(), c.retryOptions(), c.s3BackupMode(),
            plain(c.s3Configuration())));
  }

  private static S3DestinationDescription plain(S3DestinationConfiguration c) {
    return c == null ? null : new S3DestinationDescription(c.roleArn(), c.bucketArn(), c.prefix(),
        c.errorOutputPrefix(), c.bufferingHints(), c.compressionFormat(), c.encryptionConfiguration(),
        c.cloudWatchLoggingOptions());
  }
}
