package io.millrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.shard.HashKey;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Bounded memory, each within a 512 MiB heap (the JVM is told to exit on OutOfMemoryError, so running out fails the
 * test): a server with 2,000 file-backed shards over four streams starts, takes writes to every shard and serves
 * reads; and 10 MiB records put by eight producers at once are stored and read back intact.
 */
class ManyShardsIT {

  private static final int STREAMS = 4;
  private static final int SHARDS_PER_STREAM = 500;

  @TempDir
  Path dir;

  @Test
  void two_thousand_shards_start_and_serve_traffic_within_a_512_mib_heap() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"),
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
        "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString(), "--shard-limit", "2500")) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      try (KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(URI.create("http://127.0.0.1:" + port))) {
        for (int s = 0; s < STREAMS; s++) {
          String name = "wide-" + s;
          kinesis.createStream(r -> r.streamName(name).shardCount(SHARDS_PER_STREAM));
        }
        for (int s = 0; s < STREAMS; s++) {
          awaitActive(kinesis, "wide-" + s);
        }
        byte[] payload = new byte[1024];
        ThreadLocalRandom.current().nextBytes(payload);
        for (int s = 0; s < STREAMS; s++) {
          String name = "wide-" + s;
          for (int round = 0; round < 4; round++) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int shard = 0; shard < SHARDS_PER_STREAM; shard++) {
              String explicit = HashKey.evenRange(shard, SHARDS_PER_STREAM)[0].toString();
              entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + shard).explicitHashKey(explicit)
                  .data(SdkBytes.fromByteArray(payload)).build());
            }
            PutRecordsResponse put = kinesis.putRecords(r -> r.streamName(name).records(entries));
            assertEquals(0, put.failedRecordCount(), "every shard of " + name + " takes writes");
          }
        }
        for (int s = 0; s < STREAMS; s++) {
          String name = "wide-" + s;
          for (int shard = 0; shard < SHARDS_PER_STREAM; shard += 25) {
            String shardId = String.format("shardId-%012d", shard);
            String iterator = kinesis.getShardIterator(r -> r.streamName(name).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            assertEquals(4, kinesis.getRecords(r -> r.shardIterator(iterator)).records().size(),
                name + "/" + shardId + " serves its records");
          }
        }
        assertEquals(STREAMS * SHARDS_PER_STREAM, kinesis.describeLimits(r -> { }).openShardCount());
      }
      assertTrue(server.process().isAlive(), "the server is still running");
      assertFalse(server.output().contains("OutOfMemoryError"), "no OutOfMemoryError in the log");
    }
  }

  @Test
  void ten_mib_records_under_concurrent_puts_stay_within_a_512_mib_heap() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"),
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
        "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString())) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      URI endpoint = URI.create("http://127.0.0.1:" + port);
      try (KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(endpoint)) {
        kinesis.createStream(r -> r.streamName("large").shardCount(4));
        awaitActive(kinesis, "large");
        String arn = kinesis.describeStreamSummary(r -> r.streamName("large")).streamDescriptionSummary().streamARN();
        kinesis.updateMaxRecordSize(r -> r.streamARN(arn).maxRecordSizeInKiB(10240));
      }
      byte[] record = new byte[10 * 1024 * 1024 - 16];
      ThreadLocalRandom.current().nextBytes(record);
      int producers = 8;
      int perProducer = 3;
      ExecutorService pool = Executors.newFixedThreadPool(producers);
      try {
        List<Future<Integer>> done = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
          int producer = p;
          done.add(pool.submit(() -> {
            try (KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(endpoint)) {
              for (int i = 0; i < perProducer; i++) {
                String key = "p" + producer + "-" + i;
                kinesis.putRecord(r -> r.streamName("large").partitionKey(key)
                    .data(SdkBytes.fromByteArray(record)));
              }
            }
            return perProducer;
          }));
        }
        int acknowledged = 0;
        for (Future<Integer> f : done) {
          acknowledged += f.get(120, TimeUnit.SECONDS);
        }
        assertEquals(producers * perProducer, acknowledged);
      } finally {
        pool.shutdownNow();
      }
      try (KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(endpoint)) {
        int read = 0;
        for (int shard = 0; shard < 4; shard++) {
          String shardId = String.format("shardId-%012d", shard);
          String iterator = kinesis.getShardIterator(r -> r.streamName("large").shardId(shardId)
              .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
          for (int calls = 0; calls < 50 && iterator != null; calls++) {
            String at = iterator;
            var page = kinesis.getRecords(r -> r.shardIterator(at));
            for (var r : page.records()) {
              assertTrue(java.util.Arrays.equals(record, r.data().asByteArrayUnsafe()), "data comes back intact");
              read++;
            }
            iterator = page.records().isEmpty() ? null : page.nextShardIterator();
          }
        }
        assertEquals(producers * perProducer, read);
      }
      assertTrue(server.process().isAlive(), "the server is still running");
      assertFalse(server.output().contains("OutOfMemoryError"), "no OutOfMemoryError in the log");
    }
  }

  private static void awaitActive(KinesisClient kinesis, String stream) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
        != StreamStatus.ACTIVE) {
      assertTrue(System.nanoTime() < deadline, stream + " did not become ACTIVE within 120 s");
      Thread.onSpinWait();
    }
  }
}
