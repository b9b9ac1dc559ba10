package io.millrace.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.stream.StreamKey;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.MutableClock;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Retention, driven by an injected clock: expired records are never served, TRIM_HORIZON and AT_TIMESTAMP move
 * with the horizon, whole expired segments are deleted (and stay deleted across a restart), and retention changes
 * take effect at once.
 */
class RetentionIT {

  private static final String SHARD = "shardId-000000000000";

  @TempDir
  Path dataDir;

  private final MutableClock clock = new MutableClock();

  private TestServer start() {
    // Small segments so that each batch below fills segments of its own; retention passes only when a test asks.
    return TestServer.start(Map.of("inMemory", "false", "dataDir", dataDir.toString(), "segmentMaxBytes", "4096",
        "retentionCheckMillis", "3600000"), clock);
  }

  @Test
  void records_older_than_the_retention_period_are_never_served_and_the_horizon_moves() {
    try (TestServer server = start(); KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
      createActive(kinesis, "aging");
      putBatch(kinesis, "aging", "old", 40);
      clock.advance(Duration.ofHours(12));
      Instant newBatchTime = clock.instant();
      putBatch(kinesis, "aging", "new", 40);
      clock.advance(Duration.ofHours(12).plusSeconds(1));

      assertEquals(prefixed("new", 40), readAll(kinesis, "aging", ShardIteratorType.TRIM_HORIZON, null));
      assertEquals(prefixed("new", 40), readAll(kinesis, "aging", ShardIteratorType.AT_TIMESTAMP,
          newBatchTime.minus(Duration.ofHours(6))), "AT_TIMESTAMP before the horizon starts at the horizon");
    }
  }

  @Test
  void whole_expired_segments_are_deleted_counted_as_one_trim_and_stay_deleted_after_a_restart() throws Exception {
    StreamKey key = new StreamKey("000000000000", "us-east-1", "trimmed");
    long segmentsBefore;
    try (TestServer server = start(); KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
      createActive(kinesis, "trimmed");
      putBatch(kinesis, "trimmed", "old", 60);
      clock.advance(Duration.ofHours(12));
      putBatch(kinesis, "trimmed", "new", 60);
      segmentsBefore = segmentFiles(key);
      server.millrace().registry().shards().enforceRetention(key).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertEquals(0, trims(server), "a pass that deletes nothing is not a trim");
      clock.advance(Duration.ofHours(12).plusSeconds(1));

      server.millrace().registry().shards().enforceRetention(key).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      server.millrace().registry().shards().enforceRetention(key).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertEquals(1, trims(server), "one pass deleted segments; the next found nothing more to delete");

      assertTrue(segmentFiles(key) < segmentsBefore, "expired segments were deleted: " + segmentFiles(key)
          + " of " + segmentsBefore + " left");
      assertEquals(prefixed("new", 60), readAll(kinesis, "trimmed", ShardIteratorType.TRIM_HORIZON, null));
    }
    try (TestServer server = start(); KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
      assertEquals(prefixed("new", 60), readAll(kinesis, "trimmed", ShardIteratorType.TRIM_HORIZON, null));
      putBatch(kinesis, "trimmed", "after", 5);
      List<String> all = readAll(kinesis, "trimmed", ShardIteratorType.TRIM_HORIZON, null);
      assertEquals(65, all.size());
      assertEquals("after-4", all.get(64));
    }
  }

  @Test
  void a_shorter_retention_period_takes_effect_without_a_restart() {
    try (TestServer server = start(); KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
      createActive(kinesis, "shrinking");
      kinesis.increaseStreamRetentionPeriod(r -> r.streamName("shrinking").retentionPeriodHours(72));
      putBatch(kinesis, "shrinking", "old", 20);
      clock.advance(Duration.ofHours(30));
      putBatch(kinesis, "shrinking", "new", 20);
      clock.advance(Duration.ofHours(1));
      assertEquals(40, readAll(kinesis, "shrinking", ShardIteratorType.TRIM_HORIZON, null).size());

      kinesis.decreaseStreamRetentionPeriod(r -> r.streamName("shrinking").retentionPeriodHours(24));

      assertEquals(prefixed("new", 20), readAll(kinesis, "shrinking", ShardIteratorType.TRIM_HORIZON, null));
    }
  }

  private long segmentFiles(StreamKey key) throws IOException {
    Path dir = dataDir.resolve("streams").resolve(key.account()).resolve(key.region()).resolve(key.name())
        .resolve(SHARD);
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).count();
    }
  }

  private static double trims(TestServer server) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), "millrace_retention_trims_total");
  }

  private static void createActive(KinesisClient kinesis, String stream) {
    kinesis.createStream(r -> r.streamName(stream).shardCount(1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
        != StreamStatus.ACTIVE) {
      assertTrue(System.nanoTime() < deadline, "stream " + stream + " did not become ACTIVE");
      Thread.onSpinWait();
    }
  }

  /** Puts {@code count} records of about 200 bytes, one per call, so that they spread over several segments. */
  private static void putBatch(KinesisClient kinesis, String stream, String prefix, int count) {
    for (int i = 0; i < count; i++) {
      String data = prefix + "-" + i;
      kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
          .data(SdkBytes.fromString(data + "|" + "x".repeat(200), StandardCharsets.UTF_8)));
    }
  }

  private static List<String> prefixed(String prefix, int count) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(prefix + "-" + i);
    }
    return out;
  }

  /** Every record's label from the iterator to the tip. */
  private static List<String> readAll(KinesisClient kinesis, String stream, ShardIteratorType type, Instant at) {
    String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId(SHARD).shardIteratorType(type)
        .timestamp(at)).shardIterator();
    List<String> labels = new ArrayList<>();
    for (int calls = 0; calls < 1000; calls++) {
      GetRecordsResponse page = kinesis.getRecords(GetRecordsRequest.builder().shardIterator(iterator).limit(7)
          .build());
      for (Record record : page.records()) {
        String data = record.data().asUtf8String();
        labels.add(data.substring(0, data.indexOf('|')));
      }
      if (page.millisBehindLatest() == 0 && page.records().isEmpty()) {
        return labels;
      }
      iterator = page.nextShardIterator();
    }
    throw new AssertionError("did not reach the tip");
  }
}
