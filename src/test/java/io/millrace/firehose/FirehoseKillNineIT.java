package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.JarProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponse;
import software.amazon.awssdk.services.firehose.model.Record;

/**
 * Durability of delivery streams: the built jar is SIGKILLed while producers put records and batches are being
 * delivered; after every restart each record the server acknowledged is delivered to the embedded S3 files (at least
 * once: a batch cut off between its delivery and its checkpoint may be delivered twice, never lost).
 */
class FirehoseKillNineIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final int CYCLES = 3;
  private static final int PRODUCERS = 3;

  @TempDir
  Path tmp;

  private JarProcess server;
  private int port;
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

  @Test
  @Timeout(300)
  void every_acknowledged_record_is_delivered_after_sigkill_during_puts_and_deliveries() throws Exception {
    start(0);
    try (FirehoseClient firehose = FirehoseClients.sync(endpoint())) {
      // Small, frequent batches: deliveries are under way when the kill lands.
      firehose.createDeliveryStream(b -> b.deliveryStreamName("crash").extendedS3DestinationConfiguration(s -> s
          .roleARN(ROLE).bucketARN("arn:aws:s3:::crash-bucket").bufferingHints(h -> h.sizeInMBs(1)
              .intervalInSeconds(0))));
    }
    for (int cycle = 0; cycle < CYCLES; cycle++) {
      produceThenKill(cycle);
      start(cycle + 1);
      awaitAllDelivered("after cycle " + cycle);
    }
    server.kill();
    System.out.printf("FirehoseKillNineIT: %d cycles, %d acknowledged records, all delivered%n", CYCLES,
        acknowledged.size());
  }

  private void start(int generation) throws IOException {
    port = JarProcess.freePort();
    server = JarProcess.start(tmp.resolve("server-" + generation + ".log"), "--port", String.valueOf(port),
        "--data-dir", tmp.resolve("data").toString(), "--durability", "always", "--event-loops", "2");
    server.awaitHealthy(port, Duration.ofSeconds(20));
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  private void produceThenKill(int cycle) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch enough = new CountDownLatch(PRODUCERS * 20);
    CountDownLatch done = new CountDownLatch(PRODUCERS);
    List<FirehoseClient> clients = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      FirehoseClient client = FirehoseClients.sync(endpoint());
      clients.add(client);
      String prefix = "c" + cycle + "-p" + p + "-";
      new Thread(() -> {
        try {
          for (int n = 0; !stop.get(); n++) {
            List<Record> records = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
              String value = prefix + n + "-" + i;
              values.add(value);
              records.add(Record.builder().data(SdkBytes.fromUtf8String(value + "\n")).build());
            }
            PutRecordBatchResponse r = client.putRecordBatch(b -> b.deliveryStreamName("crash").records(records));
            for (int i = 0; i < values.size(); i++) {
              if (r.requestResponses().get(i).errorCode() == null) {
                acknowledged.add(values.get(i));
              }
            }
            enough.countDown();
          }
        } catch (RuntimeException e) {
          // Expected once the server is killed: an unanswered put is not an acknowledgement.
        } finally {
          done.countDown();
        }
      }, "producer-" + prefix).start();
    }
    assertTrue(enough.await(60, TimeUnit.SECONDS), "the producers did not get going");
    server.kill();
    stop.set(true);
    assertTrue(done.await(30, TimeUnit.SECONDS), "the producers did not stop after the kill");
    clients.forEach(FirehoseClient::close);
  }

  /** Waits (bounded) until the bucket's files hold every acknowledged record; fails naming what is missing. */
  private void awaitAllDelivered(String when) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Set<String> missing = Set.of();
    while (System.nanoTime() < deadline) {
      Set<String> delivered = delivered();
      missing = new HashSet<>(acknowledged);
      missing.removeAll(delivered);
      if (missing.isEmpty()) {
        return;
      }
      Thread.sleep(100); // polling files another process writes: there is no event to await
    }
    assertEquals(Set.of(), missing, when + ": acknowledged records never delivered (" + acknowledged.size()
        + " acknowledged); server output:\n" + server.output());
  }

  private Set<String> delivered() {
    return new HashSet<>(new LocalBuckets(tmp.resolve("data")).lines("crash-bucket"));
  }
}
