package io.millrace.firehose;

import io.millrace.error.KinesisException;
import io.millrace.firehose.DeliveryStreamMeta.Destination;
import io.millrace.firehose.FirehoseConfig.BufferingHints;
import io.millrace.firehose.FirehoseConfig.CloudWatchLoggingOptions;
import io.millrace.firehose.FirehoseConfig.DocumentIdOptions;
import io.millrace.firehose.FirehoseConfig.DynamicPartitioningConfiguration;
import io.millrace.firehose.FirehoseConfig.EncryptionConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationUpdate;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.HttpEndpointRequestConfiguration;
import io.millrace.firehose.FirehoseConfig.ProcessingConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationUpdate;
import io.millrace.firehose.FirehoseConfig.RetryOptions;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.S3DestinationUpdate;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationUpdate;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;

/**
 * Firehose's rules for a destination's configuration, beyond the shapes' own constraints: the defaults Describe
 * reports (BufferingHints 5 MiB / 300 s, UNCOMPRESSED, NoEncryption, CloudWatch logging off, backup Disabled or
 * FailedDataOnly, retries 300 s), the prefix rules, dynamic partitioning's requirements, which processors run, and how
 * UpdateDestination merges. Refusals are InvalidArgumentException, in Firehose's words where they are on record (see
 * docs/protocol-notes.md). Stateless.
 */
public final class DestinationRules {

  static final BufferingHints DEFAULT_BUFFERING = new BufferingHints(5, 300);
  static final EncryptionConfiguration NO_ENCRYPTION = new EncryptionConfiguration("NoEncryption", null);
  static final CloudWatchLoggingOptions NO_LOGGING = new CloudWatchLoggingOptions(false, null, null);
  static final int DEFAULT_RETRY_SECONDS = 300;
  /** Redshift's and Splunk's default RetryOptions: an hour. */
  static final int REDSHIFT_RETRY_SECONDS = 3600;
  static final int SPLUNK_RETRY_SECONDS = 3600;
  /** Splunk's defaults: 60 s or 5 MiB, and 180 s for an indexer acknowledgement. */
  static final BufferingHints SPLUNK_BUFFERING = new BufferingHints(5, 60);
  static final int SPLUNK_ACK_SECONDS = 180;
  private static final String PREFIX_RULE = "Ths supplied prefix(es) do not satisfy the following constraint: ";

  /**
   * What this server can run, beyond the model: whether a Lambda Invoke endpoint is configured, and the OpenSearch
   * domains it knows by ARN.
   */
  public record Capabilities(boolean lambda, DestinationOptions destinations) {}

  private DestinationRules() {}

  // ---- creation ----

