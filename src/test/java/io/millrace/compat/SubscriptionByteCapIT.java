package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * {@code subscriptionMaxBytesPerSecond}: with a cap of 256 KiB/s, a subscriber starting 1 MiB behind gets every
 * record, spread over at least three seconds, never more than the cap within any half second of arrival.
 */
class SubscriptionByteCapIT {

  static final long CAP = 256 * 1024;
  static final int RECORDS = 64;
  /** 16 KiB per record as AWS bills it (data plus the one-byte partition key): 64 of them are 1 MiB. */
  static final int DATA_BYTES = 16 * 1024 - 1;

  static TestServer server;
  static KinesisClient sync;
  static KinesisAsyncClient async;

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("subscriptionMaxBytesPerSecond", String.valueOf(CAP),
        "subscriptionHeartbeatMillis", "500"));
    sync = KinesisClients.kinesis(server.endpoint());
    async = KinesisAsyncClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
            .readTimeout(Duration.ofSeconds(5)))
        .build();
  }

  @AfterAll
  static void stop() {
    async.close();
    sync.close();
    server.close();
  }

  /** One data event as the subscriber saw it: when it arrived, and its records. */
  record Arrival(long nanos, List<Record> records) {
    long bytes() {
      return records.stream().mapToLong(r -> r.data().asByteArray().length + r.partitionKey().length()).sum();
    }
  }

  @Test
  void a_capped_subscriber_gets_a_backlog_paced_by_the_cap() throws Exception {
    sync.createStream(r -> r.streamName("capped").shardCount(1));
    sync.waiter().waitUntilStreamExists(r -> r.streamName("capped"));
    String streamArn = sync.describeStreamSummary(r -> r.streamName("capped")).streamDescriptionSummary()
        .streamARN();
    String consumer = sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName("c")).consumer()
        .consumerARN();
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      byte[] data = new byte[DATA_BYTES];
      data[0] = (byte) i;
      entries.add(PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromByteArray(data)).build());
    }
    assertEquals(0, sync.putRecords(r -> r.streamName("capped").records(entries)).failedRecordCount());

    BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    async.subscribeToShard(r -> r.consumerARN(consumer).shardId("shardId-000000000000")
        .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)),
        SubscribeToShardResponseHandler.builder().onError(error::complete)
            .subscriber(SubscribeToShardResponseHandler.Visitor.builder().onSubscribeToShardEvent(e -> {
              if (!e.records().isEmpty()) {
                arrivals.add(new Arrival(System.nanoTime(), e.records()));
              }
            }).build()).build());

    List<Arrival> seen = new ArrayList<>();
    int received = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(9); // 4 windows of the cap take ~3 s
    while (received < RECORDS) {
      Arrival a = arrivals.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      assertTrue(a != null, "only " + received + " of " + RECORDS + " records within 9 s; error: "
          + error.getNow(null));
      seen.add(a);
      received += a.records().size();
    }
    assertFalse(error.isDone(), "the subscription failed: " + error.getNow(null));

    List<Integer> order = seen.stream().flatMap(a -> a.records().stream())
        .map(r -> (int) r.data().asByteArray()[0]).toList();
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      expected.add(i);
    }
    assertEquals(expected, order, "every record once, in order");

    long spanMillis = (seen.get(seen.size() - 1).nanos() - seen.get(0).nanos()) / 1_000_000;
    assertTrue(spanMillis >= 2_500, "1 MiB at 256 KiB/s arrived within " + spanMillis + " ms");
    // Arrival times carry client-side jitter, so check half-second windows: the server's guarantee is a full second.
    for (Arrival first : seen) {
      long inWindow = seen.stream().filter(a -> a.nanos() >= first.nanos()
          && a.nanos() < first.nanos() + TimeUnit.MILLISECONDS.toNanos(500)).mapToLong(Arrival::bytes).sum();
      assertTrue(inWindow <= CAP, inWindow + " bytes arrived within 500 ms");
    }
  }
}
