package io.millrace.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.PrometheusText;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * SIGKILL of the real server at a random moment while producers write as fast as they can and a control-plane client
 * creates and deletes streams, tags the stream and changes its retention; then a restart on the same directory. After
 * every restart: every acknowledged record is served with its sequence number and data, in order, once; nothing that
 * was never sent is served; every acknowledged control-plane change is there (a change whose answer the kill cut off
 * may or may not be); and each torn tail the log reports is counted by {@code /metrics} (SIGKILL does not tear
 * page-cache writes, so every third cycle the test appends a partial record to a shard's newest segment, as a power
 * cut would leave it, and expects it dropped and reported). Runs
 * {@code millrace.killNineCycles} cycles (default 20) on one data directory.
 *
 * <p>Producers use clients without retries, so each payload is sent at most once: a payload served twice is a
 * duplicate made by the server, not by the SDK.
 */
class KillNineIT {

  private static final String STREAM = "crash";
  private static final int PRODUCERS = 3;
  private static final String SIDE_PREFIX = "side-";
  /** A recovery that dropped a torn tail, as the server logs it. */
  private static final Pattern TORN_TAIL = Pattern.compile(
      "Recovered (\\S+): kept (\\d+) records, dropped a torn tail of (\\d+) bytes \\((\\d+) records\\)");

  @TempDir
  Path tmp;

  private JarProcess server;
  private int port;
  private KinesisClient admin;
  private final List<KinesisClient> producerClients = new ArrayList<>();
  private final Random random = new Random(7);

  /** Every payload ever sent: id to (partition key, data). */
  private final Map<String, Sent> sent = new ConcurrentHashMap<>();
  /** Every payload the server acknowledged: id to (shard, sequence number). */
  private final Map<String, Ack> acknowledged = new ConcurrentHashMap<>();

  record Sent(String partitionKey, byte[] data) {}

  record Ack(String shardId, String sequenceNumber) {}

  /**
   * Control-plane state the server holds, each entry a value that can be read back after a restart: {@code
   * stream:<name>} (ACTIVE or absent), {@code tag:<key>} (the value or absent) and {@code retention} (hours).
   */
  private final Map<String, Register> control = new ConcurrentHashMap<>();
  private int sideStreams;
  private int tornTails;

  /** The last acknowledged value, and the value of a change sent but never answered (the kill cut it off). */
  static final class Register {
    volatile String acknowledged;
    volatile String inDoubt;

    Register(String acknowledged) {
      this.acknowledged = acknowledged;
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    closeClients();
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void every_acknowledged_record_and_control_plane_change_survives_sigkill_during_writes() throws Exception {
    int cycles = Integer.getInteger("millrace.killNineCycles", 20);
    startServer(0);
    admin.createStream(b -> b.streamName(STREAM).shardCount(4));
    awaitActive();
    control.put("retention", new Register("24"));

    for (int cycle = 0; cycle < cycles; cycle++) {
      int ackedBefore = acknowledged.size();
      produceThenKill(cycle, Duration.ofMillis(200 + random.nextInt(1000)));
      assertTrue(acknowledged.size() > ackedBefore, "cycle " + cycle + ": producers got no acknowledgement");

      Map<String, Long> torn = cycle % 3 == 1 ? tearATail() : Map.of();

      startServer(cycle + 1);
      verifyEverything("cycle " + cycle);
      verifyControlPlane("cycle " + cycle);
      verifyTornTailsAreCounted("cycle " + cycle, torn);
    }
    System.out.printf("KillNineIT: %d cycles, %d torn tails recovered and counted%n", cycles, tornTails);
    assertTrue(tornTails >= cycles / 3, "the torn tails made every third cycle were not all reported");
  }

  private void startServer(int generation) throws Exception {
    closeClients();
    port = JarProcess.freePort();
    server = JarProcess.start(tmp.resolve("server-" + generation + ".log"), "--port", String.valueOf(port),
        "--data-dir", tmp.resolve("data").toString(), "--durability", "always", "--event-loops", "2");
    server.awaitHealthy(port, Duration.ofSeconds(20));
    admin = KinesisClients.kinesis(endpoint());
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  private void closeClients() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
    producerClients.forEach(KinesisClient::close);
    producerClients.clear();
  }

  /** Runs the producers for {@code produceFor}, SIGKILLs the server while they run, then stops them. */
  private void produceThenKill(int cycle, Duration produceFor) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> producerBugs = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(PRODUCERS);
    CountDownLatch firstAck = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      KinesisClient client = KinesisClients.kinesisWithoutRetries(endpoint());
      producerClients.add(client);
      String prefix = "c" + cycle + "-p" + p + "-";
      long seed = random.nextLong();
      Thread t = new Thread(() -> {
        try {
          produce(client, prefix, new Random(seed), stop, firstAck);
        } catch (Throwable e) {
          synchronized (producerBugs) {
            producerBugs.add(e);
          }
        } finally {
          done.countDown();
        }
      }, "producer-" + prefix);
      threads.add(t);
      t.start();
    }
    KinesisClient controlClient = KinesisClients.kinesisWithoutRetries(endpoint());
    producerClients.add(controlClient);
    long controlSeed = random.nextLong();
    Thread controller = new Thread(() -> {
      try {
        changeControlPlane(controlClient, cycle, new Random(controlSeed), stop);
      } catch (Throwable e) {
        synchronized (producerBugs) {
          producerBugs.add(e);
        }
      }
    }, "control-" + cycle);
    controller.start();
    assertTrue(firstAck.await(20, TimeUnit.SECONDS), "no producer got an acknowledgement");
    // The producers run for a bounded time; the kill must land while they are still writing.
    assertTrue(!done.await(produceFor.toMillis(), TimeUnit.MILLISECONDS), "producers stopped before the kill");
    server.kill();
    stop.set(true);
    assertTrue(done.await(30, TimeUnit.SECONDS), "producers did not stop after the kill");
    controller.join(30_000);
    assertTrue(!controller.isAlive(), "the control-plane client did not stop after the kill");
    assertTrue(producerBugs.isEmpty(), () -> "producer failed: " + producerBugs);
  }

