package io.millrace.api.firehose;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.millrace.firehose.FirehoseConfig.BufferingHints;
import io.millrace.firehose.FirehoseConfig.CloudWatchLoggingOptions;
import io.millrace.firehose.FirehoseConfig.CopyCommand;
import io.millrace.firehose.FirehoseConfig.DeliveryStreamEncryptionConfigurationInput;
import io.millrace.firehose.FirehoseConfig.DirectPutSourceConfiguration;
import io.millrace.firehose.FirehoseConfig.DocumentIdOptions;
import io.millrace.firehose.FirehoseConfig.DynamicPartitioningConfiguration;
import io.millrace.firehose.FirehoseConfig.EncryptionConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationUpdate;
import io.millrace.firehose.FirehoseConfig.HttpEndpointCommonAttribute;
import io.millrace.firehose.FirehoseConfig.HttpEndpointConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.HttpEndpointRequestConfiguration;
import io.millrace.firehose.FirehoseConfig.KinesisStreamSourceConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.ProcessingConfiguration;
import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.ProcessorParameter;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.RetryOptions;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.S3DestinationUpdate;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.Tag;
import java.util.List;

/**
 * The Firehose request shapes, named as in the Firehose API model, each declaring its syntactic constraints once (the
 * destination configurations are the core's records, {@link io.millrace.firehose.FirehoseConfig}; their constraints
 * are declared here, under their members' paths). Rules beyond the shapes (defaults, prefixes, partitioning) are the
 * core's ({@link io.millrace.firehose.DestinationRules}).
 */
public final class FirehoseRequests {

  /** A request about one delivery stream, named by its DeliveryStreamName. */
  public interface DeliveryStreamScoped {
    String deliveryStreamName();
  }


  private FirehoseRequests() {}

  static final String NAME_PATTERN = "[a-zA-Z0-9_.-]+";
  static final String ROLE_ARN_PATTERN = "arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+";
  static final String BUCKET_ARN_PATTERN = "arn:.*:s3:::[\\w\\.\\-]{1,255}";
  static final String KINESIS_STREAM_ARN_PATTERN = "arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+";
  static final String KMS_KEY_ARN_PATTERN = "arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:key/[a-zA-Z_0-9+=,.@\\-_/]+";
  static final String KMS_KEY_OR_ALIAS_ARN_PATTERN =
      "arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+";
  /** FileExtension's pattern as Firehose prints it in its message (the model writes it {@code ^$|\.[...]+}). */
  static final String FILE_EXTENSION_PATTERN = "^(|\\.[0-9a-z!\\-_.*'()]+)$";
  static final String TAG_KEY_PATTERN = "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$";
  static final String TAG_VALUE_PATTERN = "^[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$";
  static final String NOT_BLANK = "^(?!\\s*$).+";
  /**
   * An HTTP endpoint's URL: the model says {@code https://.*}; Millrace also takes {@code http://} for endpoints on
   * the same machine or network (docs/protocol-notes.md).
   */
  static final String URL_PATTERN = "https?://.*";
  /** CompressionFormat's values in the order Firehose lists them in its message. */
  static final List<String> COMPRESSION_FORMATS = List.of("ZIP", "HADOOP_SNAPPY", "Snappy", "GZIP", "UNCOMPRESSED");
  static final List<String> DELIVERY_STREAM_TYPES = List.of("DirectPut", "KinesisStreamAsSource", "MSKAsSource",
      "DatabaseAsSource");
  static final List<String> PROCESSOR_TYPES = List.of("RecordDeAggregation", "Decompression",
      "CloudWatchLogProcessing", "Lambda", "MetadataExtraction", "AppendDelimiterToRecord");
  static final List<String> PARAMETER_NAMES = List.of("LambdaArn", "NumberOfRetries", "MetadataExtractionQuery",
      "JsonParsingEngine", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds", "SubRecordType", "Delimiter",
      "CompressionFormat", "DataMessageExtraction");

  static void checkName(Validator v, String name) {
    if (v.required("deliveryStreamName", name)) {
      v.string("deliveryStreamName", name, 1, 64, NAME_PATTERN);
    }
  }

