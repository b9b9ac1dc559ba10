package io.millrace.firehose;

import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes one batch for an S3 destination into staging files, one per object: every record of the batch in one object,
 * or, with dynamic partitioning, one object per distinct prefix the records' partition keys give. Records are
 * concatenated as they are (Firehose adds no delimiter; the AppendDelimiterToRecord processor does) and compressed as
 * configured. Memory stays small whatever the batch size: records go straight to the files.
 *
 * <p>Blocking and single-threaded: used on one worker task at a time.
 */
final class S3ObjectWriter implements AutoCloseable {

  /** A finished object, ready to be stored. */
  record StagedObject(String bucket, String key, Path file, long records, long bytes, String contentEncoding) {}

  private static final class Open {
    final Path file;
    final OutputStream out;
    final long oldestArrival;
    final Map<String, String> partitionKeys;
    long records;
    long bytes;

    Open(Path file, OutputStream out, long oldestArrival, Map<String, String> partitionKeys) {
      this.file = file;
      this.out = out;
      this.oldestArrival = oldestArrival;
      this.partitionKeys = partitionKeys;
    }
  }

  /** The most objects one batch writes with dynamic partitioning: Firehose's default quota of active partitions. */
  static final int MAX_PARTITIONS = 500;

  private final String deliveryStream;
  private final long version;
  private final ExtendedS3DestinationConfiguration config;
  private final Compression compression;
  private final boolean partitioned;
  private final Path staging;
  private final String batchId;
  private final ZoneId zone;
  private final Map<Map<String, String>, Open> objects = new LinkedHashMap<>();

  /**
   * @param staging the directory for this writer's files (the delivery stream's staging directory)
   * @param batchId names this batch's files there
   */
  S3ObjectWriter(String deliveryStream, long version, ExtendedS3DestinationConfiguration config, Path staging,
                 String batchId) {
    this.deliveryStream = deliveryStream;
    this.version = version;
    this.config = config;
    this.compression = Compression.of(config.compressionFormat());
    this.partitioned = config.dynamicPartitioningConfiguration() != null
        && Boolean.TRUE.equals(config.dynamicPartitioningConfiguration().enabled());
    this.staging = staging;
    this.batchId = batchId;
    this.zone = config.customTimeZone() == null || config.customTimeZone().isEmpty() ? ZoneOffset.UTC
        : ZoneId.of(config.customTimeZone());
  }

  /**
   * Appends records (in order) to their objects. With dynamic partitioning, a record that fits no object comes back as
   * a failed record, for the error prefix, as Firehose sends it there: one whose partition keys leave an expression of
   * the prefix without a value, and one that would open a partition past {@link #MAX_PARTITIONS} in this batch.
   */
  List<FailedRecord> add(List<FirehoseRecord> records) throws IOException {
    List<FailedRecord> failed = List.of();
    for (FirehoseRecord r : records) {
      Map<String, String> partition = partitioned ? r.partitionKeys() : Map.of();
      Open o = objects.get(partition);
      if (o == null) {
        FailedRecord refused = partitioned ? refuse(r) : null;
        if (refused != null) {
          failed = failed.isEmpty() ? new ArrayList<>() : failed;
          failed.add(refused);
          continue;
        }
        Path file = staging.resolve(batchId + "-" + objects.size());
        OutputStream out = compression.wrap(new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024));
        o = new Open(file, out, r.arrivalMillis(), partition);
        objects.put(partition, o);
      }
      o.out.write(r.data());
      o.records++;
      o.bytes += r.data().length;
    }
    return failed;
  }

  /** Why the first record of a new partition cannot be written, as a failed record; null when it can. */
  private FailedRecord refuse(FirehoseRecord r) {
    try {
      ObjectKeys.evaluate(config.prefix(), Instant.ofEpochMilli(r.arrivalMillis()), zone, null, r.partitionKeys(),
          () -> "x");
    } catch (IllegalArgumentException e) {
      return FailedRecord.of(r, ProcessingError.PARTITION_KEY_MISSING, e.getMessage() + ", which the S3 prefix "
          + config.prefix() + " uses.");
    }
    return objects.size() < MAX_PARTITIONS ? null : FailedRecord.of(r, ProcessingError.PARTITION_LIMIT_EXCEEDED);
  }

  /** Closes the files and names the objects. */
  List<StagedObject> finish() throws IOException {
    List<StagedObject> out = new ArrayList<>(objects.size());
    String bucket = bucketOf(config.bucketArn());
    String extension = config.fileExtension() != null && !config.fileExtension().isEmpty() ? config.fileExtension()
        : compression.extension();
    for (Open o : objects.values()) {
      o.out.close();
      Instant oldest = Instant.ofEpochMilli(o.oldestArrival);
      String prefix = ObjectKeys.prefix(config.prefix(), oldest, zone, null, o.partitionKeys,
          () -> ObjectKeys.randomString(ThreadLocalRandom.current()));
      String key = prefix + ObjectKeys.objectName(deliveryStream, version, oldest, zone, UUID.randomUUID(), extension);
      out.add(new StagedObject(bucket, key, o.file, o.records, o.bytes, compression.contentEncoding()));
    }
    objects.clear();
    return out;
  }

  /** Closes and deletes what is still open (a batch given up). */
  @Override
  public void close() {
    for (Open o : objects.values()) {
      try {
        o.out.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      try {
        Files.deleteIfExists(o.file);
      } catch (IOException ignored) {
        // staging is emptied at the next start
      }
    }
    objects.clear();
  }

  /** The bucket of {@code arn:aws:s3:::bucket}. */
  static String bucketOf(String bucketArn) {
    return bucketArn.substring(bucketArn.lastIndexOf(':') + 1);
  }
}