  /** Writes until told to stop; a failed call (the server died) is simply not acknowledged. */
  private void produce(KinesisClient client, String prefix, Random rnd, AtomicBoolean stop,
                       CountDownLatch firstAck) {
    long n = 0;
    for (int calls = 0; calls < 1_000_000 && !stop.get(); calls++) {
      try {
        if (rnd.nextInt(4) == 0) {
          String id = prefix + n++;
          Sent s = payload(id, rnd);
          sent.put(id, s);
          PutRecordResponse r = client.putRecord(b -> b.streamName(STREAM).partitionKey(s.partitionKey())
              .data(SdkBytes.fromByteArray(s.data())));
          acknowledged.put(id, new Ack(r.shardId(), r.sequenceNumber()));
        } else {
          int size = 1 + rnd.nextInt(50);
          List<String> ids = new ArrayList<>();
          List<PutRecordsRequestEntry> entries = new ArrayList<>();
          for (int i = 0; i < size; i++) {
            String id = prefix + n++;
            Sent s = payload(id, rnd);
            sent.put(id, s);
            ids.add(id);
            entries.add(PutRecordsRequestEntry.builder().partitionKey(s.partitionKey())
                .data(SdkBytes.fromByteArray(s.data())).build());
          }
          PutRecordsResponse r = client.putRecords(b -> b.streamName(STREAM).records(entries));
          for (int i = 0; i < size; i++) {
            PutRecordsResultEntry e = r.records().get(i);
            if (e.sequenceNumber() != null && e.errorCode() == null) {
              acknowledged.put(ids.get(i), new Ack(e.shardId(), e.sequenceNumber()));
            }
          }
        }
        firstAck.countDown();
      } catch (RuntimeException e) {
        // Expected once the server is killed (connection refused or reset): not an acknowledgement.
      }
    }
  }

  /**
   * Creates and deletes side streams, tags {@value #STREAM} and changes its retention, one call at a time, until told
   * to stop or until a call gets no answer (the server died): that change stays in doubt and the loop ends, so at
   * most one change per cycle is in doubt.
   */
  private void changeControlPlane(KinesisClient client, int cycle, Random rnd, AtomicBoolean stop) {
    for (int calls = 0; calls < 100_000 && !stop.get(); calls++) {
      int op = rnd.nextInt(4);
      List<String> alive = control.entrySet().stream()
          .filter(e -> e.getKey().startsWith("stream:") && "ACTIVE".equals(e.getValue().acknowledged))
          .map(e -> e.getKey().substring("stream:".length())).sorted().toList();
      Register register;
      String value;
      Runnable call;
      if (op == 0 && alive.size() < 3) {
        String name = SIDE_PREFIX + cycle + "-" + sideStreams++;
        register = control.computeIfAbsent("stream:" + name, k -> new Register("absent"));
        value = "ACTIVE";
        call = () -> client.createStream(b -> b.streamName(name).shardCount(1));
      } else if (op <= 1 && !alive.isEmpty()) {
        String name = alive.get(0);
        register = control.get("stream:" + name);
        value = "absent";
        call = () -> client.deleteStream(b -> b.streamName(name));
      } else if (op == 2) {
        String key = "k" + rnd.nextInt(8);
        register = control.computeIfAbsent("tag:" + key, k -> new Register("absent"));
        value = "c" + cycle + "-" + calls;
        call = () -> client.addTagsToStream(b -> b.streamName(STREAM).tags(Map.of(key, value)));
      } else {
        register = control.get("retention");
        int current = Integer.parseInt(register.acknowledged);
        int hours = current < 48 ? current + 1 + rnd.nextInt(24) : 24 + rnd.nextInt(current - 24);
        value = String.valueOf(hours);
        call = hours > current
            ? () -> client.increaseStreamRetentionPeriod(b -> b.streamName(STREAM).retentionPeriodHours(hours))
            : () -> client.decreaseStreamRetentionPeriod(b -> b.streamName(STREAM).retentionPeriodHours(hours));
      }
      register.inDoubt = value;
      try {
        call.run();
        register.acknowledged = value;
        register.inDoubt = null;
      } catch (software.amazon.awssdk.services.kinesis.model.KinesisException e) {
        if (e.statusCode() >= 500) {
          return; // answered, but as a server failure: the change may or may not have happened
        }
        register.inDoubt = null; // refused (e.g. the stream is still being created): nothing changed
      } catch (RuntimeException e) {
        return; // no answer: the server died during the call
      }
    }
  }

