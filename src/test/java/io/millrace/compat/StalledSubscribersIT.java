package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.compat.FanOutIT.Counting;
import io.millrace.compat.FanOutIT.StalledSubscriber;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.ServerProbe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
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
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * A hundred SubscribeToShard clients that stop reading, each from the start of a 60 MiB stream, against a server in a
 * 256 MiB heap: half over chunked HTTP/1.1 sockets that never read past the status line, half through the AWS SDK
 * over HTTP/2 with a subscriber that never asks for a second event. Each subscription may hold only its in-flight
 * budget, so the server neither runs out of memory nor holds back a consumer that reads: that one still gets every
 * record of its shard, and a new record at once. The heap and RSS figures are printed for the record.
 */
class StalledSubscribersIT {

  private static final int SHARDS = 10;
  private static final int STALLED_CONSUMERS = 10;
  private static final int RECORD_BYTES = 16 * 1024;
  private static final int BATCHES = 60;
  private static final int PER_BATCH = 64; // 60 x 64 x 16 KiB = 60 MiB

  @Test
  @Timeout(300)
  void a_hundred_subscribers_that_stop_reading_hold_bounded_memory_and_a_reading_one_gets_everything(
      @TempDir Path dir) throws Exception {
    int port = JarProcess.freePort();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"), List.of("-Xmx256m",
        "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError"), "--port", String.valueOf(port),
        "--data-dir", dir.resolve("data").toString(), "--event-loops", "2")) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      List<Socket> stalledSockets = new ArrayList<>();
      try (KinesisClient sync = KinesisClients.kinesis(endpoint);
           KinesisAsyncClient stalledH2 = KinesisAsyncClient.builder().endpointOverride(endpoint)
               .region(Region.US_EAST_1)
               .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "s")))
               .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2).maxConcurrency(100)
                   .readTimeout(Duration.ofMinutes(5)))
               .build();
           KinesisAsyncClient reader = KinesisClients.defaultAsync(endpoint)) {
        sync.createStream(r -> r.streamName("deep").shardCount(SHARDS));
        String streamArn = sync.describeStreamSummary(r -> r.streamName("deep")).streamDescriptionSummary()
            .streamARN();
        List<String> consumers = new ArrayList<>();
        for (int c = 0; c <= STALLED_CONSUMERS; c++) {
          String name = "c" + c;
          consumers.add(sync.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).consumer()
              .consumerARN());
        }
        int[] perShard = write60MiB(sync);

        // 100 subscriptions from TRIM_HORIZON that stop reading: consumers 0-4 over HTTP/1.1, 5-9 over HTTP/2.
        for (int c = 0; c < STALLED_CONSUMERS; c++) {
          for (int s = 0; s < SHARDS; s++) {
            String shard = HashKeys.shardId(s);
            if (c < STALLED_CONSUMERS / 2) {
              stalledSockets.add(stalledHttp1(port, consumers.get(c), shard));
            } else {
              StalledSubscriber stalled = new StalledSubscriber();
              stalledH2.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumers.get(c))
                  .shardId(shard).startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(),
                  SubscribeToShardResponseHandler.builder().onError(e -> { }).subscriber(() -> stalled).build());
            }
          }
        }
        awaitMetric(endpoint, "millrace_subscriptions_waiting_on_client", 100, server);

        // A consumer that reads gets all of shard 0 from its start, then a new record, while the others stall.
        Counting fast = new Counting(perShard[0] + 1);
        reader.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumers.get(STALLED_CONSUMERS))
            .shardId(HashKeys.shardId(0)).startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(),
            fast.handler());
        fast.response.get(30, TimeUnit.SECONDS);
        awaitCount(fast, perShard[0], server);
        sync.putRecord(r -> r.streamName("deep").partitionKey("late").explicitHashKey("0")
            .data(SdkBytes.fromByteArray(new byte[64])));
        fast.reachedTarget.get(30, TimeUnit.SECONDS);
        assertEquals(perShard[0] + 1, fast.records.get());

        assertTrue(server.process().isAlive(), () -> "the server died:\n" + server.output());
        assertFalse(server.output().contains("OutOfMemoryError"), server::output);
        double heapAfterGc = ServerProbe.heapAfterGc(server, endpoint);
        String metrics = PrometheusText.scrape(endpoint);
        System.out.printf("100 stalled subscribers on a 60 MiB stream: %.0f subscriptions waiting on their client, "
                + "%.1f MiB in flight; heap after GC %.1f MiB of 256 MiB; server RSS %.1f MiB%n",
            PrometheusText.value(metrics, "millrace_subscriptions_waiting_on_client"),
            PrometheusText.value(metrics, "millrace_subscription_in_flight_bytes") / (1 << 20),
            heapAfterGc / (1 << 20), ServerProbe.rssBytes(server) / (double) (1 << 20));
        assertTrue(PrometheusText.value(metrics, "millrace_subscription_in_flight_bytes")
            <= 100 * 2 * (512 * 1024 + RECORD_BYTES), metrics);
      } finally {
        for (Socket socket : stalledSockets) {
          socket.close();
        }
      }
    }
  }

  /** 60 MiB in records of 16 KiB under random keys; returns how many records each shard got. */
  private static int[] write60MiB(KinesisClient sync) {
    int[] perShard = new int[SHARDS];
    Random random = new Random(60);
    byte[] data = new byte[RECORD_BYTES];
    for (int b = 0; b < BATCHES; b++) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (int i = 0; i < PER_BATCH; i++) {
        random.nextBytes(data);
        entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + random.nextLong())
            .data(SdkBytes.fromByteArray(data)).build());
      }
      PutRecordsResponse response = sync.putRecords(r -> r.streamName("deep").records(entries));
      assertEquals(0, response.failedRecordCount());
      response.records().forEach(e -> perShard[Integer.parseInt(e.shardId().substring("shardId-".length()))]++);
    }
    return perShard;
  }

  /**
   * Sends SubscribeToShard over a plain HTTP/1.1 socket with a small receive buffer, reads the status line and then
   * nothing more: a client that stopped reading.
   */
  private static Socket stalledHttp1(int port, String consumerArn, String shardId) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(16 * 1024);
    socket.setSoTimeout(30_000);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    byte[] body = ("{\"ConsumerARN\":\"" + consumerArn + "\",\"ShardId\":\"" + shardId
        + "\",\"StartingPosition\":{\"Type\":\"TRIM_HORIZON\"}}").getBytes(StandardCharsets.UTF_8);
    String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\n"
        + "X-Amz-Target: Kinesis_20131202.SubscribeToShard\r\n"
        + "X-Amz-Date: 20261130T120000Z\r\n"
        + "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20261130/us-east-1/kinesis/aws4_request, "
        + "SignedHeaders=host;x-amz-date, Signature=0000\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n";
    OutputStream out = socket.getOutputStream();
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    InputStream in = socket.getInputStream();
    StringBuilder status = new StringBuilder();
    for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
      status.append((char) b);
    }
    assertEquals("HTTP/1.1 200 OK", status.toString().trim());
    return socket;
  }

  /** Waits (bounded) until the server's metric reaches {@code target}. */
  private static void awaitMetric(URI endpoint, String name, double target, JarProcess server) {
    awaitValue(() -> PrometheusText.value(PrometheusText.scrape(endpoint), name), target, name, server);
  }

  private static void awaitCount(Counting counting, int target, JarProcess server) {
    awaitValue(() -> counting.records.get(), target, "records the reading consumer got", server);
  }

  private static void awaitValue(DoubleSupplier value, double target, String what, JarProcess server) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    double last = value.getAsDouble();
    while (last < target) {
      assertTrue(server.process().isAlive(), () -> "the server died:\n" + server.output());
      assertTrue(System.nanoTime() < deadline, what + " stayed at " + value.getAsDouble() + ", below " + target);
      pause();
      last = value.getAsDouble();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(200); // polling another process's metrics: there is no event to await across processes
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
