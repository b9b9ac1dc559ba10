package io.millrace.firehose;

import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.ProcessingConfiguration;
import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.HttpEndpointWriter.StagedRequest;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * One batch on its way out: its records are processed (the ProcessingConfiguration's processors, in Firehose's
 * order: RecordDeAggregation, Lambda, MetadataExtraction, AppendDelimiterToRecord) and written to staging files,
 * chunk by chunk, so memory holds one chunk whatever the batch size:
 * <ul>
 *   <li>for an S3 destination, its objects ({@link S3ObjectWriter}, one per partition with dynamic partitioning),
 *       and, with S3BackupMode Enabled, the records as they arrived, before processing, in the backup bucket;</li>
 *   <li>for an HTTP endpoint, its requests ({@link HttpEndpointWriter}), and with S3BackupMode AllData every record
 *       sent also in the backup bucket (S3Configuration);</li>
 *   <li>for Redshift, its intermediate object in the S3 configuration's bucket (the COPY reads it), and with
 *       S3BackupMode Enabled the records as they arrived in the backup bucket;</li>
 *   <li>for OpenSearch and Splunk, the records in request-sized {@link RecordFile}s (their requests are built as they
 *       are sent), and with S3BackupMode AllDocuments / AllEvents every record also in the S3 configuration's
 *       bucket;</li>
 *   <li>records a processor failed, and records dynamic partitioning cannot place (a partition key the prefix uses
 *       is missing, or the batch already has 500 partitions), go as Firehose's failure records under the
 *       {@code processing-failed} error prefix: of the destination bucket, or of the other destinations' S3
 *       configuration.</li>
 * </ul>
 *
 * <p>Blocking and single-threaded: used on the delivery stream's worker, one task at a time (a Lambda processor
 * calls its function from here).
 */
final class BatchStager implements AutoCloseable {

  /**
   * What a batch became: the destination's objects (a Redshift destination's intermediate objects), requests or
   * record files (OpenSearch, Splunk), and what goes to S3 besides (backup, errors).
   */
  record Staged(List<StagedObject> objects, List<StagedRequest> requests, List<RecordFile.Staged> records,
                List<StagedObject> besides, long processingFailures) {}

  private final String deliveryStream;
  private final long version;
  private final List<RecordProcessor> processors;
  private final S3ObjectWriter objects;
  private final HttpEndpointWriter requests;
  private final RecordFile records;
  private final S3ObjectWriter backup;
  private final boolean backupRaw;
  private final ErrorRecordWriter processingFailed;
  private final Clock clock;
  private long failures;

  /**
   * @param lambda the client Lambda processors call (null when none is configured; such processors were refused)
   */
  BatchStager(DeliveryStreamMeta meta, Path staging, String batchId, LambdaClient lambda, Clock clock) {
    this.deliveryStream = meta.key().name();
    this.version = meta.versionId();
    this.clock = clock;
    DeliveryStreamMeta.Destination d = meta.destination();
    this.processors = processors(d.processing(), meta, lambda);
    S3DestinationConfiguration s3Configuration = d.s3Configuration();
    ExtendedS3DestinationConfiguration s3 = d.extendedS3();
    switch (d.kind()) {
      case S3 -> {
        objects = new S3ObjectWriter(deliveryStream, version, s3, staging, batchId);
        requests = null;
        records = null;
        backupRaw = "Enabled".equals(s3.s3BackupMode()) && s3.s3BackupConfiguration() != null;
        backup = backupRaw ? writer(s3.s3BackupConfiguration(), staging, batchId + "-backup") : null;
      }
      case REDSHIFT -> {
        objects = writer(s3Configuration, staging, batchId);
        requests = null;
        records = null;
        backupRaw = "Enabled".equals(d.redshift().s3BackupMode()) && d.redshift().s3BackupConfiguration() != null;
        backup = backupRaw ? writer(d.redshift().s3BackupConfiguration(), staging, batchId + "-backup") : null;
      }
      case HTTP_ENDPOINT -> {
        objects = null;
        requests = new HttpEndpointWriter(d.httpEndpoint(), staging, batchId, clock);
        records = null;
        backupRaw = false;
        backup = "AllData".equals(d.httpEndpoint().s3BackupMode())
            ? writer(s3Configuration, staging, batchId + "-backup") : null;
      }
      case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> {
        objects = null;
        requests = null;
        records = new RecordFile(staging, batchId + "-documents", OpenSearchDelivery.MAX_REQUEST_DOCUMENTS,
            OpenSearchDelivery.MAX_REQUEST_BYTES);
        backupRaw = false;
        backup = "AllDocuments".equals(d.openSearch().s3BackupMode())
            ? writer(s3Configuration, staging, batchId + "-backup") : null;
      }
      case SPLUNK -> {
        objects = null;
        requests = null;
        records = new RecordFile(staging, batchId + "-events", SplunkDelivery.MAX_REQUEST_EVENTS,
            SplunkDelivery.MAX_REQUEST_BYTES);
        backupRaw = false;
        backup = "AllEvents".equals(d.splunk().s3BackupMode())
            ? writer(s3Configuration, staging, batchId + "-backup") : null;
      }
      default -> throw new IllegalStateException("unknown destination " + d.kind());
    }
    processingFailed = new ErrorRecordWriter(deliveryStream, version, s3 != null ? ErrorRecordWriter.Target.of(s3)
        : ErrorRecordWriter.Target.of(s3Configuration), ErrorRecordWriter.PROCESSING_FAILED, staging, batchId);
  }