  // ---- destination configurations, declared once per shape ----

  static void bufferingHints(Validator v, String path, BufferingHints h, int maxSize) {
    if (h != null) {
      v.range(path + ".sizeInMBs", h.sizeInMBs(), 1, maxSize).range(path + ".intervalInSeconds",
          h.intervalInSeconds(), 0, 900);
    }
  }

  static void encryption(Validator v, String path, EncryptionConfiguration e) {
    if (e == null) {
      return;
    }
    v.oneOf(path + ".noEncryptionConfig", e.noEncryptionConfig(), List.of("NoEncryption"));
    if (e.kmsEncryptionConfig() != null) {
      v.requiredString(path + ".kMSEncryptionConfig.aWSKMSKeyARN", e.kmsEncryptionConfig().awsKmsKeyArn(), 1, 512,
          KMS_KEY_OR_ALIAS_ARN_PATTERN);
    }
  }

  static void logging(Validator v, String path, CloudWatchLoggingOptions o) {
    if (o != null) {
      v.string(path + ".logGroupName", o.logGroupName(), 0, 512, "[\\.\\-_/#A-Za-z0-9]*")
          .string(path + ".logStreamName", o.logStreamName(), 0, 512, "[^:*]*");
    }
  }

  static void processing(Validator v, String path, ProcessingConfiguration p) {
    if (p == null || p.processors() == null) {
      return;
    }
    List<Processor> processors = p.processors();
    for (int i = 0; i < processors.size(); i++) {
      Processor processor = processors.get(i);
      String at = path + ".processors." + (i + 1) + ".member";
      if (processor == null) {
        continue;
      }
      if (v.required(at + ".type", processor.type())) {
        v.oneOf(at + ".type", processor.type(), PROCESSOR_TYPES);
      }
      List<ProcessorParameter> parameters = processor.parameters() == null ? List.of() : processor.parameters();
      for (int j = 0; j < parameters.size(); j++) {
        ProcessorParameter parameter = parameters.get(j);
        String pat = at + ".parameters." + (j + 1) + ".member";
        if (parameter == null) {
          continue;
        }
        if (v.required(pat + ".parameterName", parameter.parameterName())) {
          v.oneOf(pat + ".parameterName", parameter.parameterName(), PARAMETER_NAMES);
        }
        v.requiredString(pat + ".parameterValue", parameter.parameterValue(), 1, 5120, NOT_BLANK);
      }
    }
  }

  static void retry(Validator v, String path, RetryOptions r) {
    if (r != null) {
      v.range(path + ".durationInSeconds", r.durationInSeconds(), 0, 7200);
    }
  }

  static void s3Members(Validator v, String path, String roleArn, String bucketArn, String prefix,
                        String errorOutputPrefix, BufferingHints hints, String compressionFormat,
                        EncryptionConfiguration encryption, CloudWatchLoggingOptions logging, boolean required) {
    if (!required || v.required(path + ".roleARN", roleArn)) {
      v.string(path + ".roleARN", roleArn, 1, 512, ROLE_ARN_PATTERN);
    }
    if (!required || v.required(path + ".bucketARN", bucketArn)) {
      v.string(path + ".bucketARN", bucketArn, 1, 2048, BUCKET_ARN_PATTERN);
    }
    v.string(path + ".prefix", prefix, 0, 1024, null).string(path + ".errorOutputPrefix", errorOutputPrefix, 0, 1024,
        null);
    bufferingHints(v, path + ".bufferingHints", hints, 128);
    v.oneOf(path + ".compressionFormat", compressionFormat, COMPRESSION_FORMATS);
    encryption(v, path + ".encryptionConfiguration", encryption);
    logging(v, path + ".cloudWatchLoggingOptions", logging);
  }

  static void s3(Validator v, String path, S3DestinationConfiguration c) {
    if (c != null) {
      s3Members(v, path, c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(), c.bufferingHints(),
          c.compressionFormat(), c.encryptionConfiguration(), c.cloudWatchLoggingOptions(), true);
    }
  }

