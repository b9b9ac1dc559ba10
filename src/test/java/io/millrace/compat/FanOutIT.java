package io.millrace.compat;

import static io.millrace.compat.SubscribeToShardIT.unwrap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.compat.SubscribeToShardIT.Seen;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;
import software.amazon.awssdk.services.kinesis.model.Tag;

/**
 * Enhanced fan-out at scale and over time, through the AWS SDK's async client with its default HTTP client (h2c):
 * many consumers, a stalled consumer, the subscription lifetime, consumer states and restarts, and an idle
 * subscription under the SDK's default 10 s read timeout. Each test starts the server it needs.
 */
class FanOutIT {

  private static final String SHARD0 = "shardId-000000000000";

  private static String createStream(KinesisClient sync, String stream, int shards) {
    sync.createStream(r -> r.streamName(stream).shardCount(shards));
    sync.waiter().waitUntilStreamExists(r -> r.streamName(stream));
    return sync.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamARN();
  }

  private static SubscribeToShardRequest subscribe(String consumerArn, String shardId, ShardIteratorType type) {
    return SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(shardId)
        .startingPosition(p -> p.type(type)).build();
  }

  @Test
  @Timeout(60)
  void twenty_consumers_on_four_shards_each_receive_every_record_exactly_once_in_order() throws Exception {
    int consumers = 20;
    int shards = 4;
    int batches = 5;
    int perShardPerBatch = 25;
    try (TestServer server = TestServer.start(Map.of());
         KinesisClient sync = KinesisClients.kinesis(server.endpoint());
         // 80 concurrent subscriptions: above the SDK's default of 50 concurrent requests (KCL raises it too).
         KinesisAsyncClient async = KinesisAsyncClient.builder().endpointOverride(server.endpoint())
             .region(Region.US_EAST_1)
             .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
             .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(consumers * shards))
             .build()) {
      String streamArn = createStream(sync, "many", shards);
      List<String> arns = new ArrayList<>();
      for (int c = 0; c < consumers; c++) {
        String name = "c" + c;
        arns.add(sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).consumer()
            .consumerARN());
      }
      List<List<Seen>> seen = new ArrayList<>();
      for (String arn : arns) {
        List<Seen> perShard = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
          perShard.add(new Seen(async, subscribe(arn, HashKeys.shardId(s), ShardIteratorType.LATEST)));
        }
        seen.add(perShard);
      }
      for (List<Seen> perShard : seen) {
        for (Seen s : perShard) {
          s.response.get(20, TimeUnit.SECONDS);
        }
      }
      // Several batches, each spread over every shard with explicit hash keys; record i of shard s is "s-i".
      List<List<String>> expected = new ArrayList<>();
      for (int s = 0; s < shards; s++) {
        expected.add(new ArrayList<>());
      }
      for (int b = 0; b < batches; b++) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < perShardPerBatch; i++) {
          for (int s = 0; s < shards; s++) {
            String data = s + "-" + (b * perShardPerBatch + i);
            expected.get(s).add(data);
            entries.add(PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromUtf8String(data))
                .explicitHashKey(HashKeys.start(s, shards).toString()).build());
          }
        }
        assertEquals(0, sync.putRecords(r -> r.streamName("many").records(entries)).failedRecordCount());
      }
      int perShard = batches * perShardPerBatch;
      for (int c = 0; c < consumers; c++) {
        for (int s = 0; s < shards; s++) {
          Seen one = seen.get(c).get(s);
          List<String> got = new ArrayList<>(one.records(perShard).stream().map(r -> r.data().asUtf8String())
              .toList());
          // Nothing more than expected arrives (exactly once): a later event may only be an empty heartbeat.
          SubscribeToShardEvent extra;
          while ((extra = one.events.poll()) != null) {
            extra.records().forEach(r -> got.add(r.data().asUtf8String()));
          }
          assertEquals(expected.get(s), got, "consumer c" + c + " on shard " + s);
          assertFalse(one.error.isDone(), () -> "failed: " + one.error.getNow(null));
        }
      }
    }
  }

  /** Requests one event and then nothing: an application that stopped reading. */
  static final class StalledSubscriber implements Subscriber<SubscribeToShardEventStream> {
    final CompletableFuture<Void> firstEvent = new CompletableFuture<>();
    final AtomicInteger records = new AtomicInteger();

    @Override
    public void onSubscribe(Subscription subscription) {
      subscription.request(1);
    }

    @Override
    public void onNext(SubscribeToShardEventStream event) {
      if (event instanceof SubscribeToShardEvent e) {
        records.addAndGet(e.records().size());
      }
      firstEvent.complete(null);
    }

    @Override
    public void onError(Throwable t) {
      firstEvent.completeExceptionally(t);
    }

    @Override
    public void onComplete() {}
  }

  /** Counts records and keeps the worst put-to-push latency; keeps no record data. */
  static final class Counting {
    final AtomicInteger records = new AtomicInteger();
    final AtomicLong worstLatencyNanos = new AtomicLong();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    final CompletableFuture<Void> response = new CompletableFuture<>();
    final CompletableFuture<Void> reachedTarget = new CompletableFuture<>();
    final int target;

    Counting(int target) {
      this.target = target;
    }

    SubscribeToShardResponseHandler handler() {
      return SubscribeToShardResponseHandler.builder()
          .onResponse(r -> response.complete(null))
          .onError(error::complete)
          .subscriber(SubscribeToShardResponseHandler.Visitor.builder().onSubscribeToShardEvent(e -> {
            long now = System.nanoTime();
            for (Record r : e.records()) {
              ByteBuffer data = r.data().asByteBuffer();
              if (data.remaining() >= Long.BYTES) {
                worstLatencyNanos.accumulateAndGet(now - data.getLong(), Math::max);
              }
            }
            if (records.addAndGet(e.records().size()) >= target) {
              reachedTarget.complete(null);
            }
          }).build())
          .build();
    }
  }

  /**
   * The server runs as a child JVM with an 80 MiB heap while about 96 MiB is pushed past a consumer that stopped
   * reading: had the server buffered what that consumer did not take, it would run out of memory. Meanwhile two
   * other consumers of the same shard get every record, each within a few seconds of its put.
   */
  @Test
  @Timeout(120)
  void a_consumer_that_stops_reading_does_not_delay_the_others_and_the_server_heap_stays_bounded(@TempDir Path dir)
      throws Exception {
    int port = JarProcess.freePort();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    int batches = 96;
    int perBatch = 16;
    int recordBytes = 64 * 1024;
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"), List.of("-Xmx80m",
        "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError"), "--port", String.valueOf(port),
        "--data-dir", dir.resolve("data").toString(), "--event-loops", "2")) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      try (KinesisClient sync = KinesisClients.kinesis(endpoint);
           KinesisAsyncClient fast = KinesisClients.defaultAsync(endpoint);
           // Its own connection, as another application would have, and a read timeout it will not reach.
           KinesisAsyncClient slow = KinesisAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
               .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST",
                   "secret")))
               .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                   .readTimeout(Duration.ofMinutes(3)))
               .build()) {
        String streamArn = createStream(sync, "slow", 1);
        List<String> arns = new ArrayList<>();
        for (String name : List.of("stalled", "fast1", "fast2")) {
          arns.add(sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).consumer()
              .consumerARN());
        }
        sync.putRecord(r -> r.streamName("slow").partitionKey("k").data(SdkBytes.fromUtf8String("warm-up")));
        StalledSubscriber stalled = new StalledSubscriber();
        CompletableFuture<Throwable> stalledError = new CompletableFuture<>();
        slow.subscribeToShard(subscribe(arns.get(0), SHARD0, ShardIteratorType.TRIM_HORIZON),
            SubscribeToShardResponseHandler.builder().onError(stalledError::complete)
                .subscriber(() -> stalled).build());
        stalled.firstEvent.get(20, TimeUnit.SECONDS);
        int total = 1 + batches * perBatch;
        List<Counting> others = List.of(new Counting(total), new Counting(total));
        for (int i = 0; i < others.size(); i++) {
          fast.subscribeToShard(subscribe(arns.get(i + 1), SHARD0, ShardIteratorType.TRIM_HORIZON),
              others.get(i).handler());
          others.get(i).response.get(20, TimeUnit.SECONDS);
        }

        byte[] payload = new byte[recordBytes];
        long started = System.nanoTime();
        for (int b = 0; b < batches; b++) {
          List<PutRecordsRequestEntry> entries = new ArrayList<>();
          for (int i = 0; i < perBatch; i++) {
            ByteBuffer.wrap(payload).putLong(System.nanoTime()); // put time, read back by the consumers
            entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + i)
                .data(SdkBytes.fromByteArray(payload)).build());
          }
          assertEquals(0, sync.putRecords(r -> r.streamName("slow").records(entries)).failedRecordCount());
        }
        long putMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        for (Counting c : others) {
          try {
            c.reachedTarget.get(30, TimeUnit.SECONDS);
          } catch (TimeoutException e) {
            // reported below with the count
          }
        }
        System.out.printf("slow consumer: pushed %d MiB in %d ms; others' worst put-to-push latency %d / %d ms;"
            + " stalled consumer got %d of %d records%n", batches * perBatch * recordBytes >> 20, putMillis,
            TimeUnit.NANOSECONDS.toMillis(others.get(0).worstLatencyNanos.get()),
            TimeUnit.NANOSECONDS.toMillis(others.get(1).worstLatencyNanos.get()), stalled.records.get(), total);
        for (Counting c : others) {
          assertEquals(total, c.records.get(), "a reading consumer missed records (pushing took " + putMillis
              + " ms)");
          assertTrue(c.worstLatencyNanos.get() < TimeUnit.SECONDS.toNanos(5), "a reading consumer waited "
              + TimeUnit.NANOSECONDS.toMillis(c.worstLatencyNanos.get()) + " ms for a record");
        }
        assertTrue(stalled.records.get() < total, "the stalled consumer got everything: it did not stall");
        assertTrue(server.process().isAlive(), () -> "the server died:\n" + server.output());
        server.awaitHealthy(port, Duration.ofSeconds(5));
        assertFalse(server.output().contains("OutOfMemoryError"), server::output);
      }
    }
  }

  @Test
  @Timeout(30)
  void a_subscription_ends_by_itself_after_its_configured_lifetime_and_the_sdk_call_completes_normally()
      throws Exception {
    try (TestServer server = TestServer.start(Map.of("subscriptionLifetimeMillis", "1500"));
         KinesisClient sync = KinesisClients.kinesis(server.endpoint());
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      String streamArn = createStream(sync, "lifetime", 1);
      String arn = sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("c")).consumer()
          .consumerARN();
      long started = System.nanoTime();
      Seen seen = new Seen(async, subscribe(arn, SHARD0, ShardIteratorType.LATEST));
      seen.response.get(10, TimeUnit.SECONDS);
      sync.putRecord(r -> r.streamName("lifetime").partitionKey("k").data(SdkBytes.fromUtf8String("x")));
      assertEquals("x", seen.records(1).get(0).data().asUtf8String());
      assertNull(seen.done.get(10, TimeUnit.SECONDS));
      long lasted = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertTrue(lasted >= 1400, "ended after " + lasted + " ms, before its lifetime");
      assertFalse(seen.error.isDone(), () -> "failed: " + seen.error.getNow(null));
    }
  }

  @Test
  @Timeout(30)
  void subscribing_with_a_consumer_still_creating_is_refused_with_resource_in_use() throws Exception {
    try (TestServer server = TestServer.start(Map.of("consumerCreateMillis", "60000"));
         KinesisClient sync = KinesisClients.kinesis(server.endpoint());
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      String streamArn = createStream(sync, "creating", 1);
      Consumer c = sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("c")).consumer();
      assertEquals(ConsumerStatus.CREATING, c.consumerStatus());
      Seen seen = new Seen(async, subscribe(c.consumerARN(), SHARD0, ShardIteratorType.LATEST));
      Throwable error = unwrap(seen.error.get(10, TimeUnit.SECONDS));
      assertInstanceOf(ResourceInUseException.class, error);
      assertTrue(error.getMessage().contains("CREATING"), error.getMessage());
      assertFalse(seen.response.isDone(), "a refused subscription got a response");
    }
  }

  @Test
  @Timeout(60)
  void consumers_with_their_arns_states_and_tags_survive_a_restart_of_a_file_backed_server(@TempDir Path dir)
      throws Exception {
    Map<String, String> settings = Map.of("inMemory", "false", "dataDir", dir.toString(),
        "consumerDeleteMillis", "600000");
    String streamArn;
    Consumer kept;
    Consumer leaving;
    // The async client here: closing it closes its connections, so the server's graceful stop need not wait for
    // idle keep-alive connections of the blocking client.
    try (TestServer server = TestServer.start(settings);
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      async.createStream(r -> r.streamName("restart").shardCount(1)).join();
      async.waiter().waitUntilStreamExists(r -> r.streamName("restart")).join();
      streamArn = async.describeStreamSummary(r -> r.streamName("restart")).join().streamDescriptionSummary()
          .streamARN();
      kept = async.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("kept")
          .tags(Map.of("team", "a"))).join().consumer();
      leaving = async.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("leaving")).join().consumer();
      async.deregisterStreamConsumer(r -> r.consumerARN(leaving.consumerARN())).join();
      assertEquals(ConsumerStatus.DELETING, async.describeStreamConsumer(r -> r.consumerARN(leaving.consumerARN()))
          .join().consumerDescription().consumerStatus());
      async.putRecord(r -> r.streamName("restart").partitionKey("k").data(SdkBytes.fromUtf8String("before"))).join();
    }
    try (TestServer server = TestServer.start(settings);
         KinesisClient sync = KinesisClients.kinesis(server.endpoint());
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      ConsumerDescription d = sync.describeStreamConsumer(r -> r.consumerARN(kept.consumerARN()))
          .consumerDescription();
      assertEquals("kept", d.consumerName());
      assertEquals(ConsumerStatus.ACTIVE, d.consumerStatus());
      assertEquals(kept.consumerCreationTimestamp(), d.consumerCreationTimestamp());
      assertEquals(streamArn, d.streamARN());
      assertEquals(List.of(Tag.builder().key("team").value("a").build()),
          sync.listTagsForResource(r -> r.resourceARN(kept.consumerARN())).tags());
      // The deregistration the restart interrupted is finished: the consumer is gone.
      assertThrows(ResourceNotFoundException.class,
          () -> sync.describeStreamConsumer(r -> r.consumerARN(leaving.consumerARN())));
      assertEquals(List.of(kept.consumerARN()), sync.listStreamConsumers(r -> r.streamARN(streamArn)).consumers()
          .stream().map(Consumer::consumerARN).toList());
      assertEquals(1, sync.describeStreamSummary(r -> r.streamName("restart")).streamDescriptionSummary()
          .consumerCount());
      // ...and the same ARN still subscribes, from the data written before the restart.
      Seen seen = new Seen(async, subscribe(kept.consumerARN(), SHARD0, ShardIteratorType.TRIM_HORIZON));
      assertEquals("before", seen.records(1).get(0).data().asUtf8String());
    }
  }

  /** The one long test: 30 s of silence on the shard, with the SDK's default client and read timeout (10 s). */
  @Test
  @Timeout(60)
  void an_idle_subscription_survives_30_seconds_with_the_sdk_default_read_timeout_and_default_heartbeat()
      throws Exception {
    try (TestServer server = TestServer.start(Map.of());
         KinesisClient sync = KinesisClients.kinesis(server.endpoint());
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      String streamArn = createStream(sync, "idle", 1);
      String arn = sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("c")).consumer()
          .consumerARN();
      Seen seen = new Seen(async, subscribe(arn, SHARD0, ShardIteratorType.LATEST));
      seen.response.get(10, TimeUnit.SECONDS);
      // Awaiting a failure that must not come: a read timeout would complete this within 10-ish seconds.
      assertThrows(TimeoutException.class, () -> seen.error.get(30, TimeUnit.SECONDS),
          () -> "failed while idle: " + seen.error.getNow(null));
      assertFalse(seen.done.isDone(), "the call ended while idle");
      int heartbeats = seen.events.size();
      assertTrue(heartbeats >= 5, "only " + heartbeats + " heartbeats in 30 s");
      seen.events.forEach(e -> assertTrue(e.records().isEmpty()));
      seen.events.clear();
      sync.putRecord(r -> r.streamName("idle").partitionKey("k").data(SdkBytes.fromUtf8String("after")));
      assertEquals("after", seen.records(1).get(0).data().asUtf8String());
    }
  }
}
