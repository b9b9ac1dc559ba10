package io.millrace.firehose;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A delivery stream's configuration, in the shapes and member names of the Firehose API (the wire reads and writes
 * these records as they are, and the metadata keeps them). Members are null where the caller gave none; the
 * effective values, defaults filled in, are what {@link DeliveryStreamMeta} keeps once a stream is created.
 * Immutable.
 */
public final class FirehoseConfig {

  private FirehoseConfig() {}

  /** Deliver when this much is buffered or the oldest buffered record is this old, whichever comes first. */
  public record BufferingHints(Integer sizeInMBs, Integer intervalInSeconds) {}

  public record CloudWatchLoggingOptions(Boolean enabled, String logGroupName, String logStreamName) {}

  public record KmsEncryptionConfig(@JsonProperty("AWSKMSKeyARN") String awsKmsKeyArn) {}

  public record EncryptionConfiguration(String noEncryptionConfig,
                                        @JsonProperty("KMSEncryptionConfig") KmsEncryptionConfig kmsEncryptionConfig) {}

  public record ProcessorParameter(String parameterName, String parameterValue) {}

  public record Processor(String type, List<ProcessorParameter> parameters) {

    /** The parameter's value, or null. */
    public String parameter(String name) {
      if (parameters == null) {
        return null;
      }
      return parameters.stream().filter(p -> name.equals(p.parameterName())).map(ProcessorParameter::parameterValue)
          .findFirst().orElse(null);
    }
  }

  public record ProcessingConfiguration(Boolean enabled, List<Processor> processors) {

    /** The processors that run: none unless enabled. */
    public List<Processor> active() {
      return Boolean.TRUE.equals(enabled) && processors != null ? processors : List.of();
    }
  }

  public record RetryOptions(Integer durationInSeconds) {}

  public record DynamicPartitioningConfiguration(RetryOptions retryOptions, Boolean enabled) {}

  /** The plain S3 destination (and the S3 backup of the others). */
  public record S3DestinationConfiguration(@JsonProperty("RoleARN") String roleArn,
                                           @JsonProperty("BucketARN") String bucketArn, String prefix,
                                           String errorOutputPrefix, BufferingHints bufferingHints,
                                           String compressionFormat,
                                           EncryptionConfiguration encryptionConfiguration,
                                           CloudWatchLoggingOptions cloudWatchLoggingOptions) {}

  /** The S3 destination with processing, backup and dynamic partitioning. */
  public record ExtendedS3DestinationConfiguration(@JsonProperty("RoleARN") String roleArn,
                                                   @JsonProperty("BucketARN") String bucketArn, String prefix,
                                                   String errorOutputPrefix, BufferingHints bufferingHints,
                                                   String compressionFormat,
                                                   EncryptionConfiguration encryptionConfiguration,
                                                   CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                   ProcessingConfiguration processingConfiguration,
                                                   @JsonProperty("S3BackupMode") String s3BackupMode,
                                                   @JsonProperty("S3BackupConfiguration")
                                                   S3DestinationConfiguration s3BackupConfiguration,
                                                   JsonNode dataFormatConversionConfiguration,
                                                   DynamicPartitioningConfiguration dynamicPartitioningConfiguration,
                                                   String fileExtension, String customTimeZone) {}

  public record HttpEndpointConfiguration(String url, String name, String accessKey) {}

  public record HttpEndpointCommonAttribute(String attributeName, String attributeValue) {}

  public record HttpEndpointRequestConfiguration(String contentEncoding,
                                                 List<HttpEndpointCommonAttribute> commonAttributes) {}

  public record HttpEndpointDestinationConfiguration(HttpEndpointConfiguration endpointConfiguration,
                                                     BufferingHints bufferingHints,
                                                     CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                     HttpEndpointRequestConfiguration requestConfiguration,
                                                     ProcessingConfiguration processingConfiguration,
                                                     @JsonProperty("RoleARN") String roleArn,
                                                     RetryOptions retryOptions,
                                                     @JsonProperty("S3BackupMode") String s3BackupMode,
                                                     @JsonProperty("S3Configuration")
                                                     S3DestinationConfiguration s3Configuration,
                                                     JsonNode secretsManagerConfiguration) {}

