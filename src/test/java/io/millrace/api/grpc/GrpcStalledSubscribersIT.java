package io.millrace.api.grpc;

import static io.millrace.testing.GrpcClients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.DescribeStreamRequest;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.Record;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeEvent;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.JarProcess;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forty Subscribe calls that stop reading, each from the start of a 40 MiB shard and on a connection of its own, against a server in a 128 MiB
 * heap: HTTP/2 flow control stops each stream once the client's window is full, and the subscription then holds its
 * in-flight budget and no more. The server does not run out of memory, and a subscriber that reads (on a connection
 * of its own) still gets every record and then a new one.
 */
class GrpcStalledSubscribersIT {

  private static final int STALLED = 40;
  private static final int RECORD_BYTES = 16 * 1024;
  private static final int BATCHES = 40;
  private static final int PER_BATCH = 64; // 40 x 64 x 16 KiB = 40 MiB

  private static final StreamRef DEEP = StreamRef.newBuilder().setName("deep").build();

  @Test
  @Timeout(300)
  void forty_subscribers_that_stop_reading_hold_bounded_memory_and_a_reading_one_gets_everything(@TempDir Path dir)
      throws Exception {
    int port = JarProcess.freePort();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"), List.of("-Xmx128m",
        "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError"), "--port", String.valueOf(port),
        "--data-dir", dir.resolve("data").toString(), "--event-loops", "2");
         GrpcClients stalledClients = new GrpcClients(endpoint);
         GrpcClients readerClients = new GrpcClients(endpoint)) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      var millrace = stalledClients.millrace();
      await(millrace.createStream(CreateStreamRequest.newBuilder().setName("deep").setShardCount(1).build()));
      Poll.until("deep ACTIVE", () -> await(millrace.describeStream(DescribeStreamRequest.newBuilder()
          .setStream(DEEP).build())).getStatus().equals("ACTIVE"));
      Random random = new Random(40);
      byte[] data = new byte[RECORD_BYTES];
      for (int b = 0; b < BATCHES; b++) {
        ProduceRequest.Builder batch = ProduceRequest.newBuilder().setStream(DEEP);
        for (int i = 0; i < PER_BATCH; i++) {
          random.nextBytes(data);
          batch.addRecords(Record.newBuilder().setPartitionKey("k" + i).setData(ByteString.copyFrom(data)));
        }
        assertEquals(0, await(millrace.produce(batch.build())).getFailedRecordCount());
      }

      SubscribeRequest fromStart = SubscribeRequest.newBuilder().setStream(DEEP).setShardId("shardId-000000000000")
          .setPosition(Position.newBuilder().setTrimHorizon(true)).build();
      List<ReadStream<SubscribeEvent>> stalled = new ArrayList<>();
      for (int s = 0; s < STALLED; s++) {
        // A client of its own that reads nothing: paused as soon as it answers, its HTTP/2 windows (the stream's
        // and the connection's) fill and stay full.
        stalled.add(await(stalledClients.onNewConnection().subscribe(fromStart)
            .map(events -> events.pause().handler(e -> { }))));
      }
      Poll.until("every stalled subscription waiting on its client", () -> metric(endpoint,
          "millrace_subscriptions_waiting_on_client") >= STALLED);

      AtomicInteger got = new AtomicInteger();
      await(readerClients.millrace().subscribe(fromStart)
          .map(events -> events.handler(e -> got.addAndGet(e.getRecordsCount()))));
      int total = BATCHES * PER_BATCH;
      Poll.until("the reading subscriber has the whole shard", () -> got.get() >= total);
      await(millrace.produce(ProduceRequest.newBuilder().setStream(DEEP).addRecords(Record.newBuilder()
          .setPartitionKey("late").setData(ByteString.copyFromUtf8("late"))).build()));
      Poll.until("the reading subscriber has the new record", () -> got.get() == total + 1);

      assertTrue(server.process().isAlive(), () -> "the server died:\n" + server.output());
      assertFalse(server.output().contains("OutOfMemoryError"), server::output);
      double inFlight = metric(endpoint, "millrace_subscription_in_flight_bytes");
      System.out.printf("%d stalled gRPC subscribers on a 40 MiB shard: %.1f MiB in flight in a 128 MiB heap%n",
          STALLED, inFlight / (1 << 20));
      assertTrue(inFlight <= (STALLED + 1) * (512 * 1024 + RECORD_BYTES), "in flight: " + inFlight);
    }
  }

  private static double metric(URI endpoint, String name) {
    return PrometheusText.value(PrometheusText.scrape(endpoint), name);
  }
}
