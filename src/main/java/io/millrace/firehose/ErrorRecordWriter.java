package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes the failure records of records Firehose could not deliver or process into one staged S3 object under the
 * error prefix ({@code !{firehose:error-output-type}} = {@code http-endpoint-failed}, {@code processing-failed}). One
 * JSON object per record, each ended by a newline, members in this order [firehose-facts 4.4; fh-guide
 * basic-deliver.md]:
 * <pre>
 * {"attemptsMade":N,"arrivalTimestamp":ms,"errorCode":"...","errorMessage":"...","attemptEndingTimestamp":ms,
 *  "rawData":"&lt;base64&gt;"}
 * </pre>
 * (on one line), with {@code "lambdaARN":"..."} last for a Lambda processing failure. Member order means nothing to
 * JSON readers; this is the order of Firehose's documented HTTP endpoint record. Kinesis-sourced records would also
 * carry {@code subsequenceNumber} and {@code dataId}; Direct PUT records have neither.
 *
 * <p>The object is compressed with the target's CompressionFormat and named like a delivered object:
 * {@code <error prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>}, the time being the oldest
 * arrival among its records; FileExtension does not apply to error objects.
 *
 * <p>Blocking and single-threaded: used on one worker task at a time.
 */
final class ErrorRecordWriter implements AutoCloseable {

  /** The error output type of records an HTTP endpoint did not take. */
  static final String HTTP_ENDPOINT_FAILED = "http-endpoint-failed";
  /** The error output type of records a Lambda function failed to transform. */
  static final String PROCESSING_FAILED = "processing-failed";

  private static final JsonFactory JSON = JsonFactory.builder().build();

  /**
   * Why records failed, as each failure record states it.
   *
   * @param errorCode           e.g. {@code HttpEndpoint.DestinationException}, {@code Lambda.ProcessingFailedStatus}
   * @param errorMessage        Firehose's message
   * @param attemptsMade        attempts made before giving up
   * @param attemptEndingMillis when the last attempt ended
   * @param lambdaArn           the function, for a processing failure; else null (then no {@code lambdaARN} member)
   */
  record Failure(String errorCode, String errorMessage, int attemptsMade, long attemptEndingMillis,
                 String lambdaArn) {

    /** An HTTP endpoint's last failure ({@link HttpEndpointException#of} gives one for any failure of a send). */
    static Failure httpEndpoint(HttpEndpointException last, int attemptsMade, long attemptEndingMillis) {
      return new Failure(last.errorCode(), last.errorMessage(), attemptsMade, attemptEndingMillis, null);
    }

    /** A Lambda function's failure to transform. */
    static Failure lambda(String errorCode, String errorMessage, int attemptsMade, long attemptEndingMillis,
                          String lambdaArn) {
      return new Failure(errorCode, errorMessage, attemptsMade, attemptEndingMillis, lambdaArn);
    }
  }

  /**
   * Where error objects go: an S3 configuration's bucket, prefixes, compression and time zone.
   *
   * @param errorOutputPrefix null or empty: {@code <prefix><error-output-type>/yyyy/MM/dd/HH/} ({@link ObjectKeys})
   */
  record Target(String bucketArn, String prefix, String errorOutputPrefix, Compression compression, ZoneId zone) {

    /** An HTTP endpoint's S3 backup (its S3Configuration): UTC. */
    static Target of(S3DestinationConfiguration s3) {
      return new Target(s3.bucketArn(), s3.prefix(), s3.errorOutputPrefix(), Compression.of(s3.compressionFormat()),
          ZoneOffset.UTC);
    }

    /** An S3 destination: its CustomTimeZone, if any. */
    static Target of(ExtendedS3DestinationConfiguration s3) {
      ZoneId zone = s3.customTimeZone() == null || s3.customTimeZone().isEmpty() ? ZoneOffset.UTC
          : ZoneId.of(s3.customTimeZone());
      return new Target(s3.bucketArn(), s3.prefix(), s3.errorOutputPrefix(), Compression.of(s3.compressionFormat()),
          zone);
    }
  }

