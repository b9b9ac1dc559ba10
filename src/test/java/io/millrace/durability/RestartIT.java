package io.millrace.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.Tag;

/**
 * A server stopped cleanly and started again on the same data directory serves exactly what it held: streams, tags,
 * retention, and every record with its sequence number, order, data and arrival time.
 */
class RestartIT {

  private static final String ORDERS = "orders";
  private static final String AUDIT = "audit";

  @TempDir
  Path dataDir;

  private TestServer server;
  private KinesisClient kinesis;
  private final Random random = new Random(42);

  @AfterEach
  void stop() {
    stopServer();
  }

  @Test
  void streams_tags_retention_and_every_record_survive_a_clean_restart() {
    startServer();
    fillStreams();
    Map<String, StreamDescriptionSummary> summariesBefore = summaries();
    Map<String, Map<String, String>> tagsBefore = Map.of(ORDERS, tags(ORDERS), AUDIT, tags(AUDIT));
    Map<String, List<Shard>> shardsBefore = Map.of(ORDERS, shards(ORDERS), AUDIT, shards(AUDIT));
    Map<String, List<Stored>> ordersBefore = readAll(ORDERS);
    Map<String, List<Stored>> auditBefore = readAll(AUDIT);
    assertTrue(ordersBefore.values().stream().filter(l -> !l.isEmpty()).count() >= 3,
        "the puts should reach several shards: " + counts(ordersBefore));

    restart();

    assertEquals(List.of(AUDIT, ORDERS), kinesis.listStreams(b -> b.limit(10)).streamNames().stream().sorted()
        .toList());
    Map<String, StreamDescriptionSummary> summariesAfter = summaries();
    for (String stream : List.of(ORDERS, AUDIT)) {
      StreamDescriptionSummary before = summariesBefore.get(stream);
      StreamDescriptionSummary after = summariesAfter.get(stream);
      assertEquals(StreamStatus.ACTIVE, after.streamStatus(), stream);
      assertEquals(before.retentionPeriodHours(), after.retentionPeriodHours(), stream + " retention");
      assertEquals(before.openShardCount(), after.openShardCount(), stream + " shard count");
      assertEquals(before.streamARN(), after.streamARN(), stream + " ARN");
      assertEquals(before.streamCreationTimestamp(), after.streamCreationTimestamp(), stream + " creation time");
      assertEquals(tagsBefore.get(stream), tags(stream), stream + " tags");
      assertEquals(shardsBefore.get(stream), shards(stream), stream + " shards");
    }
    assertEquals(72, summariesAfter.get(ORDERS).retentionPeriodHours());
    assertEquals(Map.of("team", "payments", "env", "test", "added", "later"), tags(ORDERS));
    assertEquals(ordersBefore, readAll(ORDERS));
    assertEquals(auditBefore, readAll(AUDIT));
  }

  @Test
  void puts_after_a_restart_get_higher_sequence_numbers_on_every_shard() {
    startServer();
    fillStreams();
    Map<String, List<Stored>> before = readAll(ORDERS);

    restart();

    for (Shard shard : shards(ORDERS)) {
      List<Stored> held = before.get(shard.shardId());
      PutRecordResponse put = kinesis.putRecord(b -> b.streamName(ORDERS).partitionKey("after")
          .explicitHashKey(shard.hashKeyRange().startingHashKey()).data(SdkBytes.fromUtf8String("after restart")));
      assertEquals(shard.shardId(), put.shardId());
      if (!held.isEmpty()) {
        BigInteger last = new BigInteger(held.get(held.size() - 1).sequenceNumber());
        assertTrue(new BigInteger(put.sequenceNumber()).compareTo(last) > 0,
            "new sequence " + put.sequenceNumber() + " should follow " + last + " on " + shard.shardId());
      }
      List<Stored> now = readShard(ORDERS, shard.shardId());
      assertEquals(held, now.subList(0, now.size() - 1), "old records first on " + shard.shardId());
      assertEquals(put.sequenceNumber(), now.get(now.size() - 1).sequenceNumber());
    }
  }