  /**
   * Redshift's COPY command: the table, its columns (comma-separated; null: all, in table order) and the COPY
   * options (Millrace reads the common ones: {@code JSON 'auto'}, {@code CSV}, {@code DELIMITER}, {@code GZIP}).
   */
  public record CopyCommand(String dataTableName, String dataTableColumns, String copyOptions) {}

  /**
   * The Redshift destination, loaded into PostgreSQL: each batch goes first to the S3 configuration's bucket as an
   * intermediate object, then into the table with one COPY.
   */
  public record RedshiftDestinationConfiguration(@JsonProperty("RoleARN") String roleArn,
                                                 @JsonProperty("ClusterJDBCURL") String clusterJdbcUrl,
                                                 CopyCommand copyCommand, String username, String password,
                                                 RetryOptions retryOptions,
                                                 @JsonProperty("S3Configuration")
                                                 S3DestinationConfiguration s3Configuration,
                                                 ProcessingConfiguration processingConfiguration,
                                                 @JsonProperty("S3BackupMode") String s3BackupMode,
                                                 @JsonProperty("S3BackupConfiguration")
                                                 S3DestinationConfiguration s3BackupConfiguration,
                                                 CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                 JsonNode secretsManagerConfiguration) {}

  /** UpdateDestination's changes to a Redshift destination: members given replace the current ones. */
  public record RedshiftDestinationUpdate(@JsonProperty("RoleARN") String roleArn,
                                          @JsonProperty("ClusterJDBCURL") String clusterJdbcUrl,
                                          CopyCommand copyCommand, String username, String password,
                                          RetryOptions retryOptions,
                                          @JsonProperty("S3Update") S3DestinationUpdate s3Update,
                                          ProcessingConfiguration processingConfiguration,
                                          @JsonProperty("S3BackupMode") String s3BackupMode,
                                          @JsonProperty("S3BackupUpdate") S3DestinationUpdate s3BackupUpdate,
                                          CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                          JsonNode secretsManagerConfiguration) {}

  /** How documents get their ids: {@code FIREHOSE_DEFAULT} (Millrace gives each one) or {@code NO_DOCUMENT_ID}. */
  public record DocumentIdOptions(String defaultDocumentIdFormat) {}

  /**
   * The Amazon OpenSearch Service destination (and the Elasticsearch one, the same shape under another name),
   * delivered to an OpenSearch cluster with {@code _bulk} requests.
   */
  public record OpenSearchDestinationConfiguration(@JsonProperty("RoleARN") String roleArn,
                                                   @JsonProperty("DomainARN") String domainArn,
                                                   String clusterEndpoint, String indexName, String typeName,
                                                   String indexRotationPeriod, BufferingHints bufferingHints,
                                                   RetryOptions retryOptions,
                                                   @JsonProperty("S3BackupMode") String s3BackupMode,
                                                   @JsonProperty("S3Configuration")
                                                   S3DestinationConfiguration s3Configuration,
                                                   ProcessingConfiguration processingConfiguration,
                                                   CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                                   JsonNode vpcConfiguration, DocumentIdOptions documentIdOptions) {}

  /** UpdateDestination's changes to an OpenSearch (or Elasticsearch) destination. */
  public record OpenSearchDestinationUpdate(@JsonProperty("RoleARN") String roleArn,
                                            @JsonProperty("DomainARN") String domainArn, String clusterEndpoint,
                                            String indexName, String typeName, String indexRotationPeriod,
                                            BufferingHints bufferingHints, RetryOptions retryOptions,
                                            @JsonProperty("S3Update") S3DestinationUpdate s3Update,
                                            ProcessingConfiguration processingConfiguration,
                                            CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                            DocumentIdOptions documentIdOptions) {}