  static void s3Update(Validator v, String path, S3DestinationUpdate u) {
    if (u != null) {
      s3Members(v, path, u.roleArn(), u.bucketArn(), u.prefix(), u.errorOutputPrefix(), u.bufferingHints(),
          u.compressionFormat(), u.encryptionConfiguration(), u.cloudWatchLoggingOptions(), false);
    }
  }

  static void extendedS3(Validator v, String path, ExtendedS3DestinationConfiguration c) {
    if (c == null) {
      return;
    }
    s3Members(v, path, c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(), c.bufferingHints(),
        c.compressionFormat(), c.encryptionConfiguration(), c.cloudWatchLoggingOptions(), true);
    extendedMembers(v, path, c.processingConfiguration(), c.s3BackupMode(), c.dynamicPartitioningConfiguration(),
        c.fileExtension(), c.customTimeZone());
    s3(v, path + ".s3BackupConfiguration", c.s3BackupConfiguration());
  }

  static void extendedS3Update(Validator v, String path, ExtendedS3DestinationUpdate u) {
    if (u == null) {
      return;
    }
    s3Members(v, path, u.roleArn(), u.bucketArn(), u.prefix(), u.errorOutputPrefix(), u.bufferingHints(),
        u.compressionFormat(), u.encryptionConfiguration(), u.cloudWatchLoggingOptions(), false);
    extendedMembers(v, path, u.processingConfiguration(), u.s3BackupMode(), u.dynamicPartitioningConfiguration(),
        u.fileExtension(), u.customTimeZone());
    s3Update(v, path + ".s3BackupUpdate", u.s3BackupUpdate());
  }

  private static void extendedMembers(Validator v, String path, ProcessingConfiguration processing, String backupMode,
                                      DynamicPartitioningConfiguration dynamic, String fileExtension,
                                      String customTimeZone) {
    processing(v, path + ".processingConfiguration", processing);
    v.oneOf(path + ".s3BackupMode", backupMode, List.of("Disabled", "Enabled"));
    if (dynamic != null) {
      retry(v, path + ".dynamicPartitioningConfiguration.retryOptions", dynamic.retryOptions());
    }
    v.string(path + ".fileExtension", fileExtension, 0, 128, FILE_EXTENSION_PATTERN)
        .string(path + ".customTimeZone", customTimeZone, 0, 50, "^$|[a-zA-Z/_]+");
  }

  static void httpEndpointMembers(Validator v, String path, HttpEndpointConfiguration endpoint,
                                  BufferingHints hints, CloudWatchLoggingOptions logging,
                                  HttpEndpointRequestConfiguration request, ProcessingConfiguration processing,
                                  String roleArn, RetryOptions retry, String backupMode, boolean required) {
    if (!required || v.required(path + ".endpointConfiguration", endpoint)) {
      if (endpoint != null) {
        v.requiredString(path + ".endpointConfiguration.url", endpoint.url(), 1, 1000, URL_PATTERN)
            .string(path + ".endpointConfiguration.name", endpoint.name(), 1, 256, NOT_BLANK)
            .string(path + ".endpointConfiguration.accessKey", endpoint.accessKey(), 0, 4096, null);
      }
    }
    bufferingHints(v, path + ".bufferingHints", hints, 64);
    logging(v, path + ".cloudWatchLoggingOptions", logging);
    if (request != null) {
      v.oneOf(path + ".requestConfiguration.contentEncoding", request.contentEncoding(), List.of("NONE", "GZIP"));
      if (request.commonAttributes() != null) {
        v.size(path + ".requestConfiguration.commonAttributes", request.commonAttributes(), 0, 50);
        List<HttpEndpointCommonAttribute> attributes = request.commonAttributes();
        for (int i = 0; i < attributes.size(); i++) {
          HttpEndpointCommonAttribute a = attributes.get(i);
          String at = path + ".requestConfiguration.commonAttributes." + (i + 1) + ".member";
          if (a != null) {
            v.requiredString(at + ".attributeName", a.attributeName(), 1, 256, NOT_BLANK)
                .requiredString(at + ".attributeValue", a.attributeValue(), 0, 1024, null);
          }
        }
      }
    }
    processing(v, path + ".processingConfiguration", processing);
    v.string(path + ".roleARN", roleArn, 1, 512, ROLE_ARN_PATTERN);
    retry(v, path + ".retryOptions", retry);
    v.oneOf(path + ".s3BackupMode", backupMode, List.of("FailedDataOnly", "AllData"));
  }