  private final String deliveryStream;
  private final long version;
  private final Target target;
  private final String errorOutputType;
  private final Path file;
  private JsonGenerator out;
  private long records;
  private long dataBytes;
  private long oldestArrival = Long.MAX_VALUE;

  /**
   * @param errorOutputType {@link #HTTP_ENDPOINT_FAILED} or {@link #PROCESSING_FAILED}
   * @param staging         the directory for this writer's file (the delivery stream's staging directory)
   * @param batchId         names this batch's file there
   */
  ErrorRecordWriter(String deliveryStream, long version, Target target, String errorOutputType, Path staging,
                    String batchId) {
    this.deliveryStream = deliveryStream;
    this.version = version;
    this.target = target;
    this.errorOutputType = errorOutputType;
    this.file = staging.resolve(batchId + "-" + errorOutputType);
  }

  /** Appends one failure record per record, all failed for the same reason. */
  void add(List<FirehoseRecord> failed, Failure failure) throws IOException {
    for (FirehoseRecord r : failed) {
      add(r, failure);
    }
  }

  /** Appends one failure record. */
  void add(FirehoseRecord failed, Failure failure) throws IOException {
    add(failed, failure, Map.of());
  }

  /**
   * Appends one failure record with the destination's own members last, in their order (an OpenSearch document's
   * {@code esDocumentId}, {@code esIndexName}; a Splunk event's {@code EventId}).
   */
  void add(FirehoseRecord failed, Failure failure, Map<String, String> extras) throws IOException {
    if (out == null) {
      out = JSON.createGenerator(target.compression().wrap(new BufferedOutputStream(Files.newOutputStream(file),
          64 * 1024)));
      out.setRootValueSeparator(null);
    }
    out.writeStartObject();
    out.writeNumberField("attemptsMade", failure.attemptsMade());
    out.writeNumberField("arrivalTimestamp", failed.arrivalMillis());
    out.writeStringField("errorCode", failure.errorCode());
    out.writeStringField("errorMessage", failure.errorMessage());
    out.writeNumberField("attemptEndingTimestamp", failure.attemptEndingMillis());
    out.writeFieldName("rawData");
    out.writeBinary(failed.data());
    if (failure.lambdaArn() != null) {
      out.writeStringField("lambdaARN", failure.lambdaArn());
    }
    for (Map.Entry<String, String> e : extras.entrySet()) {
      out.writeStringField(e.getKey(), e.getValue());
    }
    out.writeEndObject();
    out.writeRaw('\n');
    records++;
    dataBytes += failed.data().length;
    oldestArrival = Math.min(oldestArrival, failed.arrivalMillis());
  }

  /**
   * Closes the file and names the object (its {@code records} and {@code bytes} count the failed records and their
   * data); none if no record was added.
   */
  List<StagedObject> finish() throws IOException {
    if (out == null) {
      return List.of();
    }
    out.close();
    out = null;
    Instant oldest = Instant.ofEpochMilli(oldestArrival);
    String key = ObjectKeys.errorPrefix(target.errorOutputPrefix(), target.prefix(), oldest, target.zone(),
        errorOutputType, () -> ObjectKeys.randomString(ThreadLocalRandom.current()))
        + ObjectKeys.objectName(deliveryStream, version, oldest, target.zone(), UUID.randomUUID(),
            target.compression().extension());
    return List.of(new StagedObject(S3ObjectWriter.bucketOf(target.bucketArn()), key, file, records, dataBytes,
        target.compression().contentEncoding()));
  }

  /** Closes and deletes the file if it was not finished (a batch given up). */
  @Override
  public void close() {
    if (out == null) {
      return;
    }
    try {
      out.close();
    } catch (IOException ignored) {
      // the file goes anyway
    }
    out = null;
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // staging is emptied at the next start
    }
  }
}
