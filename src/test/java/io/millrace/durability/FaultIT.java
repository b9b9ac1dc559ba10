package io.millrace.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.shard.ShardVerticle;
import io.millrace.storage.SegmentIo;
import io.millrace.testing.FaultySegmentIo;
import io.millrace.testing.FaultySegmentIo.Fault;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.LogCapture;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Storage faults under a running file-backed server, seen through the real AWS SDK: a failed write or fsync (injected
 * through {@link FaultySegmentIo} into one shard's files) and a really full file system (a small tmpfs, when the
 * machine lets the test mount one). The failing shard answers InternalFailure, reads keep working, the other shards
 * are untouched, the log and {@code /metrics} say why, and after a restart on the same directory the shard accepts
 * writes again with every acknowledged record in place.
 */
class FaultIT {

  private static final String STREAM = "faults";
  private static final String SHARD_0 = "shardId-000000000000";
  private static final String SHARD_1 = "shardId-000000000001";
  /** Explicit hash keys that land on shard 0 and shard 1 of a two-shard stream. */
  private static final Map<String, String> HASH_KEY = Map.of(SHARD_0, "0",
      SHARD_1, BigInteger.TWO.pow(127).toString());

  @TempDir
  Path tmp;

  private Path dataDir;
  private final FaultySegmentIo faulty = new FaultySegmentIo();
  private TestServer server;
  private KinesisClient kinesis;
  private LogCapture shardLog;
  private final Random random = new Random(11);
  private long nextId;

  /** Every payload sent: id to data. */
  private final Map<String, byte[]> sent = new HashMap<>();
  /** Acknowledged payloads per shard, in acknowledgement order: id to sequence number. */
  private final Map<String, Map<String, String>> acknowledged = Map.of(SHARD_0, new LinkedHashMap<>(),
      SHARD_1, new LinkedHashMap<>());

  @BeforeEach
  void capture() {
    dataDir = tmp.resolve("data");
    shardLog = LogCapture.of(ShardVerticle.class);
  }

