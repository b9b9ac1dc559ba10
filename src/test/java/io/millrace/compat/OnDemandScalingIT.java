package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamMode;

/**
 * An ON_DEMAND stream scales by itself: a producer that ramps its rate on one part of the key space makes the hot
 * shard split, and no acknowledged record is lost; cold adjacent shards are merged after the quiet period.
 */
class OnDemandScalingIT {

  private TestServer server;
  private KinesisClient kinesis;

  @AfterEach
  void stop() {
    if (kinesis != null) {
      kinesis.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Timeout(60)
  void a_producer_ramping_its_rate_makes_the_shard_count_rise_without_losing_an_acknowledged_record()
      throws Exception {
    server = TestServer.start(Map.of("onDemandCheckMillis", "200", "enforceThroughputLimits", "true"));
    kinesis = KinesisClients.kinesis(server.endpoint());
    String stream = "on-demand";
    kinesis.createStream(r -> r.streamName(stream).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
        != software.amazon.awssdk.services.kinesis.model.StreamStatus.ACTIVE) {
      assertTrue(System.nanoTime() < deadline);
      Thread.onSpinWait();
    }
    assertEquals(4, openShards(stream));

    // All keys fall in the first shard's quarter of the key space; the rate ramps 300 -> 600 -> 900 records/s, so the
    // first shard passes half its 1,000 records/s limit.
    BigInteger quarter = BigInteger.ONE.shiftLeft(126);
    Set<String> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger batchSize = new AtomicInteger(30);
    ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
    producer.scheduleAtFixedRate(() -> {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (int i = 0; i < batchSize.get(); i++) {
        int n = sent.incrementAndGet();
        BigInteger hash = quarter.multiply(BigInteger.valueOf(n % 1000)).divide(BigInteger.valueOf(1000));
        entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + n).explicitHashKey(hash.toString())
            .data(SdkBytes.fromUtf8String("r" + n)).build());
      }
      PutRecordsResponse r = kinesis.putRecords(b -> b.streamName(stream).records(entries));
      for (int i = 0; i < entries.size(); i++) {
        if (r.records().get(i).errorCode() == null) {
          acked.add(entries.get(i).data().asUtf8String());
        }
      }
    }, 0, 100, TimeUnit.MILLISECONDS);

    deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int open = 4;
    while (open < 5) {
      assertTrue(System.nanoTime() < deadline, "still " + open + " open shards at " + batchSize.get() * 10 + "/s");
      batchSize.set(Math.min(90, 30 + (int) (acked.size() / 300) * 30));
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polling is the only way to see the count
      open = openShards(stream);
    }
    assertTrue(kinesis.listShards(r -> r.streamName(stream)).shards().stream()
        .anyMatch(s -> "shardId-000000000000".equals(s.parentShardId())), "the hot shard was split");
    producer.shutdown();
    assertTrue(producer.awaitTermination(10, TimeUnit.SECONDS));

    Set<String> read = new HashSet<>();
    int records = 0;
    for (Shard shard : kinesis.listShards(r -> r.streamName(stream)).shards()) {
      String it = kinesis.getShardIterator(r -> r.streamName(stream).shardId(shard.shardId())
          .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
      while (it != null) {
        String current = it;
        GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(current));
        page.records().forEach(rec -> read.add(rec.data().asUtf8String()));
        records += page.records().size();
        it = page.records().isEmpty() ? null : page.nextShardIterator();
      }
    }
    assertEquals(acked, read, "every acknowledged record is stored, once");
    assertEquals(read.size(), records, "no record is stored twice");
  }

  @Test
  @Timeout(60)
  void cold_adjacent_shards_of_an_on_demand_stream_are_merged_after_the_quiet_period_down_to_four() {
    server = TestServer.start(Map.of("onDemandCheckMillis", "100", "onDemandQuietMillis", "300"));
    kinesis = KinesisClients.kinesis(server.endpoint());
    String stream = "cooling";
    kinesis.createStream(r -> r.streamName(stream).shardCount(6)
        .streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (openShards(stream) > 4) {
      assertTrue(System.nanoTime() < deadline, "still " + openShards(stream) + " open shards");
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polling is the only way to see the count
    }
    assertEquals(4, openShards(stream));
    assertTrue(kinesis.listShards(r -> r.streamName(stream)).shards().stream()
        .anyMatch(s -> s.adjacentParentShardId() != null), "shards were merged");
  }

  private int openShards(String stream) {
    return kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().openShardCount();
  }
}
