package io.millrace.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * SIGKILL of the real server while producers write as fast as they can, then a restart on the same directory: every
 * acknowledged record is served with its sequence number and data, in order, once; nothing that was never sent is
 * served. Runs {@code millrace.killNineCycles} cycles (default 3) on one data directory.
 *
 * <p>Producers use clients without retries, so each payload is sent at most once: a payload served twice is a
 * duplicate made by the server, not by the SDK.
 */
class KillNineIT {

  private static final String STREAM = "crash";
  private static final int PRODUCERS = 3;

  @TempDir
  Path tmp;

  private JarProcess server;
  private int port;
  private KinesisClient admin;
  private final List<KinesisClient> producerClients = new ArrayList<>();
  private final Random random = new Random(7);

  /** Every payload ever sent: id to (partition key, data). */
  private final Map<String, Sent> sent = new ConcurrentHashMap<>();
  /** Every payload the server acknowledged: id to (shard, sequence number). */
  private final Map<String, Ack> acknowledged = new ConcurrentHashMap<>();

  record Sent(String partitionKey, byte[] data) {}

  record Ack(String shardId, String sequenceNumber) {}

  @AfterEach
  void stop() throws InterruptedException {
    closeClients();
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void every_acknowledged_record_survives_sigkill_during_writes() throws Exception {
    int cycles = Integer.getInteger("millrace.killNineCycles", 3);
    startServer(0);
    admin.createStream(b -> b.streamName(STREAM).shardCount(4));
    awaitActive();

    for (int cycle = 0; cycle < cycles; cycle++) {
      int ackedBefore = acknowledged.size();
      produceThenKill(cycle, Duration.ofMillis(1500 + random.nextInt(1000)));
      assertTrue(acknowledged.size() > ackedBefore, "cycle " + cycle + ": producers got no acknowledgement");

      startServer(cycle + 1);
      verifyEverything("cycle " + cycle);
    }
  }

  private void startServer(int generation) throws Exception {
    closeClients();
    port = JarProcess.freePort();
    server = JarProcess.start(tmp.resolve("server-" + generation + ".log"), "--port", String.valueOf(port),
        "--data-dir", tmp.resolve("data").toString(), "--durability", "always", "--event-loops", "2");
    server.awaitHealthy(port, Duration.ofSeconds(20));
    admin = KinesisClients.kinesis(endpoint());
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  private void closeClients() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
    producerClients.forEach(KinesisClient::close);
    producerClients.clear();
  }

  /** Runs the producers for {@code produceFor}, SIGKILLs the server while they run, then stops them. */
  private void produceThenKill(int cycle, Duration produceFor) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> producerBugs = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(PRODUCERS);
    CountDownLatch firstAck = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      KinesisClient client = KinesisClients.kinesisWithoutRetries(endpoint());
      producerClients.add(client);
      String prefix = "c" + cycle + "-p" + p + "-";
      long seed = random.nextLong();
      Thread t = new Thread(() -> {
        try {
          produce(client, prefix, new Random(seed), stop, firstAck);
        } catch (Throwable e) {
          synchronized (producerBugs) {
            producerBugs.add(e);
          }
        } finally {
          done.countDown();
        }
      }, "producer-" + prefix);
      threads.add(t);
      t.start();
    }
    assertTrue(firstAck.await(20, TimeUnit.SECONDS), "no producer got an acknowledgement");
    // The producers run for a bounded time; the kill must land while they are still writing.
    assertTrue(!done.await(produceFor.toMillis(), TimeUnit.MILLISECONDS), "producers stopped before the kill");
    server.kill();
    stop.set(true);
    assertTrue(done.await(30, TimeUnit.SECONDS), "producers did not stop after the kill");
    assertTrue(producerBugs.isEmpty(), () -> "producer failed: " + producerBugs);
  }

  /** Writes until told to stop; a failed call (the server died) is simply not acknowledged. */
  private void produce(KinesisClient client, String prefix, Random rnd, AtomicBoolean stop,
                       CountDownLatch firstAck) {
    long n = 0;
    for (int calls = 0; calls < 1_000_000 && !stop.get(); calls++) {
      try {
        if (rnd.nextInt(4) == 0) {
          String id = prefix + n++;
          Sent s = payload(id, rnd);
          sent.put(id, s);
          PutRecordResponse r = client.putRecord(b -> b.streamName(STREAM).partitionKey(s.partitionKey())
              .data(SdkBytes.fromByteArray(s.data())));
          acknowledged.put(id, new Ack(r.shardId(), r.sequenceNumber()));
        } else {
          int size = 1 + rnd.nextInt(50);
          List<String> ids = new ArrayList<>();
          List<PutRecordsRequestEntry> entries = new ArrayList<>();
          for (int i = 0; i < size; i++) {
            String id = prefix + n++;
            Sent s = payload(id, rnd);
            sent.put(id, s);
            ids.add(id);
            entries.add(PutRecordsRequestEntry.builder().partitionKey(s.partitionKey())
                .data(SdkBytes.fromByteArray(s.data())).build());
          }
          PutRecordsResponse r = client.putRecords(b -> b.streamName(STREAM).records(entries));
          for (int i = 0; i < size; i++) {
            PutRecordsResultEntry e = r.records().get(i);
            if (e.sequenceNumber() != null && e.errorCode() == null) {
              acknowledged.put(ids.get(i), new Ack(e.shardId(), e.sequenceNumber()));
            }
          }
        }
        firstAck.countDown();
      } catch (RuntimeException e) {
        // Expected once the server is killed (connection refused or reset): not an acknowledgement.
      }
    }
  }

  private static Sent payload(String id, Random rnd) {
    byte[] head = (id + "|").getBytes(StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOf(head, head.length + rnd.nextInt(2000));
    byte[] filler = new byte[data.length - head.length];
    rnd.nextBytes(filler);
    System.arraycopy(filler, 0, data, head.length, filler.length);
    return new Sent("pk-" + rnd.nextInt(10_000), data);
  }

  private static String idOf(byte[] data) {
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '|') {
        return new String(data, 0, i, StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private void verifyEverything(String when) {
    Map<String, Ack> served = new HashMap<>();
    for (Shard shard : admin.listShards(b -> b.streamName(STREAM)).shards()) {
      BigInteger previous = BigInteger.valueOf(-1);
      for (Record r : readShard(shard.shardId())) {
        byte[] data = r.data().asByteArray();
        String id = idOf(data);
        assertNotNull(id, when + ": a record that no producer sent on " + shard.shardId() + " at "
            + r.sequenceNumber());
        Sent s = sent.get(id);
        assertNotNull(s, when + ": record " + id + " was never sent");
        assertTrue(Arrays.equals(s.data(), data), when + ": record " + id + " is served with other data");
        assertEquals(s.partitionKey(), r.partitionKey(), when + ": partition key of " + id);
        BigInteger sequence = new BigInteger(r.sequenceNumber());
        assertTrue(sequence.compareTo(previous) > 0, when + ": sequence numbers not increasing on "
            + shard.shardId() + " at " + id);
        previous = sequence;
        Ack before = served.put(id, new Ack(shard.shardId(), r.sequenceNumber()));
        assertTrue(before == null, when + ": record " + id + " is served twice: " + before + " and "
            + served.get(id));
      }
    }
    int missing = 0;
    String firstMissing = null;
    for (Map.Entry<String, Ack> e : acknowledged.entrySet()) {
      Ack got = served.get(e.getKey());
      if (!e.getValue().equals(got)) {
        missing++;
        if (firstMissing == null) {
          firstMissing = e.getKey() + " acknowledged as " + e.getValue() + " but served as " + got;
        }
      }
    }
    assertEquals(0, missing, when + ": " + missing + " of " + acknowledged.size()
        + " acknowledged records lost or moved; first: " + firstMissing);
    System.out.printf("KillNineIT %s: %d sent, %d acknowledged, %d served after the restart%n", when, sent.size(),
        acknowledged.size(), served.size());
  }

  private List<Record> readShard(String shardId) {
    List<Record> out = new ArrayList<>();
    String next = admin.getShardIterator(b -> b.streamName(STREAM).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    for (int calls = 0; calls < 10_000 && Instant.now().isBefore(deadline); calls++) {
      String current = next;
      GetRecordsResponse response = admin.getRecords(b -> b.shardIterator(current).limit(10_000));
      out.addAll(response.records());
      next = response.nextShardIterator();
      if (next == null || (response.records().isEmpty() && response.millisBehindLatest() == 0)) {
        return out;
      }
    }
    throw new AssertionError(shardId + " was not read to its tip in time");
  }

  private void awaitActive() {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    for (int i = 0; i < 1000 && Instant.now().isBefore(deadline); i++) {
      if (admin.describeStreamSummary(b -> b.streamName(STREAM)).streamDescriptionSummary().streamStatus()
          == StreamStatus.ACTIVE) {
        return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError(STREAM + " did not become ACTIVE");
  }
}