  static void httpEndpoint(Validator v, String path, HttpEndpointDestinationConfiguration c) {
    if (c == null) {
      return;
    }
    httpEndpointMembers(v, path, c.endpointConfiguration(), c.bufferingHints(), c.cloudWatchLoggingOptions(),
        c.requestConfiguration(), c.processingConfiguration(), c.roleArn(), c.retryOptions(), c.s3BackupMode(),
        true);
    if (v.required(path + ".s3Configuration", c.s3Configuration())) {
      s3(v, path + ".s3Configuration", c.s3Configuration());
    }
  }

  static void httpEndpointUpdate(Validator v, String path, HttpEndpointDestinationUpdate u) {
    if (u == null) {
      return;
    }
    httpEndpointMembers(v, path, u.endpointConfiguration(), u.bufferingHints(), u.cloudWatchLoggingOptions(),
        u.requestConfiguration(), u.processingConfiguration(), u.roleArn(), u.retryOptions(), u.s3BackupMode(),
        false);
    s3Update(v, path + ".s3Update", u.s3Update());
  }

  /** A Redshift ClusterJDBCURL: the model asks for a Redshift host; Millrace takes any host, and PostgreSQL URLs. */
  static final String JDBC_URL_PATTERN = "jdbc:(redshift|postgresql)://.+";
  static final String DOMAIN_ARN_PATTERN = "arn:.*:es:[a-zA-Z0-9\\-]+:\\d{12}:domain/[a-z][-0-9a-z]{2,27}";
  static final List<String> INDEX_ROTATIONS = List.of("NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth");

  static void redshiftMembers(Validator v, String path, String roleArn, String jdbcUrl, CopyCommand copy,
                              String username, String password, RetryOptions retry,
                              ProcessingConfiguration processing, String backupMode,
                              CloudWatchLoggingOptions logging, boolean required) {
    if (!required || v.required(path + ".roleARN", roleArn)) {
      v.string(path + ".roleARN", roleArn, 1, 512, ROLE_ARN_PATTERN);
    }
    if (!required || v.required(path + ".clusterJDBCURL", jdbcUrl)) {
      v.string(path + ".clusterJDBCURL", jdbcUrl, 1, 512, JDBC_URL_PATTERN);
    }
    if (!required || v.required(path + ".copyCommand", copy)) {
      if (copy != null) {
        v.requiredString(path + ".copyCommand.dataTableName", copy.dataTableName(), 1, 512, NOT_BLANK)
            .string(path + ".copyCommand.dataTableColumns", copy.dataTableColumns(), 0, 204800, null)
            .string(path + ".copyCommand.copyOptions", copy.copyOptions(), 0, 204800, null);
      }
    }
    v.string(path + ".username", username, 1, 512, NOT_BLANK).string(path + ".password", password, 6, 512, null);
    if (retry != null) {
      v.range(path + ".retryOptions.durationInSeconds", retry.durationInSeconds(), 0, 7200);
    }
    processing(v, path + ".processingConfiguration", processing);
    v.oneOf(path + ".s3BackupMode", backupMode, List.of("Disabled", "Enabled"));
    logging(v, path + ".cloudWatchLoggingOptions", logging);
  }

  static void redshift(Validator v, String path, RedshiftDestinationConfiguration c) {
    if (c == null) {
      return;
    }
    redshiftMembers(v, path, c.roleArn(), c.clusterJdbcUrl(), c.copyCommand(), c.username(), c.password(),
        c.retryOptions(), c.processingConfiguration(), c.s3BackupMode(), c.cloudWatchLoggingOptions(), true);
    if (v.required(path + ".username", c.username()) && v.required(path + ".s3Configuration", c.s3Configuration())) {
      s3(v, path + ".s3Configuration", c.s3Configuration());
    }
    s3(v, path + ".s3BackupConfiguration", c.s3BackupConfiguration());
  }

