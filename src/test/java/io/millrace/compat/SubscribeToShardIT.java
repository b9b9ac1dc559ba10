package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * SubscribeToShard through the AWS SDK's async client, over HTTP/2 cleartext (what the SDK builds by default) and
 * over chunked HTTP/1.1 (an explicitly built client). The server heartbeats every 300 ms and the clients time reads
 * out after 2 s, so "idle streams survive the read timeout" is checked in seconds rather than the SDK's 10 s.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {"HTTP2", "HTTP1_1"})
class SubscribeToShardIT {

  @Parameter
  String protocol;

  static TestServer server;
  static KinesisClient sync;
  static final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("subscriptionHeartbeatMillis", "300", "subscriptionTakeoverMillis", "700"));
    sync = KinesisClients.kinesis(server.endpoint());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    closeables.clear();
    sync.close();
    server.close();
  }

  static KinesisAsyncClient asyncClient(URI endpoint, String protocol) {
    var builder = KinesisAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    KinesisAsyncClient client;
    if (protocol.equals("HTTP2")) {
      client = builder.httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
          .readTimeout(Duration.ofSeconds(2))).build();
    } else {
      SdkAsyncHttpClient http = NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1)
          .readTimeout(Duration.ofSeconds(2)).build();
      closeables.add(http);
      client = builder.httpClient(http).build();
    }
    closeables.add(client);
    return client;
  }

  /** What one subscription saw. */
  static final class Seen {
    final BlockingQueue<SubscribeToShardEvent> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> response = new CompletableFuture<>();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    final CompletableFuture<Void> done;
    volatile String lastContinuation;

    Seen(KinesisAsyncClient client, SubscribeToShardRequest request) {
      SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
          .onResponse(r -> response.complete(null))
          .onError(error::complete)
          .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
              .onSubscribeToShardEvent(events::add).build())
          .build();
      done = client.subscribeToShard(request, handler);
    }

    /** Records from events until {@code count} arrived; every event must carry a continuation number. */
    List<Record> records(int count) throws InterruptedException {
      List<Record> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.size() < count) {
        SubscribeToShardEvent e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        assertNotNull(e, "only " + out.size() + " of " + count + " records arrived");
        assertNotNull(e.continuationSequenceNumber(), "an event without ContinuationSequenceNumber");
        out.addAll(e.records());
        lastContinuation = e.continuationSequenceNumber();
      }
      return out;
    }

    String lastContinuation() {
      return lastContinuation;
    }
  }

  private String stream(String name, int shards) {
    String stream = name + "-" + protocol.toLowerCase().replace("_", "");
    sync.createStream(r -> r.streamName(stream).shardCount(shards));
    sync.waiter().waitUntilStreamExists(r -> r.streamName(stream));
    return stream;
  }

  private String consumer(String stream, String name) {
    String streamArn = sync.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamARN();
    String arn = sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).consumer().consumerARN();
    return arn;
  }

  private static SubscribeToShardRequest request(String consumerArn, String shardId,
                                                 Consumer<software.amazon.awssdk.services.kinesis.model.StartingPosition.Builder> position) {
    return SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(shardId)
        .startingPosition(p -> position.accept(p)).build();
  }

  private void put(String stream, int from, int to) {
    for (int i = from; i < to; i++) {
      String data = "r" + i;
      sync.putRecord(r -> r.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String(data)));
    }
  }

  private static List<String> texts(List<Record> records) {
    return records.stream().map(r -> r.data().asUtf8String()).toList();
  }

  private static List<String> expected(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add("r" + i);
    }
    return out;
  }

  @Test
  void records_put_after_subscribing_arrive_in_order_after_the_initial_response() throws Exception {
    String stream = stream("push", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen seen = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    seen.response.get(10, TimeUnit.SECONDS);
    put(stream, 0, 50);
    assertEquals(expected(0, 50), texts(seen.records(50)));
  }

  @Test
  void a_live_subscription_ends_with_child_shards_and_no_continuation_when_its_shard_is_split() throws Exception {
    String stream = stream("split", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen seen = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    seen.response.get(10, TimeUnit.SECONDS);
    put(stream, 0, 10);
    assertEquals(expected(0, 10), texts(seen.records(10)));
    sync.splitShard(r -> r.streamName(stream).shardToSplit("shardId-000000000000")
        .newStartingHashKey(BigInteger.ONE.shiftLeft(127).toString()));
    put(stream, 10, 15); // these go to the children, never to the closed parent's subscription
    SubscribeToShardEvent last;
    do {
      last = seen.events.poll(10, TimeUnit.SECONDS);
      assertNotNull(last, "no shard-end event");
      assertTrue(last.records().isEmpty(), "no record after the parent's end: " + texts(last.records()));
    } while (last.continuationSequenceNumber() != null);
    assertEquals(List.of("shardId-000000000001", "shardId-000000000002"),
        last.childShards().stream().map(c -> c.shardId()).sorted().toList());
    assertEquals(List.of("shardId-000000000000"), last.childShards().get(0).parentShards());
    seen.done.get(10, TimeUnit.SECONDS);
    assertTrue(seen.events.isEmpty());
  }

  @Test
  void continuation_numbers_resume_a_new_subscription_without_loss_or_duplicates() throws Exception {
    String stream = stream("resume", 1);
    String consumer = consumer(stream, "c");
    put(stream, 0, 20);
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen first = new Seen(client, request(consumer, "shardId-000000000000",
        p -> p.type(ShardIteratorType.TRIM_HORIZON)));
    List<Record> got = new ArrayList<>(first.records(20));
    String continuation = first.lastContinuation();
    assertEquals(got.get(got.size() - 1).sequenceNumber(), continuation);
    put(stream, 20, 30);
    // Wait past the takeover protection, then resume where the first left off.
    Thread.sleep(800); // the takeover window is a fixed time span: there is no event to await
    Seen second = new Seen(client, request(consumer, "shardId-000000000000",
        p -> p.type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(continuation)));
    got.addAll(second.records(10));
    assertEquals(expected(0, 30), texts(got));
    assertInstanceOf(ResourceInUseException.class, unwrap(first.error.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void an_idle_subscription_gets_heartbeats_and_outlives_the_client_read_timeout() throws Exception {
    String stream = stream("idle", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen seen = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    seen.response.get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // 2.5 read timeouts of silence but heartbeats
    int heartbeats = 0;
    while (System.nanoTime() < deadline) {
      SubscribeToShardEvent e = seen.events.poll(1, TimeUnit.SECONDS);
      assertNotNull(e, "no event within 1 s while idle");
      assertTrue(e.records().isEmpty());
      assertNotNull(e.continuationSequenceNumber());
      heartbeats++;
    }
    assertTrue(heartbeats >= 5, "only " + heartbeats + " heartbeats");
    assertTrue(!seen.error.isDone(), "failed: " + seen.error.getNow(null));
    put(stream, 0, 1);
    assertEquals(expected(0, 1), texts(seen.records(1)));
  }

  @Test
  void a_client_that_disconnects_mid_stream_frees_its_subscription_at_once() throws Exception {
    String stream = stream("disconnect", 1);
    String consumer = consumer(stream, "c");
    String body = "{\"ConsumerARN\":\"" + consumer + "\",\"ShardId\":\"shardId-000000000000\","
        + "\"StartingPosition\":{\"Type\":\"LATEST\"}}";
    Vertx vertx = Vertx.vertx();
    try {
      HttpClientOptions options = new HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(server.port());
      if (protocol.equals("HTTP2")) {
        options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
      }
      io.vertx.core.http.HttpClient raw = vertx.createHttpClient(options);
      CompletableFuture<Void> firstBytes = new CompletableFuture<>();
      HttpClientRequest subscribe = raw.request(HttpMethod.POST, "/").toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      subscribe.putHeader("Content-Type", "application/x-amz-json-1.1")
          .putHeader("X-Amz-Target", "Kinesis_20131202.SubscribeToShard")
          .putHeader("X-Amz-Date", "20260101T000000Z")
          .putHeader("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesis/aws4_request, "
              + "SignedHeaders=host, Signature=0");
      subscribe.response().onSuccess(response -> response.handler(bytes -> firstBytes.complete(null)));
      subscribe.end(body);
      firstBytes.get(10, TimeUnit.SECONDS); // the initial-response event: the subscription is live
      // Disconnect: HTTP/2 resets the stream, HTTP/1.1 closes the connection.
      if (protocol.equals("HTTP2")) {
        subscribe.reset();
      } else {
        subscribe.connection().close();
      }

      // Well within the takeover window (700 ms here): only a freed subscription lets this one in.
      KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      Seen next;
      do {
        next = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
        CompletableFuture.anyOf(next.response, next.error).get(10, TimeUnit.SECONDS);
      } while (next.error.isDone() && System.nanoTime() < deadline);
      assertTrue(next.response.isDone(), "a new subscription was refused after the old client disconnected: "
          + (next.error.isDone() ? next.error.get() : ""));
      put(stream, 0, 2);
      assertEquals(expected(0, 2), texts(next.records(2)));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_second_subscription_within_the_takeover_window_is_refused() throws Exception {
    String stream = stream("takeover", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen first = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    first.response.get(10, TimeUnit.SECONDS);
    Seen second = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    assertInstanceOf(ResourceInUseException.class, unwrap(second.error.get(10, TimeUnit.SECONDS)));
    put(stream, 0, 3);
    assertEquals(expected(0, 3), texts(first.records(3)));
  }

  @Test
  void deregistering_the_consumer_ends_its_live_subscriptions_with_resource_not_found() throws Exception {
    String stream = stream("dereg", 2);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen first = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    Seen second = new Seen(client, request(consumer, "shardId-000000000001", p -> p.type(ShardIteratorType.LATEST)));
    first.response.get(10, TimeUnit.SECONDS);
    second.response.get(10, TimeUnit.SECONDS);
    sync.deregisterStreamConsumer(r -> r.consumerARN(consumer));
    for (Seen seen : List.of(first, second)) {
      Throwable error = unwrap(seen.error.get(5, TimeUnit.SECONDS));
      assertInstanceOf(ResourceNotFoundException.class, error);
      assertTrue(error.getMessage().contains(consumer), error.getMessage());
      // ...and the call is over: the stream ended after the exception event.
      assertTrue(seen.done.handle((v, e) -> e).get(5, TimeUnit.SECONDS) != null);
    }
  }

  @Test
  void deleting_the_stream_with_enforce_consumer_deletion_ends_its_consumers_subscriptions() throws Exception {
    String stream = stream("delete-enforced", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    Seen seen = new Seen(client, request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST)));
    seen.response.get(10, TimeUnit.SECONDS);
    sync.deleteStream(r -> r.streamName(stream).enforceConsumerDeletion(true));
    assertInstanceOf(ResourceNotFoundException.class, unwrap(seen.error.get(5, TimeUnit.SECONDS)));
    assertTrue(seen.done.handle((v, e) -> e).get(5, TimeUnit.SECONDS) != null);
  }

  @Test
  void bad_requests_get_clear_aws_errors() throws Exception {
    String stream = stream("bad", 1);
    String consumer = consumer(stream, "c");
    KinesisAsyncClient client = asyncClient(server.endpoint(), protocol);
    String unknown = consumer.replace("/consumer/c:", "/consumer/nobody:");
    assertInstanceOf(ResourceNotFoundException.class, unwrap(new Seen(client,
        request(unknown, "shardId-000000000000", p -> p.type(ShardIteratorType.LATEST))).error.get(10,
        TimeUnit.SECONDS)));
    assertInstanceOf(ResourceNotFoundException.class, unwrap(new Seen(client,
        request(consumer, "shardId-000000000007", p -> p.type(ShardIteratorType.LATEST))).error.get(10,
        TimeUnit.SECONDS)));
    assertInstanceOf(InvalidArgumentException.class, unwrap(new Seen(client,
        request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.AT_SEQUENCE_NUMBER))).error.get(10,
        TimeUnit.SECONDS)));
    assertInstanceOf(InvalidArgumentException.class, unwrap(new Seen(client,
        request(consumer, "shardId-000000000000", p -> p.type(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
            .sequenceNumber("12345"))).error.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void a_garbage_body_is_a_serialization_error_not_a_500() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.endpoint())
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "Kinesis_20131202.SubscribeToShard")
        .POST(HttpRequest.BodyPublishers.ofString("{not json")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("SerializationException"), response.body());
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t.getClass().getName().contains("SdkClientException"))
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
