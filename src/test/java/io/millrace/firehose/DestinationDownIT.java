package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.JarProcess;
import io.millrace.testing.S3ProxyServer;
import io.millrace.testing.ServerProbe;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponse;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A destination that is down under steady input: the S3-compatible store is not running while producers put many
 * times the delivery stream's disk budget. Records wait on disk, never in memory (the server runs with a 128 MiB heap
 * and the input is much larger); past the budget puts are refused record by record with ServiceUnavailableException,
 * and nothing accepted is lost: once the store is up every acknowledged record is delivered.
 */
class DestinationDownIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final long BUDGET = 16L * 1024 * 1024;
  private static final int RECORD_BYTES = 10 * 1024;
  private static final java.util.regex.Pattern OBJECT_NAME =
      java.util.regex.Pattern.compile(".*/down-\\d+-\\d{4}(-\\d{2}){5}-[0-9a-f-]{36}");

  @TempDir
  Path tmp;

  @Test
  @Timeout(240)
  void records_wait_on_disk_within_the_budget_and_are_all_delivered_once_the_store_is_back() throws Exception {
    int storePort = JarProcess.freePort();
    int port = JarProcess.freePort();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    Path data = tmp.resolve("data");
    try (JarProcess server = JarProcess.start(tmp.resolve("server.log"), List.of("-Xmx128m",
        "-XX:TieredStopAtLevel=1"), "--port", String.valueOf(port), "--data-dir", data.toString(),
        "--s3-endpoint", "http://127.0.0.1:" + storePort, "--outbound-access-key-id", S3ProxyServer.ACCESS_KEY,
        "--outbound-secret-access-key", S3ProxyServer.SECRET_KEY,
        "--delivery-stream-max-buffered-bytes", String.valueOf(BUDGET));
         FirehoseClient firehose = FirehoseClients.sync(endpoint)) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      firehose.createDeliveryStream(b -> b.deliveryStreamName("down").extendedS3DestinationConfiguration(s -> s
          .roleARN(ROLE).bucketARN("arn:aws:s3:::down-bucket").bufferingHints(h -> h.sizeInMBs(1)
              .intervalInSeconds(0))));

      // Four times the budget, in 1 MiB calls, with the store down.
      Set<String> acknowledged = new HashSet<>();
      AtomicInteger refused = new AtomicInteger();
      int calls = (int) (4 * BUDGET / (100L * RECORD_BYTES));
      for (int call = 0; call < calls; call++) {
        List<Record> records = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          String id = "r" + call + "-" + i;
          ids.add(id);
          records.add(Record.builder().data(SdkBytes.fromUtf8String(record(id))).build());
        }
        PutRecordBatchResponse r = firehose.putRecordBatch(b -> b.deliveryStreamName("down").records(records));
        for (int i = 0; i < ids.size(); i++) {
          var entry = r.requestResponses().get(i);
          if (entry.errorCode() == null) {
            acknowledged.add(ids.get(i));
          } else {
            assertEquals("ServiceUnavailableException", entry.errorCode());
            assertEquals("Slow down.", entry.errorMessage());
            refused.incrementAndGet();
          }
        }
      }
      assertTrue(refused.get() > 0, "puts past the budget are refused");
      assertTrue(acknowledged.size() * (long) RECORD_BYTES <= BUDGET, "no more than the budget was accepted");
      long onDisk = size(data.resolve("firehose"));
      double heap = ServerProbe.heapAfterGc(server, endpoint);
      System.out.printf("DestinationDownIT: %d MiB offered, %d records accepted, %d refused; buffer on disk %.1f MiB,"
              + " heap after GC %.1f MiB, RSS %.1f MiB%n", 4 * BUDGET >> 20, acknowledged.size(), refused.get(),
          onDisk / (double) (1 << 20), heap / (1 << 20), ServerProbe.rssBytes(server) / (double) (1 << 20));
      assertTrue(onDisk <= BUDGET + Deliveries.BUFFER_SEGMENT_BYTES, "the buffer stays within its budget on disk: "
          + onDisk);

      try (S3ProxyServer store = S3ProxyServer.start(tmp.resolve("s3proxy"), storePort);
           S3Client s3 = store.client()) {
        store.createBucket("down-bucket");
        Set<String> delivered = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (!delivered.containsAll(acknowledged) && System.nanoTime() < deadline) {
          Thread.sleep(200); // the delivery retries on its own schedule; poll the store, bounded
          delivered = delivered(s3);
        }
        Set<String> missing = new HashSet<>(acknowledged);
        missing.removeAll(delivered);
        assertEquals(Set.of(), missing, "acknowledged but never delivered; server output:\n" + server.output());
        // The budget is free again: puts are taken.
        assertEquals(0, firehose.putRecordBatch(b -> b.deliveryStreamName("down")
            .records(Record.builder().data(SdkBytes.fromUtf8String(record("after"))).build())).failedPutCount());
      }
    }
  }

  private static String record(String id) {
    return id + ":" + "x".repeat(RECORD_BYTES - id.length() - 2) + "\n";
  }

  private static Set<String> delivered(S3Client s3) {
    Set<String> ids = new HashSet<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket("down-bucket")).contents()) {
      if (!OBJECT_NAME.matcher(o.key()).matches()) {
        continue; // S3Proxy lists an upload still being written under a temporary name
      }
      String body;
      try {
        body = s3.getObjectAsBytes(b -> b.bucket("down-bucket").key(o.key())).asString(StandardCharsets.UTF_8);
      } catch (RuntimeException e) {
        continue; // listed a moment before it was complete: read at the next poll
      }
      for (String line : body.split("\n")) {
        if (!line.isEmpty()) {
          ids.add(line.substring(0, line.indexOf(':')));
        }
      }
    }
    return ids;
  }

  private static long size(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