  private static Sent payload(String id, Random rnd) {
    byte[] head = (id + "|").getBytes(StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOf(head, head.length + rnd.nextInt(2000));
    byte[] filler = new byte[data.length - head.length];
    rnd.nextBytes(filler);
    System.arraycopy(filler, 0, data, head.length, filler.length);
    return new Sent("pk-" + rnd.nextInt(10_000), data);
  }

  private static String idOf(byte[] data) {
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '|') {
        return new String(data, 0, i, StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private void verifyEverything(String when) {
    Map<String, Ack> served = new HashMap<>();
    for (Shard shard : admin.listShards(b -> b.streamName(STREAM)).shards()) {
      BigInteger previous = BigInteger.valueOf(-1);
      for (Record r : readShard(shard.shardId())) {
        byte[] data = r.data().asByteArray();
        String id = idOf(data);
        assertNotNull(id, when + ": a record that no producer sent on " + shard.shardId() + " at "
            + r.sequenceNumber());
        Sent s = sent.get(id);
        assertNotNull(s, when + ": record " + id + " was never sent");
        assertTrue(Arrays.equals(s.data(), data), when + ": record " + id + " is served with other data");
        assertEquals(s.partitionKey(), r.partitionKey(), when + ": partition key of " + id);
        BigInteger sequence = new BigInteger(r.sequenceNumber());
        assertTrue(sequence.compareTo(previous) > 0, when + ": sequence numbers not increasing on "
            + shard.shardId() + " at " + id);
        previous = sequence;
        Ack before = served.put(id, new Ack(shard.shardId(), r.sequenceNumber()));
        assertTrue(before == null, when + ": record " + id + " is served twice: " + before + " and "
            + served.get(id));
      }
    }
    int missing = 0;
    String firstMissing = null;
    for (Map.Entry<String, Ack> e : acknowledged.entrySet()) {
      Ack got = served.get(e.getKey());
      if (!e.getValue().equals(got)) {
        missing++;
        if (firstMissing == null) {
          firstMissing = e.getKey() + " acknowledged as " + e.getValue() + " but served as " + got;
        }
      }
    }
    assertEquals(0, missing, when + ": " + missing + " of " + acknowledged.size()
        + " acknowledged records lost or moved; first: " + firstMissing);
    System.out.printf("KillNineIT %s: %d sent, %d acknowledged, %d served after the restart%n", when, sent.size(),
        acknowledged.size(), served.size());
  }

  /**
   * Every acknowledged control-plane change is there; a change in doubt is there or not. Afterwards the registers
   * hold what the server holds, and nothing is in doubt.
   */
  private void verifyControlPlane(String when) {
    Map<String, String> tags = new HashMap<>();
    admin.listTagsForStream(b -> b.streamName(STREAM).limit(50)).tags().forEach(t -> tags.put(t.key(), t.value()));
    String retention = String.valueOf(admin.describeStreamSummary(b -> b.streamName(STREAM))
        .streamDescriptionSummary().retentionPeriodHours());
    List<String> streams = admin.listStreams(b -> b.limit(100)).streamNames();
    int changes = 0;
    for (Map.Entry<String, Register> e : control.entrySet()) {
      String key = e.getKey();
      String actual;
      if (key.startsWith("stream:")) {
        String name = key.substring("stream:".length());
        actual = streams.contains(name) ? admin.describeStreamSummary(b -> b.streamName(name))
            .streamDescriptionSummary().streamStatusAsString() : "absent";
      } else if (key.startsWith("tag:")) {
        actual = tags.getOrDefault(key.substring("tag:".length()), "absent");
      } else {
        actual = retention;
      }
      Register r = e.getValue();
      assertTrue(actual.equals(r.acknowledged) || actual.equals(r.inDoubt), when + ": " + key + " is " + actual
          + " but was acknowledged as " + r.acknowledged + (r.inDoubt == null ? "" : " (in doubt: " + r.inDoubt + ")"));
      r.acknowledged = actual;
      r.inDoubt = null;
      changes++;
    }
    for (String name : streams) {
      assertTrue(name.equals(STREAM) || control.containsKey("stream:" + name), when + ": stream " + name
          + " was never created");
    }
    System.out.printf("KillNineIT %s: %d control-plane values as acknowledged, %d streams%n", when, changes,
        streams.size());
  }

  /**
   * The metrics of the restarted server count exactly the torn tails its log reports, and every shard it recovered.
   * (A kill does not always tear a record, so a torn tail is not required.)
   */
  private void verifyTornTailsAreCounted(String when, Map<String, Long> torn) {
    long bytes = 0;
    long records = 0;
    Map<String, Long> reported = new HashMap<>();
    for (String line : server.output().lines().toList()) {
      Matcher m = TORN_TAIL.matcher(line);
      if (m.find()) {
        bytes += Long.parseLong(m.group(3));
        records += Long.parseLong(m.group(4));
        reported.put(m.group(1), Long.parseLong(m.group(3)));
        tornTails++;
      }
    }
    torn.forEach((shard, appended) -> assertTrue(reported.getOrDefault(shard, 0L) >= appended, when + ": " + shard
        + " had a torn tail of " + appended + " bytes, but the log reports " + reported));
    String metrics = PrometheusText.scrape(endpoint());
    assertEquals((double) bytes, PrometheusText.value(metrics, "millrace_recovery_dropped_bytes_total"),
        when + ": dropped bytes in the log and in /metrics");
    assertEquals((double) records, PrometheusText.value(metrics, "millrace_recovery_dropped_records_total"),
        when + ": dropped records in the log and in /metrics");
    long shards = 4 + control.entrySet().stream()
        .filter(e -> e.getKey().startsWith("stream:") && "ACTIVE".equals(e.getValue().acknowledged)).count();
    assertEquals((double) shards, PrometheusText.value(metrics, "millrace_recovered_shards_total"),
        when + ": shards recovered");
    assertEquals(0.0, PrometheusText.value(metrics, "millrace_fenced_shards"), when + ": fenced shards");
  }

  /**
   * Appends a partial record (random bytes) to the newest segment of a random shard of {@value #STREAM}, as a power
   * cut in the middle of a write would leave it; SIGKILL alone does not tear page-cache writes. Returns the shard (as
   * the server names it) and the bytes appended, which recovery must drop and report.
   */
  private Map<String, Long> tearATail() throws IOException {
    List<Path> shardDirs;
    try (Stream<Path> walk = Files.walk(tmp.resolve("data").resolve("streams"))) {
      shardDirs = walk.filter(p -> p.getFileName().toString().startsWith("shardId-")
          && p.getParent().getFileName().toString().equals(STREAM)).sorted().toList();
    }
    assertEquals(4, shardDirs.size(), "shard directories of " + STREAM + ": " + shardDirs);
    Path shardDir = shardDirs.get(random.nextInt(shardDirs.size()));
    Path newest;
    try (Stream<Path> files = Files.list(shardDir)) {
      newest = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log")).max(Comparator.naturalOrder())
          .orElseThrow(() -> new AssertionError("no segment in " + shardDir));
    }
    byte[] garbage = new byte[1 + random.nextInt(300)];
    random.nextBytes(garbage);
    Files.write(newest, garbage, StandardOpenOption.APPEND);
    return Map.of(STREAM + "/" + shardDir.getFileName(), (long) garbage.length);
  }

  private List<Record> readShard(String shardId) {
    List<Record> out = new ArrayList<>();
    String next = admin.getShardIterator(b -> b.streamName(STREAM).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    for (int calls = 0; calls < 10_000 && Instant.now().isBefore(deadline); calls++) {
      String current = next;
      GetRecordsResponse response = admin.getRecords(b -> b.shardIterator(current).limit(10_000));
      out.addAll(response.records());
      next = response.nextShardIterator();
      if (next == null || (response.records().isEmpty() && response.millisBehindLatest() == 0)) {
        return out;
      }
    }
    throw new AssertionError(shardId + " was not read to its tip in time");
  }

  private void awaitActive() {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    for (int i = 0; i < 1000 && Instant.now().isBefore(deadline); i++) {
      if (admin.describeStreamSummary(b -> b.streamName(STREAM)).streamDescriptionSummary().streamStatus()
          == StreamStatus.ACTIVE) {
        return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError(STREAM + " did not become ACTIVE");
  }
}