  /** An S3 destination as it will run: checked, defaults filled in. */
  public static ExtendedS3DestinationConfiguration extendedS3(ExtendedS3DestinationConfiguration c,
                                                              Capabilities capabilities) {
    if (c.dataFormatConversionConfiguration() != null
        && c.dataFormatConversionConfiguration().path("Enabled").asBoolean(true)) {
      throw invalid("DataFormatConversionConfiguration (Parquet or ORC output) is not supported by Millrace; remove "
          + "it or set Enabled to false.");
    }
    boolean partitioned = c.dynamicPartitioningConfiguration() != null
        && Boolean.TRUE.equals(c.dynamicPartitioningConfiguration().enabled());
    BufferingHints hints = hints(c.bufferingHints());
    checkPrefixes(c.prefix(), c.errorOutputPrefix(), partitioned);
    checkProcessing(c.processingConfiguration(), capabilities);
    if (partitioned) {
      checkPartitioning(hints, c.prefix(), c.processingConfiguration());
    }
    zone(c.customTimeZone());
    S3DestinationConfiguration backup = null;
    String backupMode = c.s3BackupMode() == null ? "Disabled" : c.s3BackupMode();
    if ("Enabled".equals(backupMode)) {
      if (c.s3BackupConfiguration() == null) {
        throw invalid("S3BackupConfiguration is required when S3BackupMode is Enabled.");
      }
      backup = plainS3(c.s3BackupConfiguration());
    } else if (c.s3BackupConfiguration() != null) {
      backup = plainS3(c.s3BackupConfiguration());
    }
    DynamicPartitioningConfiguration dynamic = c.dynamicPartitioningConfiguration() == null ? null
        : new DynamicPartitioningConfiguration(c.dynamicPartitioningConfiguration().retryOptions() == null
            ? new RetryOptions(DEFAULT_RETRY_SECONDS) : c.dynamicPartitioningConfiguration().retryOptions(),
            Boolean.TRUE.equals(c.dynamicPartitioningConfiguration().enabled()));
    return new ExtendedS3DestinationConfiguration(c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(),
        hints, c.compressionFormat() == null ? "UNCOMPRESSED" : c.compressionFormat(),
        c.encryptionConfiguration() == null ? NO_ENCRYPTION : c.encryptionConfiguration(),
        c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions(),
        c.processingConfiguration(), backupMode, backup, c.dataFormatConversionConfiguration(), dynamic,
        c.fileExtension() == null || c.fileExtension().isEmpty() ? null : c.fileExtension(), c.customTimeZone());
  }

  /** The deprecated S3DestinationConfiguration, run as the S3 destination it is. */
  public static ExtendedS3DestinationConfiguration fromPlainS3(S3DestinationConfiguration c,
                                                               Capabilities capabilities) {
    return extendedS3(new ExtendedS3DestinationConfiguration(c.roleArn(), c.bucketArn(), c.prefix(),
        c.errorOutputPrefix(), c.bufferingHints(), c.compressionFormat(), c.encryptionConfiguration(),
        c.cloudWatchLoggingOptions(), null, null, null, null, null, null, null), capabilities);
  }

  /** An S3 configuration (a backup's) with its defaults. */
  static S3DestinationConfiguration plainS3(S3DestinationConfiguration c) {
    checkPrefixes(c.prefix(), c.errorOutputPrefix(), false);
    return new S3DestinationConfiguration(c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(),
        hints(c.bufferingHints()), c.compressionFormat() == null ? "UNCOMPRESSED" : c.compressionFormat(),
        c.encryptionConfiguration() == null ? NO_ENCRYPTION : c.encryptionConfiguration(),
        c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions());
  }

  /** An HTTP endpoint destination as it will run: checked, defaults filled in. */
  public static HttpEndpointDestinationConfiguration httpEndpoint(HttpEndpointDestinationConfiguration c,
                                                                  Capabilities capabilities) {
    if (c.secretsManagerConfiguration() != null
        && c.secretsManagerConfiguration().path("Enabled").asBoolean(true)) {
      throw invalid("SecretsManagerConfiguration is not supported by Millrace; give the key as "
          + "EndpointConfiguration.AccessKey.");
    }
    checkProcessing(c.processingConfiguration(), capabilities);
    if (c.s3Configuration() == null) {
      throw invalid("S3Configuration is required for an HTTP endpoint destination: it holds the records the endpoint "
          + "could not take.");
    }
    HttpEndpointRequestConfiguration request = c.requestConfiguration() == null
        ? new HttpEndpointRequestConfiguration("NONE", List.of())
        : new HttpEndpointRequestConfiguration(c.requestConfiguration().contentEncoding() == null ? "NONE"
            : c.requestConfiguration().contentEncoding(), c.requestConfiguration().commonAttributes() == null
            ? List.of() : c.requestConfiguration().commonAttributes());
    return new HttpEndpointDestinationConfiguration(c.endpointConfiguration(), hints(c.bufferingHints()),
        c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions(), request,
        c.processingConfiguration(), c.roleArn(),
        c.retryOptions() == null || c.retryOptions().durationInSeconds() == null
            ? new RetryOptions(DEFAULT_RETRY_SECONDS) : c.retryOptions(),
        c.s3BackupMode() == null ? "FailedDataOnly" : c.s3BackupMode(), plainS3(c.s3Configuration()), null);
  }