  static void redshiftUpdate(Validator v, String path, RedshiftDestinationUpdate u) {
    if (u == null) {
      return;
    }
    redshiftMembers(v, path, u.roleArn(), u.clusterJdbcUrl(), u.copyCommand(), u.username(), u.password(),
        u.retryOptions(), u.processingConfiguration(), u.s3BackupMode(), u.cloudWatchLoggingOptions(), false);
    s3Update(v, path + ".s3Update", u.s3Update());
    s3Update(v, path + ".s3BackupUpdate", u.s3BackupUpdate());
  }

  static void openSearchMembers(Validator v, String path, String roleArn, String domainArn, String clusterEndpoint,
                                String indexName, String typeName, String rotation, BufferingHints hints,
                                RetryOptions retry, ProcessingConfiguration processing,
                                CloudWatchLoggingOptions logging, DocumentIdOptions ids, boolean required) {
    if (!required || v.required(path + ".roleARN", roleArn)) {
      v.string(path + ".roleARN", roleArn, 1, 512, ROLE_ARN_PATTERN);
    }
    v.string(path + ".domainARN", domainArn, 1, 512, DOMAIN_ARN_PATTERN)
        .string(path + ".clusterEndpoint", clusterEndpoint, 1, 512, URL_PATTERN);
    if (!required || v.required(path + ".indexName", indexName)) {
      v.string(path + ".indexName", indexName, 1, 80, null);
    }
    v.string(path + ".typeName", typeName, 0, 100, null).oneOf(path + ".indexRotationPeriod", rotation,
        INDEX_ROTATIONS);
    bufferingHints(v, path + ".bufferingHints", hints, 100);
    retry(v, path + ".retryOptions", retry);
    processing(v, path + ".processingConfiguration", processing);
    logging(v, path + ".cloudWatchLoggingOptions", logging);
    if (ids != null && v.required(path + ".documentIdOptions.defaultDocumentIdFormat",
        ids.defaultDocumentIdFormat())) {
      v.oneOf(path + ".documentIdOptions.defaultDocumentIdFormat", ids.defaultDocumentIdFormat(),
          List.of("FIREHOSE_DEFAULT", "NO_DOCUMENT_ID"));
    }
  }

  static void openSearch(Validator v, String path, OpenSearchDestinationConfiguration c) {
    if (c == null) {
      return;
    }
    openSearchMembers(v, path, c.roleArn(), c.domainArn(), c.clusterEndpoint(), c.indexName(), c.typeName(),
        c.indexRotationPeriod(), c.bufferingHints(), c.retryOptions(), c.processingConfiguration(),
        c.cloudWatchLoggingOptions(), c.documentIdOptions(), true);
    v.oneOf(path + ".s3BackupMode", c.s3BackupMode(), List.of("FailedDocumentsOnly", "AllDocuments"));
    if (v.required(path + ".s3Configuration", c.s3Configuration())) {
      s3(v, path + ".s3Configuration", c.s3Configuration());
    }
  }

  static void openSearchUpdate(Validator v, String path, OpenSearchDestinationUpdate u) {
    if (u == null) {
      return;
    }
    openSearchMembers(v, path, u.roleArn(), u.domainArn(), u.clusterEndpoint(), u.indexName(), u.typeName(),
        u.indexRotationPeriod(), u.bufferingHints(), u.retryOptions(), u.processingConfiguration(),
        u.cloudWatchLoggingOptions(), u.documentIdOptions(), false);
    s3Update(v, path + ".s3Update", u.s3Update());
  }