  @AfterEach
  void stop() {
    stopServer();
    shardLog.close();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void a_failed_write_fences_only_its_shard_until_a_restart_and_loses_nothing_acknowledged() {
    startServer(faulty);
    createStream();
    putSome(SHARD_0, 5, 300);
    putSome(SHARD_1, 5, 300);

    faulty.fail(Fault.WRITE, shardDir(SHARD_0));
    // Half of this batch reaches the file (three whole records) before the write fails: all six are refused.
    assertBatchFailsWithInternalFailure(SHARD_0, 6);
    assertTrue(faulty.injected() > 0, "the injected fault was never hit");
    assertPutFailsWithInternalFailure(SHARD_0);
    assertMixedPutRecordsFailsOnlyOnTheFencedShard();
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    assertLogged("fenced", STREAM + "/" + SHARD_0, "injected: no space left on device");
    assertEquals(1.0, metric("millrace_fenced_shards"));
    java.net.http.HttpResponse<String> ready = readiness();
    assertEquals(503, ready.statusCode(), "not ready while a shard is fenced");
    assertTrue(ready.body().contains(SHARD_0 + " is fenced (it refuses writes until a restart): ")
        && ready.body().contains("injected: no space left on device"), ready.body());
    assertEquals(503, readiness("/health/live").statusCode(), "a fence asks for a restart");

    faulty.clear();
    assertPutFailsWithInternalFailure(SHARD_0); // sticky: no silent retry onto the half-written file
    putSome(SHARD_1, 3, 300);

    restart(faulty);
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    putSome(SHARD_0, 5, 300);
    putSome(SHARD_1, 5, 300);
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    // The failed batch was cut from the log when the shard was fenced, so recovery found nothing left to drop.
    String metrics = PrometheusText.scrape(server.endpoint());
    assertEquals(0.0, PrometheusText.value(metrics, "millrace_fenced_shards"));
    assertEquals(0.0, PrometheusText.value(metrics, "millrace_recovery_dropped_records_total"), metrics);
    assertEquals(200, readiness().statusCode(), "ready again after the restart");
  }

  private java.net.http.HttpResponse<String> readiness() {
    return readiness("/health/ready");
  }

  private java.net.http.HttpResponse<String> readiness(String path) {
    try {
      return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
          .send(java.net.http.HttpRequest.newBuilder(server.endpoint().resolve(path)).timeout(
              java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void a_failed_fsync_fences_only_its_shard_until_a_restart_and_loses_nothing_acknowledged() {
    startServer(faulty);
    createStream();
    putSome(SHARD_0, 5, 300);
    putSome(SHARD_1, 5, 300);

    faulty.fail(Fault.FORCE, shardDir(SHARD_0));
    assertPutFailsWithInternalFailure(SHARD_0);
    assertMixedPutRecordsFailsOnlyOnTheFencedShard();
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    assertLogged("fenced", STREAM + "/" + SHARD_0, "injected: fsync failed");
    assertEquals(1.0, metric("millrace_fenced_shards"));

    faulty.clear();
    assertPutFailsWithInternalFailure(SHARD_0);
    restart(faulty);
    // Records whose fsync failed were never acknowledged: they were cut from the log and are not served now.
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    putSome(SHARD_0, 5, 300);
    assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
    assertEquals(0.0, metric("millrace_fenced_shards"));
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void a_full_file_system_fences_the_shard_that_hit_it_and_a_restart_with_space_freed_loses_nothing()
      throws Exception {
    Path mount = tmp.resolve("small-disk");
    Files.createDirectories(mount);
    assumeTrue(isRoot(), "mounting a tmpfs needs root");
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()) == 0,
        "this machine does not allow mounting a tmpfs");
    try {
      dataDir = mount.resolve("data");
      Path filler = mount.resolve("filler");
      Files.write(filler, new byte[1024 * 1024]);
      startServer(SegmentIo.standard());
      createStream();
      putSome(SHARD_1, 3, 1000);

      int puts = 0;
      String full = null;
      for (; puts < 200 && full == null; puts++) { // 4 MiB fill up in about 30 batches of 5 x 20 KiB
        full = putBatch(SHARD_0, 5, 20 * 1024);
      }
      assertNotNull(full, "the file system never filled up in " + puts + " batches");
      assertTrue(acknowledged.get(SHARD_0).size() > 5, "too few records fitted: " + acknowledged.get(SHARD_0));
      assertPutFailsWithInternalFailure(SHARD_0);
      assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
      assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
      assertLogged("fenced", STREAM + "/" + SHARD_0, "No space left on device");
      assertEquals(1.0, metric("millrace_fenced_shards"));

      // The control plane on a full disk: a change that cannot be saved is refused whole, and a retry converges.
      Path rest = mount.resolve("rest");
      fillUp(rest);
      KinesisException refused = assertThrows(KinesisException.class,
          () -> kinesis.createStream(b -> b.streamName("later").shardCount(1)));
      assertInternalFailure(refused);
      assertTrue(refused.awsErrorDetails().errorMessage().contains("No space left on device"), refused.toString());
      assertThrows(ResourceNotFoundException.class,
          () -> kinesis.describeStreamSummary(b -> b.streamName("later")));
      Files.delete(rest);
      Files.delete(filler);
      kinesis.createStream(b -> b.streamName("later").shardCount(1));
      assertEquals(StreamStatus.ACTIVE, kinesis.describeStreamSummary(b -> b.streamName("later"))
          .streamDescriptionSummary().streamStatus());

      putSome(SHARD_1, 3, 1000); // space again: the shard that did not hit the wall writes on
      assertPutFailsWithInternalFailure(SHARD_0); // the fenced one waits for a restart

      restart(SegmentIo.standard());
      assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
      assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
      putSome(SHARD_0, 3, 1000);
      putSome(SHARD_1, 3, 1000);
      assertEquals(List.of(), acknowledgedButMissing(SHARD_0));
      assertEquals(List.of(), acknowledgedButMissing(SHARD_1));
    } finally {
      stopServer();
      assertEquals(0, run("umount", mount.toString()), "umount " + mount);
    }
  }

  // --- the server --------------------------------------------------------------------------------------------

  private void startServer(SegmentIo io) {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dataDir.toString(), "durability", "always",
        "createStreamMillis", "0"), Clock.systemUTC(), io);
    kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint());
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

  private void restart(SegmentIo io) {
    stopServer();
    startServer(io);
  }

  private void createStream() {
    kinesis.createStream(b -> b.streamName(STREAM).shardCount(2));
    Instant deadline = Instant.now().plusSeconds(10);
    while (kinesis.describeStreamSummary(b -> b.streamName(STREAM)).streamDescriptionSummary().streamStatus()
        != StreamStatus.ACTIVE) {
      assertTrue(Instant.now().isBefore(deadline), STREAM + " did not become ACTIVE");
      Thread.onSpinWait();
    }
  }

  private Path shardDir(String shardId) {
    try (Stream<Path> walk = Files.walk(dataDir.resolve("streams"))) {
      return walk.filter(p -> p.getFileName().toString().equals(shardId) && p.getParent().getFileName().toString()
          .equals(STREAM)).findFirst().orElseThrow(() -> new AssertionError("no directory for " + shardId));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private double metric(String name) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name);
  }

  // --- writing ----------------------------------------------------------------------------------------------

  private byte[] payload(String id, int size) {
    byte[] head = (id + "|").getBytes(StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOf(head, Math.max(head.length, size));
    byte[] filler = new byte[data.length - head.length];
    random.nextBytes(filler);
    System.arraycopy(filler, 0, data, head.length, filler.length);
    sent.put(id, data);
    return data;
  }

  private void put(String shardId, int size) {
    String id = "r" + nextId++;
    byte[] data = payload(id, size);
    PutRecordResponse r = kinesis.putRecord(b -> b.streamName(STREAM).partitionKey(id)
        .explicitHashKey(HASH_KEY.get(shardId)).data(SdkBytes.fromByteArray(data)));
    assertEquals(shardId, r.shardId());
    acknowledged.get(shardId).put(id, r.sequenceNumber());
  }

  private void putSome(String shardId, int count, int size) {
    for (int i = 0; i < count; i++) {
      put(shardId, size);
    }
  }

  /**
   * PutRecords of {@code count} records for one shard: either all are acknowledged (and recorded) and null is
   * returned, or all fail with InternalFailure and the error of the first is returned.
   */
  private String putBatch(String shardId, int count, int size) {
    List<String> ids = new ArrayList<>();
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "r" + nextId++;
      ids.add(id);
      entries.add(PutRecordsRequestEntry.builder().partitionKey(id).explicitHashKey(HASH_KEY.get(shardId))
          .data(SdkBytes.fromByteArray(payload(id, size))).build());
    }
    PutRecordsResponse response = kinesis.putRecords(b -> b.streamName(STREAM).records(entries));
    if (response.failedRecordCount() == 0) {
      for (int i = 0; i < count; i++) {
        acknowledged.get(shardId).put(ids.get(i), response.records().get(i).sequenceNumber());
      }
      return null;
    }
    assertEquals(count, response.failedRecordCount(), "a batch for one shard fails whole: " + response);
    response.records().forEach(e -> assertEquals("InternalFailure", e.errorCode(), e.toString()));
    return response.records().get(0).errorMessage();
  }

  private void assertBatchFailsWithInternalFailure(String shardId, int count) {
    assertNotNull(putBatch(shardId, count, 300), "the batch should have failed");
  }

  private void assertPutFailsWithInternalFailure(String shardId) {
    assertInternalFailure(assertThrows(KinesisException.class, () -> put(shardId, 200)));
  }

  private static void assertInternalFailure(KinesisException e) {
    assertEquals(500, e.statusCode(), e.toString());
    assertEquals("InternalFailure", e.awsErrorDetails().errorCode(), e.toString());
  }

  /** PutRecords with entries for both shards: shard 0's entries fail with InternalFailure, shard 1's succeed. */
  private void assertMixedPutRecordsFailsOnlyOnTheFencedShard() {
    List<String> ids = new ArrayList<>();
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String id = "r" + nextId++;
      ids.add(id);
      entries.add(PutRecordsRequestEntry.builder().partitionKey(id)
          .explicitHashKey(HASH_KEY.get(i % 2 == 0 ? SHARD_0 : SHARD_1))
          .data(SdkBytes.fromByteArray(payload(id, 200))).build());
    }
    PutRecordsResponse response = kinesis.putRecords(b -> b.streamName(STREAM).records(entries));
    assertEquals(3, response.failedRecordCount());
    for (int i = 0; i < entries.size(); i++) {
      PutRecordsResultEntry e = response.records().get(i);
      if (i % 2 == 0) {
        assertEquals("InternalFailure", e.errorCode(), e.toString());
        assertNotNull(e.errorMessage(), e.toString());
        assertNull(e.sequenceNumber(), e.toString());
      } else {
        assertNull(e.errorCode(), e.toString());
        assertEquals(SHARD_1, e.shardId());
        acknowledged.get(SHARD_1).put(ids.get(i), e.sequenceNumber());
      }
    }
  }

  // --- checking ---------------------------------------------------------------------------------------------

  /**
   * Reads the whole shard and returns what is wrong: acknowledged records missing or moved, records never
   * acknowledged (never sent, or answered as failed), served with other data, twice, out of order. Empty when all
   * is well.
   */
  private List<String> acknowledgedButMissing(String shardId) {
    List<String> problems = new ArrayList<>();
    Map<String, String> served = new LinkedHashMap<>();
    BigInteger previous = BigInteger.valueOf(-1);
    for (Record r : readShard(shardId)) {
      byte[] data = r.data().asByteArray();
      String id = new String(data, 0, Math.max(0, indexOf(data, (byte) '|')), StandardCharsets.UTF_8);
      if (!sent.containsKey(id)) {
        problems.add("never sent: " + r.sequenceNumber());
      } else if (!Arrays.equals(sent.get(id), data)) {
        problems.add("other data: " + id);
      }
      BigInteger sequence = new BigInteger(r.sequenceNumber());
      if (sequence.compareTo(previous) <= 0) {
        problems.add("out of order: " + id);
      }
      previous = sequence;
      if (served.put(id, r.sequenceNumber()) != null) {
        problems.add("served twice: " + id);
      }
    }
    // Exactly the acknowledged records: a record answered as failed must not be served either.
    if (!List.copyOf(served.keySet()).equals(List.copyOf(acknowledged.get(shardId).keySet()))) {
      problems.add("acknowledged " + acknowledged.get(shardId).keySet() + " but served " + served.keySet());
    }
    acknowledged.get(shardId).forEach((id, sequence) -> {
      if (served.containsKey(id) && !sequence.equals(served.get(id))) {
        problems.add(id + " acknowledged as " + sequence + " but served as " + served.get(id));
      }
    });
    return problems;
  }

  private static int indexOf(byte[] data, byte b) {
    for (int i = 0; i < data.length; i++) {
      if (data[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private List<Record> readShard(String shardId) {
    List<Record> out = new ArrayList<>();
    String next = kinesis.getShardIterator(b -> b.streamName(STREAM).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (Instant.now().isBefore(deadline)) {
      String current = next;
      GetRecordsResponse response = kinesis.getRecords(b -> b.shardIterator(current).limit(10_000));
      out.addAll(response.records());
      next = response.nextShardIterator();
      if (next == null || (response.records().isEmpty() && response.millisBehindLatest() == 0)) {
        return out;
      }
    }
    throw new AssertionError(shardId + " was not read to its tip in time");
  }

  private void assertLogged(String... fragments) {
    List<String> lines = shardLog.lines();
    assertTrue(lines.stream().anyMatch(l -> Arrays.stream(fragments).allMatch(l::contains)),
        () -> "no log line with " + Arrays.toString(fragments) + " in " + lines);
  }

  // --- the machine ------------------------------------------------------------------------------------------

  /** Writes {@code file} until the file system is full. */
  private static void fillUp(Path file) throws IOException {
    byte[] block = new byte[4096];
    try (var out = Files.newOutputStream(file)) {
      for (int i = 0; i < 100_000; i++) {
        out.write(block);
        out.flush();
      }
    } catch (IOException full) {
      return; // no space left: done
    }
    throw new AssertionError("the file system did not fill up");
  }

  private static boolean isRoot() throws Exception {
    Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
    String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return id.waitFor(10, TimeUnit.SECONDS) && out.equals("0");
  }

  private static int run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