  @Test
  void an_iterator_issued_before_the_restart_still_reads_after_it() {
    startServer();
    fillStreams();
    String shardId = shards(AUDIT).get(0).shardId();
    List<Stored> held = readShard(AUDIT, shardId);
    assertFalse(held.isEmpty());
    String fromStart = kinesis.getShardIterator(b -> b.streamName(AUDIT).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    String afterSecond = kinesis.getShardIterator(b -> b.streamName(AUDIT).shardId(shardId)
        .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
        .startingSequenceNumber(held.get(1).sequenceNumber())).shardIterator();

    restart();

    assertEquals(held, drain(fromStart));
    assertEquals(held.subList(2, held.size()), drain(afterSecond));
  }

  private void startServer() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dataDir.toString(),
        "segmentMaxBytes", String.valueOf(64 * 1024)));
    kinesis = KinesisClients.kinesis(server.endpoint());
  }

  private void stopServer() {
    if (kinesis != null) {
      kinesis.close();
      kinesis = null;
    }
    if (server != null) {
      server.close();
      server = null;
    }
  }

  private void restart() {
    stopServer();
    startServer();
  }

  /** Two streams with tags and non-default retention; records on every shard, some big enough to roll segments. */
  private void fillStreams() {
    kinesis.createStream(b -> b.streamName(ORDERS).shardCount(4).tags(Map.of("team", "payments", "env", "test")));
    kinesis.createStream(b -> b.streamName(AUDIT).shardCount(1));
    awaitActive(ORDERS);
    awaitActive(AUDIT);
    kinesis.addTagsToStream(b -> b.streamName(ORDERS).tags(Map.of("added", "later")));
    kinesis.addTagsToStream(b -> b.streamName(AUDIT).tags(Map.of("kind", "audit")));
    kinesis.increaseStreamRetentionPeriod(b -> b.streamName(ORDERS).retentionPeriodHours(72));
    kinesis.increaseStreamRetentionPeriod(b -> b.streamName(AUDIT).retentionPeriodHours(48));

    for (int batch = 0; batch < 4; batch++) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        entries.add(PutRecordsRequestEntry.builder().partitionKey("pk-" + batch + "-" + i)
            .data(SdkBytes.fromByteArray(bytes(i % 25 == 0 ? 20_000 : 1 + random.nextInt(300)))).build());
      }
      PutRecordsResponse response = kinesis.putRecords(b -> b.streamName(ORDERS).records(entries));
      assertEquals(0, response.failedRecordCount(), () -> response.records().stream()
          .map(PutRecordsResultEntry::errorMessage).filter(m -> m != null).findFirst().orElse(""));
    }
    for (Shard shard : shards(ORDERS)) {
      kinesis.putRecord(b -> b.streamName(ORDERS).partitionKey("explicit")
          .explicitHashKey(shard.hashKeyRange().endingHashKey()).data(SdkBytes.fromByteArray(bytes(10))));
    }
    for (int i = 0; i < 30; i++) {
      String pk = "audit-" + i;
      kinesis.putRecord(b -> b.streamName(AUDIT).partitionKey(pk).data(SdkBytes.fromByteArray(bytes(50))));
    }
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private void awaitActive(String stream) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    for (int i = 0; i < 1000 && Instant.now().isBefore(deadline); i++) {
      if (kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatus()
          == StreamStatus.ACTIVE) {
        return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError(stream + " did not become ACTIVE");
  }

  private Map<String, StreamDescriptionSummary> summaries() {
    Map<String, StreamDescriptionSummary> out = new HashMap<>();
    for (String stream : List.of(ORDERS, AUDIT)) {
      out.put(stream, kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary());
    }
    return out;
  }

  private Map<String, String> tags(String stream) {
    return kinesis.listTagsForStream(b -> b.streamName(stream)).tags().stream()
        .collect(Collectors.toMap(Tag::key, Tag::value));
  }

  private List<Shard> shards(String stream) {
    return kinesis.listShards(b -> b.streamName(stream)).shards();
  }

  private static Map<String, Integer> counts(Map<String, List<Stored>> byShard) {
    Map<String, Integer> out = new TreeMap<>();
    byShard.forEach((k, v) -> out.put(k, v.size()));
    return out;
  }

  private Map<String, List<Stored>> readAll(String stream) {
    Map<String, List<Stored>> out = new LinkedHashMap<>();
    for (Shard shard : shards(stream)) {
      out.put(shard.shardId(), readShard(stream, shard.shardId()));
    }
    return out;
  }

  private List<Stored> readShard(String stream, String shardId) {
    return drain(kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
  }

  /** Reads from an iterator until the shard's tip; bounded in calls and time. */
  private List<Stored> drain(String iterator) {
    List<Stored> out = new ArrayList<>();
    String next = iterator;
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    for (int calls = 0; calls < 500 && Instant.now().isBefore(deadline); calls++) {
      String current = next;
      GetRecordsResponse response = kinesis.getRecords(b -> b.shardIterator(current).limit(10_000));
      for (Record r : response.records()) {
        out.add(new Stored(r.sequenceNumber(), r.partitionKey(), Base64.getEncoder().encodeToString(
            r.data().asByteArray()), r.approximateArrivalTimestamp()));
      }
      next = response.nextShardIterator();
      if (next == null || (response.records().isEmpty() && response.millisBehindLatest() == 0)) {
        return out;
      }
    }
    assertNull(next, "the shard was not read to its tip in time");
    return out;
  }

  /** A record as served, its data in base64 so that equality is by content. */
  record Stored(String sequenceNumber, String partitionKey, String data, Instant arrival) {}
}
