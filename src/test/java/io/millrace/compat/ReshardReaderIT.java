package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Resharding under load and across a restart, through the AWS SDK: producers keep writing while the stream is split
 * twice and merged, and a consumer that follows ChildShards with GetRecords reads every acknowledged record exactly
 * once, in per-key order; a restart keeps the lineage and the closed shards; UPDATING refuses a second reshard;
 * UpdateShardCount is limited per rolling day.
 */
class ReshardReaderIT {

  private static final BigInteger HALF = BigInteger.ONE.shiftLeft(127);

  @TempDir
  Path dataDir;

  private TestServer server;
  private KinesisClient kinesis;

  @AfterEach
  void stop() {
    stopServer();
  }

  private void startServer(Map<String, String> settings) {
    server = TestServer.start(settings);
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

  private static String id(int index) {
    return String.format("shardId-%012d", index);
  }

  private void awaitActive(String stream) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
        != StreamStatus.ACTIVE) {
      assertTrue(System.nanoTime() < deadline, stream + " did not turn ACTIVE");
      Thread.onSpinWait();
    }
  }

  /** Waits until the producers acknowledged {@code more} records beyond {@code from}. */
  private static void awaitAcked(AtomicInteger acked, int more) {
    int target = acked.get() + more;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (acked.get() < target) {
      assertTrue(System.nanoTime() < deadline, "producers stalled at " + acked.get());
      Thread.onSpinWait();
    }
  }

  private record Acked(String key, int n, String sequenceNumber) {}

  /** Four producers writing PutRecord in a loop, each key's records numbered 1, 2, 3... in acknowledgement order. */
  private final class Producers {
    final AtomicBoolean producing = new AtomicBoolean(true);
    final AtomicInteger count = new AtomicInteger();
    final List<Acked> acked = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newFixedThreadPool(4);
    final List<Future<?>> running = new ArrayList<>();

    Producers(String stream) {
      for (int t = 0; t < 4; t++) {
        int producer = t;
        running.add(pool.submit(() -> {
          Map<String, Integer> next = new HashMap<>();
          int i = 0;
          while (producing.get()) {
            String key = "p" + producer + "-k" + (i++ % 8);
            int n = next.merge(key, 1, Integer::sum);
            String data = key + ":" + n;
            try {
              PutRecordResponse r = kinesis.putRecord(b -> b.streamName(stream).partitionKey(key)
                  .data(SdkBytes.fromString(data, StandardCharsets.UTF_8)));
              acked.add(new Acked(key, n, r.sequenceNumber()));
              count.incrementAndGet();
            } catch (RuntimeException e) {
              failures.add(data + ": " + e);
              next.merge(key, -1, Integer::sum); // not acknowledged: the same number is tried again
            }
          }
        }));
      }
    }

    void stop() throws Exception {
      producing.set(false);
      for (Future<?> p : running) {
        p.get(20, TimeUnit.SECONDS);
      }
      pool.shutdown();
    }

    Set<String> ackedData() {
      Set<String> data = new HashSet<>();
      acked.forEach(a -> data.add(a.key() + ":" + a.n()));
      assertEquals(data.size(), acked.size(), "acknowledged records are distinct");
      return data;
    }
  }

  /** Splits shard 0, then child 1, then merges 3 and 4, each while the producers write 200 more records. */
  private void splitTwiceAndMergeWhileProducing(String stream, Producers producers) {
    awaitAcked(producers.count, 200);
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey(HALF.toString()));
    awaitActive(stream);
    awaitAcked(producers.count, 200);
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(1))
        .newStartingHashKey(HALF.shiftRight(1).toString()));
    awaitActive(stream);
    awaitAcked(producers.count, 200);
    kinesis.mergeShards(r -> r.streamName(stream).shardToMerge(id(3)).adjacentShardToMerge(id(4)));
    awaitActive(stream);
    awaitAcked(producers.count, 200);
  }

  /**
   * Exactly once and in order: the records read (per shard, shards in the order the reader finished them) are the
   * acknowledged ones, without duplicates; per key, their numbers run 1, 2, 3... and their sequence numbers grow.
   */
  private static void assertReadExactlyOnceInKeyOrder(Producers producers, List<String> shardOrder,
                                                      Map<String, List<Record>> read) {
    assertEquals(List.of(), producers.failures, "no put failed during the reshards");
    assertEquals(6, read.size(), "shards 0..5 were all read: " + read.keySet());
    Set<String> seen = new HashSet<>();
    Set<String> readData = new HashSet<>();
    Map<String, List<Integer>> readByKey = new HashMap<>();
    Map<String, List<BigInteger>> sequencesByKey = new HashMap<>();
    for (String shardId : shardOrder) {
      for (Record r : read.get(shardId)) {
        assertTrue(seen.add(r.sequenceNumber()), "read twice: " + r.sequenceNumber());
        String text = r.data().asUtf8String();
        readData.add(text);
        String[] parts = text.split(":");
        readByKey.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Integer.parseInt(parts[1]));
        sequencesByKey.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(new BigInteger(r.sequenceNumber()));
      }
    }
    assertEquals(producers.ackedData(), readData, "every acknowledged record is read, and nothing else");
    for (Map.Entry<String, List<Integer>> e : readByKey.entrySet()) {
      List<Integer> ns = e.getValue();
      for (int i = 0; i < ns.size(); i++) {
        assertEquals(i + 1, ns.get(i), "key " + e.getKey() + " out of order: " + ns);
      }
      List<BigInteger> seqs = sequencesByKey.get(e.getKey());
      for (int i = 1; i < seqs.size(); i++) {
        assertTrue(seqs.get(i).compareTo(seqs.get(i - 1)) > 0, "sequence numbers of " + e.getKey() + " grow");
      }
    }
  }

  @Test
  @Timeout(90)
  void a_consumer_following_child_shards_reads_every_acknowledged_record_once_in_key_order_across_two_splits_and_a_merge()
      throws Exception {
    startServer(Map.of("updateStreamMillis", "50"));
    String stream = "live-reshard";
    kinesis.createStream(r -> r.streamName(stream).shardCount(1));
    awaitActive(stream);

    Producers producers = new Producers(stream);
    Map<String, List<Record>> read = new ConcurrentHashMap<>();
    AtomicBoolean readerDone = new AtomicBoolean();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    Future<?> consumer = reader.submit(() -> consume(stream, producers.producing, read, readerDone));
    splitTwiceAndMergeWhileProducing(stream, producers);
    producers.stop();
    consumer.get(30, TimeUnit.SECONDS);
    reader.shutdown();

    assertTrue(readerDone.get());
    assertReadExactlyOnceInKeyOrder(producers, readOrder, read);
  }

  @Test
  @Timeout(90)
  void a_fan_out_consumer_following_child_shards_reads_every_acknowledged_record_once_in_key_order_across_two_splits_and_a_merge()
      throws Exception {
    startServer(Map.of("updateStreamMillis", "50"));
    String stream = "live-reshard-push";
    kinesis.createStream(r -> r.streamName(stream).shardCount(1));
    awaitActive(stream);
    String streamArn = kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .streamARN();
    String consumerArn = kinesis.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("follower"))
        .consumer().consumerARN();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (kinesis.describeStreamConsumer(r -> r.consumerARN(consumerArn)).consumerDescription().consumerStatus()
        != ConsumerStatus.ACTIVE) {
      assertTrue(System.nanoTime() < deadline, "consumer did not turn ACTIVE");
      Thread.onSpinWait();
    }

    try (KinesisAsyncClient async = KinesisAsyncClient.builder().endpointOverride(server.endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)).build()) {
      LineageSubscriber subscriber = new LineageSubscriber(async, consumerArn);
      subscriber.start(id(0));
      Producers producers = new Producers(stream);
      splitTwiceAndMergeWhileProducing(stream, producers);
      producers.stop();
      int total = producers.acked.size();
      long readDeadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (subscriber.count.get() < total && subscriber.errors.isEmpty()) {
        assertTrue(System.nanoTime() < readDeadline, "pushed " + subscriber.count.get() + " of " + total);
        Thread.onSpinWait();
      }
      assertEquals(List.of(), subscriber.errors);
      assertEquals(List.of(id(0), id(1), id(3), id(4)), subscriber.finished.stream().sorted().toList(),
          "the closed shards ended with a shard-end event");
      assertReadExactlyOnceInKeyOrder(producers, subscriber.order(), subscriber.read);
      subscriber.pool.shutdownNow();
    }
  }

  /**
   * A fan-out consumer that follows the lineage as KCL does: subscribes to a shard from TRIM_HORIZON; on the final
   * event (no ContinuationSequenceNumber) it subscribes to each child whose parents have all ended.
   */
  private static final class LineageSubscriber {
    final Map<String, List<Record>> read = new ConcurrentHashMap<>();
    final List<String> finished = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger count = new AtomicInteger();
    final ExecutorService pool = Executors.newSingleThreadExecutor();
    private final KinesisAsyncClient async;
    private final String consumerArn;
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final Map<String, List<String>> parentsOf = new ConcurrentHashMap<>();

    LineageSubscriber(KinesisAsyncClient async, String consumerArn) {
      this.async = async;
      this.consumerArn = consumerArn;
    }

    void start(String shardId) {
      if (!started.add(shardId)) {
        return;
      }
      read.put(shardId, new CopyOnWriteArrayList<>());
      SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
          .onError(errors::add)
          .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
              .onSubscribeToShardEvent(e -> onEvent(shardId, e)).build())
          .build();
      async.subscribeToShard(r -> r.consumerARN(consumerArn).shardId(shardId)
          .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)), handler);
    }

    private void onEvent(String shardId, SubscribeToShardEvent e) {
      read.get(shardId).addAll(e.records());
      count.addAndGet(e.records().size());
      if (e.continuationSequenceNumber() != null) {
        return;
      }
      pool.execute(() -> {
        finished.add(shardId);
        e.childShards().forEach(c -> parentsOf.put(c.shardId(), c.parentShards()));
        parentsOf.forEach((child, parents) -> {
          if (finished.containsAll(parents)) {
            start(child);
          }
        });
      });
    }

    /** Shards in the order they ended, then the open ones. */
    List<String> order() {
      List<String> order = new ArrayList<>(finished);
      read.keySet().stream().filter(s -> !finished.contains(s)).sorted().forEach(order::add);
      return order;
    }
  }

  /** The order in which the consumer finished shards (a shard starts only once all its parents finished). */
  private final List<String> readOrder = new CopyOnWriteArrayList<>();

  /**
   * A lineage-following consumer, as KCL is: starts at the stream's first shard from TRIM_HORIZON, reads each shard
   * until GetRecords returns no NextShardIterator, then starts each child whose parents are all finished. Open
   * shards are polled round-robin; it stops when the producers stopped and every open shard is drained.
   */
  private void consume(String stream, AtomicBoolean producing, Map<String, List<Record>> read,
                       AtomicBoolean done) {
    Map<String, String> iterators = new LinkedHashMap<>();
    Set<String> finished = new HashSet<>();
    Set<String> started = new HashSet<>();
    iterators.put(id(0), kinesis.getShardIterator(r -> r.streamName(stream).shardId(id(0))
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
    started.add(id(0));
    Map<String, List<String>> waitingParents = new HashMap<>();
    boolean producersStopped = false;
    while (true) {
      boolean stoppedBeforeRound = !producing.get();
      boolean anyRecords = false;
      for (String shardId : List.copyOf(iterators.keySet())) {
        GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(iterators.get(shardId)));
        read.computeIfAbsent(shardId, k -> Collections.synchronizedList(new ArrayList<>())).addAll(page.records());
        anyRecords |= !page.records().isEmpty();
        if (page.nextShardIterator() != null) {
          iterators.put(shardId, page.nextShardIterator());
          continue;
        }
        iterators.remove(shardId);
        finished.add(shardId);
        readOrder.add(shardId);
        assertNotNull(page.childShards());
        assertTrue(!page.childShards().isEmpty(), "a closed shard has children");
        for (ChildShard child : page.childShards()) {
          waitingParents.put(child.shardId(), child.parentShards());
        }
        for (Map.Entry<String, List<String>> w : waitingParents.entrySet()) {
          if (!started.contains(w.getKey()) && finished.containsAll(w.getValue())) {
            started.add(w.getKey());
            iterators.put(w.getKey(), kinesis.getShardIterator(r -> r.streamName(stream).shardId(w.getKey())
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
          }
        }
      }
      if (stoppedBeforeRound && !anyRecords && producersStopped) {
        break;
      }
      producersStopped = stoppedBeforeRound;
    }
    for (String open : iterators.keySet()) {
      readOrder.add(open);
    }
    done.set(true);
  }

  @Test
  @Timeout(60)
  void a_restart_keeps_the_lineage_the_closed_shards_and_the_shard_counter() {
    startServer(Map.of("inMemory", "false", "dataDir", dataDir.toString()));
    String stream = "lineage";
    kinesis.createStream(r -> r.streamName(stream).shardCount(2));
    awaitActive(stream);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("a").data(SdkBytes.fromUtf8String("one"))
        .explicitHashKey("0"));
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey(HALF.shiftRight(1)
        .toString()));
    awaitActive(stream);
    kinesis.mergeShards(r -> r.streamName(stream).shardToMerge(id(3)).adjacentShardToMerge(id(1)));
    awaitActive(stream);
    List<Shard> before = kinesis.listShards(r -> r.streamName(stream)).shards();

    stopServer();
    startServer(Map.of("inMemory", "false", "dataDir", dataDir.toString()));

    assertEquals(before, kinesis.listShards(r -> r.streamName(stream)).shards());
    String it = kinesis.getShardIterator(r -> r.streamName(stream).shardId(id(0))
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    GetRecordsResponse end = kinesis.getRecords(r -> r.shardIterator(it));
    assertEquals(List.of("one"), end.records().stream().map(r -> r.data().asUtf8String()).toList());
    assertNull(end.nextShardIterator());
    assertEquals(List.of(id(2), id(3)), end.childShards().stream().map(ChildShard::shardId).sorted().toList());
    assertEquals(id(2), kinesis.putRecord(r -> r.streamName(stream).partitionKey("a")
        .data(SdkBytes.fromUtf8String("two")).explicitHashKey("0")).shardId());
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(2)).newStartingHashKey("2"));
    awaitActive(stream);
    assertEquals(List.of(id(5), id(6)), kinesis.listShards(r -> r.streamName(stream)).shards().stream()
        .filter(s -> id(2).equals(s.parentShardId())).map(Shard::shardId).sorted().toList());
  }

  @Test
  @Timeout(60)
  void a_stream_resharding_is_updating_and_refuses_another_reshard_in_aws_words() {
    startServer(Map.of("updateStreamMillis", "400"));
    String stream = "busy";
    kinesis.createStream(r -> r.streamName(stream).shardCount(2));
    awaitActive(stream);
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey("2"));
    assertEquals(StreamStatus.UPDATING, kinesis.describeStreamSummary(r -> r.streamName(stream))
        .streamDescriptionSummary().streamStatus());
    ResourceInUseException e = assertThrows(ResourceInUseException.class, () -> kinesis.mergeShards(
        r -> r.streamName(stream).shardToMerge(id(2)).adjacentShardToMerge(id(3))));
    assertEquals("Stream busy under account " + CompatClient.ACCOUNT + " not ACTIVE, instead in state UPDATING",
        e.awsErrorDetails().errorMessage());
    // Writes go on while UPDATING, to the children.
    assertEquals(id(3), kinesis.putRecord(r -> r.streamName(stream).partitionKey("x")
        .data(SdkBytes.fromUtf8String("x")).explicitHashKey("5")).shardId());
    awaitActive(stream);
  }

  @Test
  @Timeout(60)
  void update_shard_count_is_limited_to_ten_scalings_per_rolling_day() {
    startServer(Map.of());
    String stream = "scalings";
    kinesis.createStream(r -> r.streamName(stream).shardCount(1));
    awaitActive(stream);
    for (int i = 0; i < 10; i++) {
      int target = i % 2 == 0 ? 2 : 1;
      kinesis.updateShardCount(r -> r.streamName(stream).targetShardCount(target)
          .scalingType(ScalingType.UNIFORM_SCALING));
      awaitActive(stream);
    }
    LimitExceededException e = assertThrows(LimitExceededException.class, () -> kinesis.updateShardCount(
        r -> r.streamName(stream).targetShardCount(2).scalingType(ScalingType.UNIFORM_SCALING)));
    assertTrue(e.awsErrorDetails().errorMessage().contains("10 UpdateShardCount scalings in a rolling 24 hours"),
        e.awsErrorDetails().errorMessage());
  }
}
