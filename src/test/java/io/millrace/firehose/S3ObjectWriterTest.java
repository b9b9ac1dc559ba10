package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.firehose.FirehoseConfig.DynamicPartitioningConfiguration;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3ObjectWriterTest {

  /** 2026-07-13T10:00:39.123Z */
  private static final long ARRIVAL = 1_783_936_839_123L;

  @TempDir
  Path staging;

  private static ExtendedS3DestinationConfiguration destination(String prefix, boolean partitioned) {
    return new ExtendedS3DestinationConfiguration("arn:aws:iam::000000000000:role/r", "arn:aws:s3:::bucket", prefix,
        "errors/!{firehose:error-output-type}/", null, "UNCOMPRESSED", null, null, null, null, null, null,
        partitioned ? new DynamicPartitioningConfiguration(null, true) : null, null, null);
  }

  private static FirehoseRecord record(String data, Map<String, String> keys) {
    return new FirehoseRecord(data.getBytes(UTF_8), ARRIVAL, keys);
  }

  /** Object key → content, of what the writer staged. */
  private static Map<String, String> contents(List<StagedObject> objects) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (StagedObject o : objects) {
      out.put(o.key().substring(0, o.key().lastIndexOf('/') + 1), Files.readString(o.file(), UTF_8));
    }
    return out;
  }

  @Test
  void without_dynamic_partitioning_every_record_goes_into_one_object_whatever_its_keys() throws IOException {
    try (S3ObjectWriter w = new S3ObjectWriter("s", 1, destination("logs/", false), staging, "b")) {
      assertEquals(List.of(), w.add(List.of(record("a", Map.of("k", "1")), record("b", Map.of()))));
      List<StagedObject> objects = w.finish();
      assertEquals(1, objects.size());
      assertEquals("ab", Files.readString(objects.get(0).file(), UTF_8));
      assertTrue(objects.get(0).key().startsWith("logs/2026/07/13/10/s-1-2026-07-13-10-00-39-"),
          objects.get(0).key());
    }
  }

  @Test
  void with_dynamic_partitioning_each_partition_gets_its_own_object_under_its_prefix() throws IOException {
    try (S3ObjectWriter w = new S3ObjectWriter("s", 1, destination("c=!{partitionKeyFromQuery:c}/", true), staging,
        "b")) {
      assertEquals(List.of(), w.add(List.of(record("1", Map.of("c", "x")), record("2", Map.of("c", "y")),
          record("3", Map.of("c", "x")))));
      assertEquals(Map.of("c=x/", "13", "c=y/", "2"), contents(w.finish()));
    }
  }

  @Test
  void a_record_without_a_partition_key_the_prefix_uses_fails_and_the_others_are_written() throws IOException {
    try (S3ObjectWriter w = new S3ObjectWriter("s", 1, destination("c=!{partitionKeyFromLambda:c}/", true),
        staging, "b")) {
      List<FailedRecord> failed = w.add(List.of(record("ok", Map.of("c", "x")), record("lost", Map.of("d", "x"))));
      assertEquals(1, failed.size());
      FailedRecord f = failed.get(0);
      assertEquals("lost", new String(f.rawData(), UTF_8));
      assertEquals(ProcessingError.PARTITION_KEY_MISSING.code(), f.errorCode());
      assertTrue(f.errorMessage().contains("c") && f.errorMessage().contains("c=!{partitionKeyFromLambda:c}/"),
          f.errorMessage());
      assertEquals(ARRIVAL, f.arrivalMillis());
      assertEquals(Map.of("c=x/", "ok"), contents(w.finish()));
    }
  }

  @Test
  void a_batch_writes_at_most_500_partitions_and_records_of_more_fail() throws IOException {
    List<FirehoseRecord> records = new ArrayList<>();
    for (int i = 0; i <= S3ObjectWriter.MAX_PARTITIONS; i++) {
      records.add(record("r" + i, Map.of("c", Integer.toString(i))));
    }
    records.add(record("again", Map.of("c", "0")));
    try (S3ObjectWriter w = new S3ObjectWriter("s", 1, destination("c=!{partitionKeyFromQuery:c}/", true), staging,
        "b")) {
      List<FailedRecord> failed = w.add(records);
      assertEquals(List.of("r500"), failed.stream().map(f -> new String(f.rawData(), UTF_8)).toList());
      assertEquals(ProcessingError.PARTITION_LIMIT_EXCEEDED.code(), failed.get(0).errorCode());
      Map<String, String> written = contents(w.finish());
      assertEquals(500, written.size());
      assertEquals("r0again", written.get("c=0/"), "an open partition still takes records");
    }
  }
}
