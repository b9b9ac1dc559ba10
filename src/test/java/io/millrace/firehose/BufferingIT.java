package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.MutableClock;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private LocalBuckets buckets;
  private TestServer server;
  private FirehoseClient firehose;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()), clock);
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
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
    return server.checkDelivery(name);
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
    List<String> delivered = buckets.awaitKeys("by-size", 1);
    assertEquals(1, delivered.size(), "one object: " + delivered);
    assertTrue(buckets.read("by-size", delivered.get(0)).length >= 1024 * 1024, "an object of at least SizeInMBs");
  }

  @Test
  void a_small_buffer_waits_for_its_interval_by_the_servers_clock() throws Exception {
    create("by-time", 5, 60);
    firehose.putRecord(b -> b.deliveryStreamName("by-time").record(r -> r.data(SdkBytes.fromUtf8String("x\n"))));
    clock.advance(Duration.ofSeconds(59));
    assertFalse(checkNow("by-time"), "59 s after the record arrived nothing is due");
    assertEquals(List.of(), buckets.keys("by-time"));
    clock.advance(Duration.ofSeconds(1));
    checkNow("by-time"); // due now: delivered without waiting for the periodic check (which may get there first)
    assertEquals(List.of("x"), buckets.awaitLines("by-time", lines -> !lines.isEmpty()));
  }

  @Test
  void an_interval_of_zero_delivers_at_once() throws Exception {
    create("at-once", 5, 0);
    firehose.putRecord(b -> b.deliveryStreamName("at-once").record(r -> r.data(SdkBytes.fromUtf8String("now\n"))));
    assertEquals(List.of("now"), buckets.awaitLines("at-once", lines -> !lines.isEmpty()));
  }
}