  private S3ObjectWriter writer(S3DestinationConfiguration c, Path staging, String name) {
    return new S3ObjectWriter(deliveryStream, version, asExtended(c), staging, name);
  }

  /** The processors that run, in Firehose's order whatever the order they were given in. */
  private static List<RecordProcessor> processors(ProcessingConfiguration processing, DeliveryStreamMeta meta,
                                                  LambdaClient lambda) {
    List<Processor> active = processing == null ? List.of() : processing.active();
    List<RecordProcessor> out = new ArrayList<>();
    for (String type : List.of("RecordDeAggregation", "Lambda", "MetadataExtraction", "AppendDelimiterToRecord")) {
      for (Processor p : active) {
        if (!type.equals(p.type())) {
          continue;
        }
        out.add(switch (type) {
          case "RecordDeAggregation" -> RecordDeaggregator.from(p);
          case "Lambda" -> new LambdaProcessor(lambda, lambdaSettings(p, meta));
          case "MetadataExtraction" -> MetadataExtractor.from(p);
          default -> AppendDelimiter.INSTANCE;
        });
      }
    }
    return out;
  }

  /** A Lambda processor's settings; the event names the source stream of a KinesisStreamAsSource delivery stream. */
  private static LambdaProcessor.Settings lambdaSettings(Processor p, DeliveryStreamMeta meta) {
    LambdaProcessor.Settings settings = LambdaProcessor.Settings.from(p, meta.key().arn(), meta.key().region());
    return meta.source() == null ? settings
        : settings.withSourceKinesisStreamArn(meta.source().configuration().kinesisStreamArn());
  }

  /** A backup bucket's configuration, as the S3 writer takes it (no processing, no partitioning). */
  private static ExtendedS3DestinationConfiguration asExtended(S3DestinationConfiguration c) {
    return new ExtendedS3DestinationConfiguration(c.roleArn(), c.bucketArn(), c.prefix(), c.errorOutputPrefix(),
        c.bufferingHints(), c.compressionFormat(), c.encryptionConfiguration(), c.cloudWatchLoggingOptions(), null,
        null, null, null, null, null, null);
  }

  /** Processes one chunk of the batch's records (in order) and writes what comes of them. */
  void add(List<FirehoseRecord> chunk) throws IOException {
    if (backupRaw) {
      backup.add(chunk);
    }
    ProcessingResult result = ProcessingResult.of(chunk);
    for (RecordProcessor p : processors) {
      result = result.then(p);
    }
    List<FailedRecord> failed = new ArrayList<>(result.failed());
    if (objects != null) {
      failed.addAll(objects.add(result.delivered()));
    } else {
      if (requests != null) {
        requests.add(result.delivered());
      } else {
        records.add(result.delivered());
      }
      if (backup != null) {
        backup.add(result.delivered());
      }
    }
    long now = clock.millis();
    for (FailedRecord f : failed) {
      processingFailed.add(new FirehoseRecord(f.rawData(), f.arrivalMillis()), new ErrorRecordWriter.Failure(
          f.errorCode(), f.errorMessage(), f.attemptsMade(), now, f.lambdaArn()));
    }
    failures += failed.size();
  }

  /** Closes the files and names what they hold. */
  Staged finish() throws IOException {
    List<StagedObject> besides = new ArrayList<>();
    if (backup != null) {
      besides.addAll(backup.finish());
    }
    besides.addAll(processingFailed.finish());
    return new Staged(objects == null ? List.of() : objects.finish(), requests == null ? List.of()
        : requests.finish(), records == null ? List.of() : records.finish(), besides, failures);
  }

  /** Deletes what a batch given up left behind. */
  @Override
  public void close() {
    if (objects != null) {
      objects.close();
    }
    if (requests != null) {
      requests.close();
    }
    if (records != null) {
      records.close();
    }
    if (backup != null) {
      backup.close();
    }
    processingFailed.close();
  }
}