  /** A Redshift destination as it will run: checked (its JDBC URL and COPY options too), defaults filled in. */
  public static RedshiftDestinationConfiguration redshift(RedshiftDestinationConfiguration c,
                                                          Capabilities capabilities) {
    if (c.secretsManagerConfiguration() != null
        && c.secretsManagerConfiguration().path("Enabled").asBoolean(true)) {
      throw invalid("SecretsManagerConfiguration is not supported by Millrace; give Username and Password.");
    }
    if (c.password() == null || c.password().isEmpty()) {
      throw invalid("Password is required for a Redshift destination.");
    }
    try {
      RedshiftLoader.jdbcUrl(c.clusterJdbcUrl());
      RedshiftLoader.checkNames(c.copyCommand());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    S3DestinationConfiguration s3 = plainS3(c.s3Configuration());
    CopyOptions options;
    try {
      options = CopyOptions.parse(c.copyCommand().copyOptions());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    boolean gzipObjects = "GZIP".equals(s3.compressionFormat());
    if (!gzipObjects && !"UNCOMPRESSED".equals(s3.compressionFormat())) {
      throw invalid("CompressionFormat " + s3.compressionFormat() + " is not supported for Redshift; its COPY reads "
          + "UNCOMPRESSED or GZIP objects.");
    }
    if (gzipObjects != options.gzip()) {
      throw invalid(gzipObjects ? "The S3 configuration compresses objects with GZIP, so CopyOptions must include "
          + "GZIP." : "CopyOptions include GZIP, so the S3 configuration's CompressionFormat must be GZIP.");
    }
    checkProcessing(c.processingConfiguration(), capabilities);
    String backupMode = c.s3BackupMode() == null ? "Disabled" : c.s3BackupMode();
    if ("Enabled".equals(backupMode) && c.s3BackupConfiguration() == null) {
      throw invalid("S3BackupConfiguration is required when S3BackupMode is Enabled.");
    }
    return new RedshiftDestinationConfiguration(c.roleArn(), c.clusterJdbcUrl(), c.copyCommand(), c.username(),
        c.password(), retry(c.retryOptions(), REDSHIFT_RETRY_SECONDS), s3, c.processingConfiguration(), backupMode,
        c.s3BackupConfiguration() == null ? null : plainS3(c.s3BackupConfiguration()),
        c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions(), null);
  }

  /** An OpenSearch (or Elasticsearch) destination as it will run: checked, defaults filled in. */
  public static OpenSearchDestinationConfiguration openSearch(OpenSearchDestinationConfiguration c,
                                                              Capabilities capabilities) {
    if ((c.clusterEndpoint() == null) == (c.domainArn() == null)) {
      throw invalid("Exactly one of ClusterEndpoint and DomainARN must be specified.");
    }
    if (c.domainArn() != null && !capabilities.destinations().openSearchDomains().containsKey(c.domainArn())) {
      throw invalid("The domain " + c.domainArn() + " is not known to this server; give its ClusterEndpoint, or "
          + "start Millrace with openSearchDomainEndpoints mapping the ARN to the cluster's URL.");
    }
    checkUrl("ClusterEndpoint", c.clusterEndpoint());
    if (c.vpcConfiguration() != null) {
      throw invalid("VpcConfiguration is not supported by Millrace; it reaches the cluster at ClusterEndpoint.");
    }
    checkProcessing(c.processingConfiguration(), capabilities);
    return new OpenSearchDestinationConfiguration(c.roleArn(), c.domainArn(), c.clusterEndpoint(), c.indexName(),
        c.typeName() == null || c.typeName().isEmpty() ? null : c.typeName(),
        c.indexRotationPeriod() == null ? "OneDay" : c.indexRotationPeriod(), hints(c.bufferingHints()),
        retry(c.retryOptions(), DEFAULT_RETRY_SECONDS),
        c.s3BackupMode() == null ? "FailedDocumentsOnly" : c.s3BackupMode(), plainS3(c.s3Configuration()),
        c.processingConfiguration(), c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions(),
        null, c.documentIdOptions() == null || c.documentIdOptions().defaultDocumentIdFormat() == null
            ? new DocumentIdOptions("FIREHOSE_DEFAULT") : c.documentIdOptions());
  }

  /** A Splunk destination as it will run: checked, defaults filled in. */
  public static SplunkDestinationConfiguration splunk(SplunkDestinationConfiguration c, Capabilities capabilities) {
    if (c.secretsManagerConfiguration() != null
        && c.secretsManagerConfiguration().path("Enabled").asBoolean(true)) {
      throw invalid("SecretsManagerConfiguration is not supported by Millrace; give the HECToken.");
    }
    if (c.hecToken() == null || c.hecToken().isEmpty()) {
      throw invalid("HECToken is required for a Splunk destination.");
    }
    checkUrl("HECEndpoint", c.hecEndpoint());
    checkProcessing(c.processingConfiguration(), capabilities);
    BufferingHints hints = c.bufferingHints() == null
        || c.bufferingHints().sizeInMBs() == null && c.bufferingHints().intervalInSeconds() == null
        ? SPLUNK_BUFFERING : hints(c.bufferingHints());
    return new SplunkDestinationConfiguration(c.hecEndpoint(), c.hecEndpointType(), c.hecToken(),
        c.hecAcknowledgmentTimeoutInSeconds() == null ? SPLUNK_ACK_SECONDS : c.hecAcknowledgmentTimeoutInSeconds(),
        retry(c.retryOptions(), SPLUNK_RETRY_SECONDS),
        c.s3BackupMode() == null ? "FailedEventsOnly" : c.s3BackupMode(), plainS3(c.s3Configuration()),
        c.processingConfiguration(), c.cloudWatchLoggingOptions() == null ? NO_LOGGING : c.cloudWatchLoggingOptions(),
        hints, null);
  }

  private static void checkUrl(String member, String url) {
    if (url == null) {
      return;
    }
    try {
      DestinationHttp.url(url);
    } catch (IllegalArgumentException e) {
      throw invalid(member + " " + e.getMessage() + ".");
    }
  }

  private static RetryOptions retry(RetryOptions given, int defaultSeconds) {
    return given == null || given.durationInSeconds() == null ? new RetryOptions(defaultSeconds) : given;
  }

  // ---- UpdateDestination ----

  /** ExtendedS3DestinationUpdate (or S3DestinationUpdate): the members given replace the current ones. */
  public static Destination update(Destination current, ExtendedS3DestinationUpdate u, Capabilities capabilities) {
    ExtendedS3DestinationConfiguration c = current.extendedS3();
    if (c == null) {
      throw typeChange(current, DestinationKind.S3);
    }
    boolean wasPartitioned = c.dynamicPartitioningConfiguration() != null
        && Boolean.TRUE.equals(c.dynamicPartitioningConfiguration().enabled());
    DynamicPartitioningConfiguration dynamic = or(u.dynamicPartitioningConfiguration(),
        c.dynamicPartitioningConfiguration());
    boolean partitioned = dynamic != null && Boolean.TRUE.equals(dynamic.enabled());
    if (partitioned != wasPartitioned) {
      throw invalid("Dynamic partitioning can only be chosen when the delivery stream is created; it cannot be "
          + (partitioned ? "enabled" : "disabled") + " with UpdateDestination.");
    }
    S3DestinationConfiguration backup = c.s3BackupConfiguration();
    if (u.s3BackupUpdate() != null) {
      backup = merge(backup, u.s3BackupUpdate());
    }
    return new Destination(extendedS3(new ExtendedS3DestinationConfiguration(or(u.roleArn(), c.roleArn()),
        or(u.bucketArn(), c.bucketArn()), or(u.prefix(), c.prefix()),
        or(u.errorOutputPrefix(), c.errorOutputPrefix()), or(u.bufferingHints(), c.bufferingHints()),
        or(u.compressionFormat(), c.compressionFormat()),
        or(u.encryptionConfiguration(), c.encryptionConfiguration()),
        or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions()),
        or(u.processingConfiguration(), c.processingConfiguration()), or(u.s3BackupMode(), c.s3BackupMode()),
        backup, or(u.dataFormatConversionConfiguration(), c.dataFormatConversionConfiguration()), dynamic,
        or(u.fileExtension(), c.fileExtension()), or(u.customTimeZone(), c.customTimeZone())), capabilities), null);
  }

  /** S3DestinationUpdate on an S3 destination: its plain members. */
  public static Destination update(Destination current, S3DestinationUpdate u, Capabilities capabilities) {
    return update(current, new ExtendedS3DestinationUpdate(u.roleArn(), u.bucketArn(), u.prefix(),
        u.errorOutputPrefix(), u.bufferingHints(), u.compressionFormat(), u.encryptionConfiguration(),
        u.cloudWatchLoggingOptions(), null, null, null, null, null, null, null), capabilities);
  }

  /** HttpEndpointDestinationUpdate: the members given replace the current ones. */
  public static Destination update(Destination current, HttpEndpointDestinationUpdate u, Capabilities capabilities) {
    HttpEndpointDestinationConfiguration c = current.httpEndpoint();
    if (c == null) {
      throw typeChange(current, DestinationKind.HTTP_ENDPOINT);
    }
    return new Destination(null, httpEndpoint(new HttpEndpointDestinationConfiguration(
        or(u.endpointConfiguration(), c.endpointConfiguration()), or(u.bufferingHints(), c.bufferingHints()),
        or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions()),
        or(u.requestConfiguration(), c.requestConfiguration()),
        or(u.processingConfiguration(), c.processingConfiguration()), or(u.roleArn(), c.roleArn()),
        or(u.retryOptions(), c.retryOptions()), or(u.s3BackupMode(), c.s3BackupMode()),
        u.s3Update() == null ? c.s3Configuration() : merge(c.s3Configuration(), u.s3Update()),
        or(u.secretsManagerConfiguration(), c.secretsManagerConfiguration())), capabilities));
  }