  static void splunkMembers(Validator v, String path, String endpoint, String endpointType, String token,
                            Integer ackTimeout, RetryOptions retry, String backupMode, BufferingHints hints,
                            ProcessingConfiguration processing, CloudWatchLoggingOptions logging, boolean required) {
    if (!required || v.required(path + ".hECEndpoint", endpoint)) {
      v.string(path + ".hECEndpoint", endpoint, 0, 2048, URL_PATTERN);
    }
    if (!required || v.required(path + ".hECEndpointType", endpointType)) {
      v.oneOf(path + ".hECEndpointType", endpointType, List.of("Raw", "Event"));
    }
    v.string(path + ".hECToken", token, 0, 2048, null)
        .range(path + ".hECAcknowledgmentTimeoutInSeconds", ackTimeout, 180, 600);
    retry(v, path + ".retryOptions", retry);
    v.oneOf(path + ".s3BackupMode", backupMode, List.of("FailedEventsOnly", "AllEvents"));
    if (hints != null) {
      v.range(path + ".bufferingHints.intervalInSeconds", hints.intervalInSeconds(), 0, 60)
          .range(path + ".bufferingHints.sizeInMBs", hints.sizeInMBs(), 1, 5);
    }
    processing(v, path + ".processingConfiguration", processing);
    logging(v, path + ".cloudWatchLoggingOptions", logging);
  }

  static void splunk(Validator v, String path, SplunkDestinationConfiguration c) {
    if (c == null) {
      return;
    }
    splunkMembers(v, path, c.hecEndpoint(), c.hecEndpointType(), c.hecToken(), c.hecAcknowledgmentTimeoutInSeconds(),
        c.retryOptions(), c.s3BackupMode(), c.bufferingHints(), c.processingConfiguration(),
        c.cloudWatchLoggingOptions(), true);
    if (v.required(path + ".s3Configuration", c.s3Configuration())) {
      s3(v, path + ".s3Configuration", c.s3Configuration());
    }
  }

  static void splunkUpdate(Validator v, String path, SplunkDestinationUpdate u) {
    if (u == null) {
      return;
    }
    splunkMembers(v, path, u.hecEndpoint(), u.hecEndpointType(), u.hecToken(), u.hecAcknowledgmentTimeoutInSeconds(),
        u.retryOptions(), u.s3BackupMode(), u.bufferingHints(), u.processingConfiguration(),
        u.cloudWatchLoggingOptions(), false);
    s3Update(v, path + ".s3Update", u.s3Update());
  }

  static void checkTags(Validator v, String path, List<Tag> tags) {
    if (tags == null) {
      return;
    }
    v.size(path, tags, 1, 50);
    for (int i = 0; i < tags.size(); i++) {
      Tag t = tags.get(i);
      String at = path + "." + (i + 1) + ".member";
      if (t != null) {
        v.requiredString(at + ".key", t.key(), 1, 128, TAG_KEY_PATTERN)
            .string(at + ".value", t.value(), 0, 256, TAG_VALUE_PATTERN);
      }
    }
  }

  // ---- the operations' inputs ----