  /** The Splunk destination: a Splunk HTTP Event Collector, with indexer acknowledgement. */
  public record SplunkDestinationConfiguration(@JsonProperty("HECEndpoint") String hecEndpoint,
                                               @JsonProperty("HECEndpointType") String hecEndpointType,
                                               @JsonProperty("HECToken") String hecToken,
                                               @JsonProperty("HECAcknowledgmentTimeoutInSeconds")
                                               Integer hecAcknowledgmentTimeoutInSeconds,
                                               RetryOptions retryOptions,
                                               @JsonProperty("S3BackupMode") String s3BackupMode,
                                               @JsonProperty("S3Configuration")
                                               S3DestinationConfiguration s3Configuration,
                                               ProcessingConfiguration processingConfiguration,
                                               CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                               BufferingHints bufferingHints, JsonNode secretsManagerConfiguration) {}

  /** UpdateDestination's changes to a Splunk destination. */
  public record SplunkDestinationUpdate(@JsonProperty("HECEndpoint") String hecEndpoint,
                                        @JsonProperty("HECEndpointType") String hecEndpointType,
                                        @JsonProperty("HECToken") String hecToken,
                                        @JsonProperty("HECAcknowledgmentTimeoutInSeconds")
                                        Integer hecAcknowledgmentTimeoutInSeconds,
                                        RetryOptions retryOptions, @JsonProperty("S3BackupMode") String s3BackupMode,
                                        @JsonProperty("S3Update") S3DestinationUpdate s3Update,
                                        ProcessingConfiguration processingConfiguration,
                                        CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                        BufferingHints bufferingHints, JsonNode secretsManagerConfiguration) {}

  public record KinesisStreamSourceConfiguration(@JsonProperty("KinesisStreamARN") String kinesisStreamArn,
                                                 @JsonProperty("RoleARN") String roleArn) {}

  public record DirectPutSourceConfiguration(Integer throughputHintInMBs) {}

  public record DeliveryStreamEncryptionConfigurationInput(@JsonProperty("KeyARN") String keyArn, String keyType) {}

  public record Tag(String key, String value) {}

  /** UpdateDestination's changes to a plain S3 destination (or an S3 backup): members given replace the current. */
  public record S3DestinationUpdate(@JsonProperty("RoleARN") String roleArn, @JsonProperty("BucketARN") String bucketArn,
                                    String prefix, String errorOutputPrefix, BufferingHints bufferingHints,
                                    String compressionFormat, EncryptionConfiguration encryptionConfiguration,
                                    CloudWatchLoggingOptions cloudWatchLoggingOptions) {}

  /** UpdateDestination's changes to an S3 destination: members given replace the current ones. */
  public record ExtendedS3DestinationUpdate(@JsonProperty("RoleARN") String roleArn,
                                            @JsonProperty("BucketARN") String bucketArn, String prefix,
                                            String errorOutputPrefix, BufferingHints bufferingHints,
                                            String compressionFormat,
                                            EncryptionConfiguration encryptionConfiguration,
                                            CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                            ProcessingConfiguration processingConfiguration,
                                            @JsonProperty("S3BackupMode") String s3BackupMode,
                                            @JsonProperty("S3BackupUpdate") S3DestinationUpdate s3BackupUpdate,
                                            JsonNode dataFormatConversionConfiguration,
                                            DynamicPartitioningConfiguration dynamicPartitioningConfiguration,
                                            String fileExtension, String customTimeZone) {}

  /** UpdateDestination's changes to an HTTP endpoint destination: members given replace the current ones. */
  public record HttpEndpointDestinationUpdate(HttpEndpointConfiguration endpointConfiguration,
                                              BufferingHints bufferingHints,
                                              CloudWatchLoggingOptions cloudWatchLoggingOptions,
                                              HttpEndpointRequestConfiguration requestConfiguration,
                                              ProcessingConfiguration processingConfiguration,
                                              @JsonProperty("RoleARN") String roleArn, RetryOptions retryOptions,
                                              @JsonProperty("S3BackupMode") String s3BackupMode,
                                              @JsonProperty("S3Update") S3DestinationUpdate s3Update,
                                              JsonNode secretsManagerConfiguration) {}
}