  /** RedshiftDestinationUpdate: the members given replace the current ones. */
  public static Destination update(Destination current, RedshiftDestinationUpdate u, Capabilities capabilities) {
    RedshiftDestinationConfiguration c = current.redshift();
    if (c == null) {
      throw typeChange(current, DestinationKind.REDSHIFT);
    }
    if ("Enabled".equals(c.s3BackupMode()) && "Disabled".equals(u.s3BackupMode())) {
      throw invalid("S3BackupMode cannot be changed from Enabled to Disabled.");
    }
    S3DestinationConfiguration backup = c.s3BackupConfiguration();
    if (u.s3BackupUpdate() != null) {
      backup = merge(backup, u.s3BackupUpdate());
    }
    return Destination.of(redshift(new RedshiftDestinationConfiguration(or(u.roleArn(), c.roleArn()),
        or(u.clusterJdbcUrl(), c.clusterJdbcUrl()), or(u.copyCommand(), c.copyCommand()),
        or(u.username(), c.username()), or(u.password(), c.password()), or(u.retryOptions(), c.retryOptions()),
        u.s3Update() == null ? c.s3Configuration() : merge(c.s3Configuration(), u.s3Update()),
        or(u.processingConfiguration(), c.processingConfiguration()), or(u.s3BackupMode(), c.s3BackupMode()),
        backup, or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions()), u.secretsManagerConfiguration()),
        capabilities));
  }

  /** AmazonopensearchserviceDestinationUpdate or ElasticsearchDestinationUpdate, on a destination of its kind. */
  public static Destination update(Destination current, OpenSearchDestinationUpdate u, boolean elasticsearch,
                                   Capabilities capabilities) {
    OpenSearchDestinationConfiguration c = elasticsearch ? current.elasticsearch()
        : current.amazonopensearchservice();
    if (c == null) {
      throw typeChange(current, elasticsearch ? DestinationKind.ELASTICSEARCH
          : DestinationKind.AMAZON_OPENSEARCH_SERVICE);
    }
    boolean endpointGiven = u.clusterEndpoint() != null || u.domainArn() != null;
    return Destination.ofOpenSearch(openSearch(new OpenSearchDestinationConfiguration(or(u.roleArn(), c.roleArn()),
        endpointGiven ? u.domainArn() : c.domainArn(), endpointGiven ? u.clusterEndpoint() : c.clusterEndpoint(),
        or(u.indexName(), c.indexName()), or(u.typeName(), c.typeName()),
        or(u.indexRotationPeriod(), c.indexRotationPeriod()), or(u.bufferingHints(), c.bufferingHints()),
        or(u.retryOptions(), c.retryOptions()), c.s3BackupMode(),
        u.s3Update() == null ? c.s3Configuration() : merge(c.s3Configuration(), u.s3Update()),
        or(u.processingConfiguration(), c.processingConfiguration()),
        or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions()), null,
        or(u.documentIdOptions(), c.documentIdOptions())), capabilities), elasticsearch);
  }

  /** SplunkDestinationUpdate: the members given replace the current ones. */
  public static Destination update(Destination current, SplunkDestinationUpdate u, Capabilities capabilities) {
    SplunkDestinationConfiguration c = current.splunk();
    if (c == null) {
      throw typeChange(current, DestinationKind.SPLUNK);
    }
    if ("AllEvents".equals(c.s3BackupMode()) && "FailedEventsOnly".equals(u.s3BackupMode())) {
      throw invalid("S3BackupMode cannot be changed from AllEvents to FailedEventsOnly.");
    }
    return Destination.of(splunk(new SplunkDestinationConfiguration(or(u.hecEndpoint(), c.hecEndpoint()),
        or(u.hecEndpointType(), c.hecEndpointType()), or(u.hecToken(), c.hecToken()),
        or(u.hecAcknowledgmentTimeoutInSeconds(), c.hecAcknowledgmentTimeoutInSeconds()),
        or(u.retryOptions(), c.retryOptions()), or(u.s3BackupMode(), c.s3BackupMode()),
        u.s3Update() == null ? c.s3Configuration() : merge(c.s3Configuration(), u.s3Update()),
        or(u.processingConfiguration(), c.processingConfiguration()),
        or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions()), or(u.bufferingHints(), c.bufferingHints()),
        u.secretsManagerConfiguration()), capabilities));
  }

  /** The refusal of an update of another destination type than the stream's. */
  public static KinesisException typeChange(Destination current, DestinationKind to) {
    return invalid("Changing the destination type to or from " + typeName(to == DestinationKind.S3 ? current.kind()
        : to) + " is not supported at this time.");
  }

  private static String typeName(DestinationKind kind) {
    return switch (kind) {
      case S3 -> "S3";
      case HTTP_ENDPOINT -> "HttpEndpoint";
      case REDSHIFT -> "Redshift";
      case AMAZON_OPENSEARCH_SERVICE -> "AmazonOpenSearchService";
      case ELASTICSEARCH -> "Elasticsearch";
      case SPLUNK -> "Splunk";
    };
  }

  private static S3DestinationConfiguration merge(S3DestinationConfiguration c, S3DestinationUpdate u) {
    if (c == null) {
      if (u.bucketArn() == null || u.roleArn() == null) {
        throw invalid("An S3 backup needs BucketARN and RoleARN.");
      }
      c = new S3DestinationConfiguration(null, null, null, null, null, null, null, null);
    }
    return plainS3(new S3DestinationConfiguration(or(u.roleArn(), c.roleArn()), or(u.bucketArn(), c.bucketArn()),
        or(u.prefix(), c.prefix()), or(u.errorOutputPrefix(), c.errorOutputPrefix()),
        or(u.bufferingHints(), c.bufferingHints()), or(u.compressionFormat(), c.compressionFormat()),
        or(u.encryptionConfiguration(), c.encryptionConfiguration()),
        or(u.cloudWatchLoggingOptions(), c.cloudWatchLoggingOptions())));
  }

  private static <T> T or(T given, T current) {
    return given != null ? given : current;
  }

  // ---- the rules ----

  private static BufferingHints hints(BufferingHints given) {
    if (given == null || given.sizeInMBs() == null && given.intervalInSeconds() == null) {
      return DEFAULT_BUFFERING;
    }
    if (given.sizeInMBs() == null || given.intervalInSeconds() == null) {
      throw invalid("BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, you must "
          + "also provide a value for the other.");
    }
    return given;
  }

  private static void checkPrefixes(String prefix, String errorOutputPrefix, boolean partitioned) {
    List<ObjectKeys.Expression> inPrefix = expressions(prefix);
    List<ObjectKeys.Expression> inErrorPrefix = expressions(errorOutputPrefix);
    boolean errorPrefixGiven = errorOutputPrefix != null && !errorOutputPrefix.isEmpty();
    if (!inPrefix.isEmpty() && !errorPrefixGiven) {
      throw invalid(PREFIX_RULE + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
    }
    if (inPrefix.stream().anyMatch(e -> e.value().equals("error-output-type"))) {
      throw invalid(PREFIX_RULE + "Prefix cannot contain !{firehose:error-output-type}; it belongs in "
          + "ErrorOutputPrefix");
    }
    if (errorPrefixGiven && inErrorPrefix.stream().noneMatch(e -> e.value().equals("error-output-type"))) {
      throw invalid(PREFIX_RULE + "ErrorOutputPrefix must contain !{firehose:error-output-type}");
    }
    if (inErrorPrefix.stream().anyMatch(e -> e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_QUERY
        || e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_LAMBDA)) {
      throw invalid(PREFIX_RULE + "ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda "
          + "expressions");
    }
    boolean usesKeys = inPrefix.stream().anyMatch(e -> e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_QUERY
        || e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_LAMBDA);
    if (usesKeys && !partitioned) {
      throw invalid(PREFIX_RULE + "partitionKeyFromQuery and partitionKeyFromLambda expressions need "
          + "DynamicPartitioningConfiguration with Enabled true");
    }
  }

  private static List<ObjectKeys.Expression> expressions(String prefix) {
    try {
      return ObjectKeys.expressions(prefix);
    } catch (IllegalArgumentException e) {
      throw invalid(PREFIX_RULE + e.getMessage());
    }
  }

  private static void checkPartitioning(BufferingHints hints, String prefix, ProcessingConfiguration processing) {
    if (hints.sizeInMBs() < 64) {
      throw invalid("BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled.");
    }
    if (hints.intervalInSeconds() < 60) {
      throw invalid("BufferingHints.IntervalInSeconds must be at least 60 seconds when Dynamic Partitioning is "
          + "enabled.");
    }
    List<ObjectKeys.Expression> inPrefix = ObjectKeys.expressions(prefix);
    boolean fromQuery = inPrefix.stream().anyMatch(e -> e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_QUERY);
    boolean fromLambda = inPrefix.stream()
        .anyMatch(e -> e.namespace() == ObjectKeys.Namespace.PARTITION_KEY_FROM_LAMBDA);
    if (!fromQuery && !fromLambda) {
      throw invalid("S3 Prefix should contain Dynamic Partitioning namespaces when Dynamic Partitioning is enabled");
    }
    List<Processor> active = processing == null ? List.of() : processing.active();
    boolean lambda = active.stream().anyMatch(p -> "Lambda".equals(p.type()));
    boolean extraction = active.stream().anyMatch(p -> "MetadataExtraction".equals(p.type()));
    if (!lambda && !extraction) {
      throw invalid("Processing Configuration is not enabled when DataPartitioning is enabled");
    }
    if (fromLambda && !lambda) {
      throw invalid("Lambda should be present when S3 Prefix contains keys from partitionKeyFromLambda namespace");
    }
    if (fromQuery && !extraction) {
      throw invalid("MetadataExtraction processor should be present when S3 Prefix has partitionKeyFromQuery "
          + "namespace");
    }
  }

  private static void checkProcessing(ProcessingConfiguration processing, Capabilities capabilities) {
    if (processing == null) {
      return;
    }
    for (Processor p : processing.active()) {
      switch (p.type()) {
        case "Lambda" -> {
          if (p.parameter("LambdaArn") == null) {
            throw invalid("A Lambda processor needs the parameter LambdaArn.");
          }
          if (!capabilities.lambda()) {
            throw invalid("A Lambda processor needs a Lambda Invoke endpoint; start Millrace with lambdaEndpoint "
                + "set (for example --lambda-endpoint http://127.0.0.1:9001).");
          }
          positive(p, "NumberOfRetries", 0, 300);
          positive(p, "BufferIntervalInSeconds", 0, 900);
        }
        case "MetadataExtraction" -> {
          String engine = p.parameter("JsonParsingEngine");
          if (engine != null && !engine.equals("JQ-1.6")) {
            throw invalid("JsonParsingEngine " + engine + " is not supported; the only engine is JQ-1.6.");
          }
          String query = p.parameter("MetadataExtractionQuery");
          if (query == null) {
            throw invalid("A MetadataExtraction processor needs the parameter MetadataExtractionQuery.");
          }
          try {
            JqQuery.compile(query);
          } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
          }
        }
        case "RecordDeAggregation" -> {
          String type = p.parameter("SubRecordType");
          if (type == null || !(type.equals("JSON") || type.equals("DELIMITED"))) {
            throw invalid("A RecordDeAggregation processor needs SubRecordType JSON or DELIMITED.");
          }
          if (type.equals("DELIMITED") && p.parameter("Delimiter") == null) {
            throw invalid("A RecordDeAggregation processor with SubRecordType DELIMITED needs a Delimiter "
                + "(base64).");
          }
        }
        case "AppendDelimiterToRecord" -> { }
        default -> throw invalid("The " + p.type() + " processor is not supported by Millrace; the processors it "
            + "runs are RecordDeAggregation, Lambda, MetadataExtraction and AppendDelimiterToRecord.");
      }
    }
  }

  private static void positive(Processor p, String name, int min, int max) {
    String v = p.parameter(name);
    if (v == null) {
      return;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw invalid("Processor parameter " + name + " must be between " + min + " and " + max + ", not " + v + ".");
      }
    } catch (NumberFormatException e) {
      throw invalid("Processor parameter " + name + " must be a whole number, not " + v + ".");
    }
  }

  /** The time zone CustomTimeZone names (null or empty: UTC). */
  static ZoneId zone(String customTimeZone) {
    if (customTimeZone == null || customTimeZone.isEmpty()) {
      return java.time.ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(customTimeZone);
    } catch (DateTimeException e) {
      throw invalid("CustomTimeZone " + customTimeZone + " is not a time zone name such as Asia/Tokyo.");
    }
  }

  static KinesisException invalid(String message) {
    return new KinesisException.InvalidArgument(message);
  }
}