  public record CreateDeliveryStreamRequest(String deliveryStreamName, String deliveryStreamType,
                                            DirectPutSourceConfiguration directPutSourceConfiguration,
                                            KinesisStreamSourceConfiguration kinesisStreamSourceConfiguration,
                                            DeliveryStreamEncryptionConfigurationInput
                                                deliveryStreamEncryptionConfigurationInput,
                                            @JsonProperty("S3DestinationConfiguration")
                                            S3DestinationConfiguration s3DestinationConfiguration,
                                            @JsonProperty("ExtendedS3DestinationConfiguration")
                                            ExtendedS3DestinationConfiguration extendedS3DestinationConfiguration,
                                            HttpEndpointDestinationConfiguration httpEndpointDestinationConfiguration,
                                            RedshiftDestinationConfiguration redshiftDestinationConfiguration,
                                            OpenSearchDestinationConfiguration elasticsearchDestinationConfiguration,
                                            OpenSearchDestinationConfiguration
                                                amazonopensearchserviceDestinationConfiguration,
                                            SplunkDestinationConfiguration splunkDestinationConfiguration,
                                            @JsonProperty("AmazonOpenSearchServerlessDestinationConfiguration")
                                            JsonNode amazonOpenSearchServerlessDestinationConfiguration,
                                            @JsonProperty("MSKSourceConfiguration") JsonNode mskSourceConfiguration,
                                            JsonNode snowflakeDestinationConfiguration,
                                            JsonNode icebergDestinationConfiguration,
                                            JsonNode databaseSourceConfiguration, List<Tag> tags)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      v.oneOf("deliveryStreamType", deliveryStreamType, DELIVERY_STREAM_TYPES);
      if (directPutSourceConfiguration != null) {
        if (v.required("directPutSourceConfiguration.throughputHintInMBs",
            directPutSourceConfiguration.throughputHintInMBs())) {
          v.range("directPutSourceConfiguration.throughputHintInMBs",
              directPutSourceConfiguration.throughputHintInMBs(), 1, 100);
        }
      }
      if (kinesisStreamSourceConfiguration != null) {
        v.requiredString("kinesisStreamSourceConfiguration.kinesisStreamARN",
                kinesisStreamSourceConfiguration.kinesisStreamArn(), 1, 512, KINESIS_STREAM_ARN_PATTERN)
            .requiredString("kinesisStreamSourceConfiguration.roleARN", kinesisStreamSourceConfiguration.roleArn(), 1,
                512, ROLE_ARN_PATTERN);
      }
      encryptionInput(v, deliveryStreamEncryptionConfigurationInput);
      s3(v, "s3DestinationConfiguration", s3DestinationConfiguration);
      extendedS3(v, "extendedS3DestinationConfiguration", extendedS3DestinationConfiguration);
      httpEndpoint(v, "httpEndpointDestinationConfiguration", httpEndpointDestinationConfiguration);
      redshift(v, "redshiftDestinationConfiguration", redshiftDestinationConfiguration);
      openSearch(v, "elasticsearchDestinationConfiguration", elasticsearchDestinationConfiguration);
      openSearch(v, "amazonopensearchserviceDestinationConfiguration",
          amazonopensearchserviceDestinationConfiguration);
      splunk(v, "splunkDestinationConfiguration", splunkDestinationConfiguration);
      checkTags(v, "tags", tags);
    }
  }

  static void encryptionInput(Validator v, DeliveryStreamEncryptionConfigurationInput input) {
    if (input == null) {
      return;
    }
    v.string("deliveryStreamEncryptionConfigurationInput.keyARN", input.keyArn(), 1, 512, KMS_KEY_ARN_PATTERN);
    if (v.required("deliveryStreamEncryptionConfigurationInput.keyType", input.keyType())) {
      v.oneOf("deliveryStreamEncryptionConfigurationInput.keyType", input.keyType(),
          List.of("AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"));
    }
  }

  public record DeleteDeliveryStreamRequest(String deliveryStreamName, Boolean allowForceDelete)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
    }
  }

  public record DescribeDeliveryStreamRequest(String deliveryStreamName, Integer limit,
                                              String exclusiveStartDestinationId)
                                                  implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      v.range("limit", limit, 1, 10000)
          .string("exclusiveStartDestinationId", exclusiveStartDestinationId, 1, 100, "[a-zA-Z0-9-]+");
    }
  }

  public record ListDeliveryStreamsRequest(Integer limit, String deliveryStreamType,
                                           String exclusiveStartDeliveryStreamName) implements Validated {
    @Override
    public void validate(Validator v) {
      v.range("limit", limit, 1, 10000).oneOf("deliveryStreamType", deliveryStreamType, DELIVERY_STREAM_TYPES)
          .string("exclusiveStartDeliveryStreamName", exclusiveStartDeliveryStreamName, 1, 64, NAME_PATTERN);
    }
  }

  /** One record of PutRecord or PutRecordBatch. In a list, Firehose shows it as {@code Record(data=...)}. */
  public record Record(byte[] data) implements Validator.Shown {
    @Override
    public String shown() {
      return "Record(data=" + (data == null ? "null" : Validator.blobShown(data.length)) + ")";
    }
  }

  /** The most data a record may hold, in bytes. */
  static final int MAX_RECORD_BYTES = 1_024_000;

  public record PutRecordRequest(String deliveryStreamName, Record record) implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      if (v.required("record", record) && v.required("record.data", record.data())) {
        v.blob("record.data", record.data(), MAX_RECORD_BYTES);
      }
    }
  }

  public record PutRecordBatchRequest(String deliveryStreamName, List<Record> records)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      if (v.required("records", records)) {
        v.size("records", records, 1, 500);
        for (int i = 0; i < records.size(); i++) {
          Record r = records.get(i);
          String at = "records." + (i + 1) + ".member.data";
          if (r != null && v.required(at, r.data())) {
            v.blob(at, r.data(), MAX_RECORD_BYTES);
          }
        }
      }
    }
  }

  public record UpdateDestinationRequest(String deliveryStreamName, String currentDeliveryStreamVersionId,
                                         String destinationId,
                                         @JsonProperty("S3DestinationUpdate") S3DestinationUpdate s3DestinationUpdate,
                                         @JsonProperty("ExtendedS3DestinationUpdate")
                                         ExtendedS3DestinationUpdate extendedS3DestinationUpdate,
                                         HttpEndpointDestinationUpdate httpEndpointDestinationUpdate,
                                         RedshiftDestinationUpdate redshiftDestinationUpdate,
                                         OpenSearchDestinationUpdate elasticsearchDestinationUpdate,
                                         OpenSearchDestinationUpdate amazonopensearchserviceDestinationUpdate,
                                         SplunkDestinationUpdate splunkDestinationUpdate,
                                         @JsonProperty("AmazonOpenSearchServerlessDestinationUpdate")
                                         JsonNode amazonOpenSearchServerlessDestinationUpdate,
                                         JsonNode snowflakeDestinationUpdate, JsonNode icebergDestinationUpdate)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      v.requiredString("currentDeliveryStreamVersionId", currentDeliveryStreamVersionId, 1, 50, "[0-9]+")
          .requiredString("destinationId", destinationId, 1, 100, "[a-zA-Z0-9-]+");
      s3Update(v, "s3DestinationUpdate", s3DestinationUpdate);
      extendedS3Update(v, "extendedS3DestinationUpdate", extendedS3DestinationUpdate);
      httpEndpointUpdate(v, "httpEndpointDestinationUpdate", httpEndpointDestinationUpdate);
      redshiftUpdate(v, "redshiftDestinationUpdate", redshiftDestinationUpdate);
      openSearchUpdate(v, "elasticsearchDestinationUpdate", elasticsearchDestinationUpdate);
      openSearchUpdate(v, "amazonopensearchserviceDestinationUpdate", amazonopensearchserviceDestinationUpdate);
      splunkUpdate(v, "splunkDestinationUpdate", splunkDestinationUpdate);
    }
  }

  public record StartDeliveryStreamEncryptionRequest(String deliveryStreamName,
                                                     DeliveryStreamEncryptionConfigurationInput
                                                         deliveryStreamEncryptionConfigurationInput)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      encryptionInput(v, deliveryStreamEncryptionConfigurationInput);
    }
  }

  public record StopDeliveryStreamEncryptionRequest(String deliveryStreamName)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
    }
  }

  public record TagDeliveryStreamRequest(String deliveryStreamName, List<Tag> tags)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      if (v.required("tags", tags)) {
        checkTags(v, "tags", tags);
      }
    }
  }

  public record UntagDeliveryStreamRequest(String deliveryStreamName, List<String> tagKeys)
      implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      if (v.required("tagKeys", tagKeys)) {
        v.size("tagKeys", tagKeys, 1, 50);
        for (int i = 0; i < tagKeys.size(); i++) {
          v.requiredString("tagKeys." + (i + 1) + ".member", tagKeys.get(i), 1, 128, TAG_KEY_PATTERN);
        }
      }
    }
  }

  public record ListTagsForDeliveryStreamRequest(String deliveryStreamName, String exclusiveStartTagKey,
                                                 Integer limit) implements Validated, DeliveryStreamScoped {
    @Override
    public void validate(Validator v) {
      checkName(v, deliveryStreamName);
      v.string("exclusiveStartTagKey", exclusiveStartTagKey, 1, 128, TAG_KEY_PATTERN).range("limit", limit, 1, 50);
    }
  }
}
