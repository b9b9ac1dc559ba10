package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.MutableClock;
import io.millrace.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.Record;

/**
 * BufferingHints: a batch goes out when the buffer reaches SizeInMBs or when its oldest record is IntervalInSeconds
 * old, whichever comes first; the server's clock is the test's, so the interval is crossed by moving the clock.
 */
class BufferingIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock();
  private TestServer server;
  private FirehoseClient firehose;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()), clock);
    firehose = FirehoseClients.sync(server.endpoint());
  }

  @AfterEach
  void stop() {
    firehose.close();
    server.close();
  }

  private void create(String name, int sizeMiB, int intervalSeconds) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(name).extendedS3DestinationConfiguration(s -> s
        .roleARN(ROLE).bucketARN("arn:aws:s3:::" + name).bufferingHints(h -> h.sizeInMBs(sizeMiB)
            .intervalInSeconds(intervalSeconds))));
  }

  private boolean checkNow(String name) throws Exception {
    DeliveryHandle handle = server.millrace().firehose().deliveries().find(new DeliveryStreamKey("000000000000",
        "us-east-1", name));
    return handle.checkNow().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private List<Path> objects(String bucket) throws IOException {
    Path root = dir.resolve("s3").resolve(bucket);
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted()
          .toList();
    }
  }

  private List<Path> awaitObjects(String bucket, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<Path> found = objects(bucket);
    while (found.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(20); // the delivery writes files from its own worker: poll them, bounded
      found = objects(bucket);
    }
    assertEquals(count, found.size(), "objects in " + bucket + ": " + found);
    return found;
  }

  @Test
  void a_full_buffer_is_delivered_before_its_interval() throws Exception {
    create("by-size", 1, 900);
    byte[] chunk = new byte[300 * 1024];
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      records.add(Record.builder().data(SdkBytes.fromByteArray(chunk)).build());
    }
    firehose.putRecordBatch(b -> b.deliveryStreamName("by-size").records(records));
    // 1.2 MiB buffered, the clock never moved: only the size rule can have delivered it.
    List<Path> delivered = awaitObjects("by-size", 1);
    assertTrue(Files.size(delivered.get(0)) >= 1024 * 1024, "one object of at least SizeInMBs");
  }

  @Test
  void a_small_buffer_waits_for_its_interval_by_the_servers_clock() throws Exception {
    create("by-time", 5, 60);
    firehose.putRecord(b -> b.deliveryStreamName("by-time").record(r -> r.data(SdkBytes.fromUtf8String("x\n"))));
    clock.advance(Duration.ofSeconds(59));
    assertFalse(checkNow("by-time"), "59 s after the record arrived nothing is due");
    assertEquals(List.of(), objects("by-time"));
    clock.advance(Duration.ofSeconds(1));
    checkNow("by-time"); // due now: delivered without waiting for the periodic check (which may get there first)
    assertEquals("x\n", Files.readString(awaitObjects("by-time", 1).get(0)));
  }

  @Test
  void an_interval_of_zero_delivers_at_once() throws Exception {
    create("at-once", 5, 0);
    firehose.putRecord(b -> b.deliveryStreamName("at-once").record(r -> r.data(SdkBytes.fromUtf8String("now\n"))));
    assertEquals("now\n", Files.readString(awaitObjects("at-once", 1).get(0)));
  }
}
