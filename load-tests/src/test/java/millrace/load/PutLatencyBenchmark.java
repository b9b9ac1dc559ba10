package millrace.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Latency of a durable PutRecord at a steady rate into one shard, and of put → seen by a reader polling GetRecords
 * in a tight loop. Not a test: a plain main, run against a server that is already up.
 *
 * <p>Open loop: PutRecord calls fall due on a fixed schedule ({@code bench.rate} per second) and are sent by
 * {@code bench.connections} producers, each with its own kept-alive HTTP/1.1 connection, and each latency is measured from the moment the call was due, so a stalled server cannot hide its stall by slowing the producer (no coordinated omission).
 * Each record's data is the producer's {@link System#nanoTime()} when it was due; the reader, in the same JVM, takes
 * "seen" latency as the moment GetRecords returned it minus that stamp. After {@code bench.warmupSeconds}, calls due
 * in the next {@code bench.measureSeconds} are counted. Prints p50, p99, p99.9 and max of both, and how many puts
 * were sent versus due.
 *
 * <pre>
 * mvn -o -f load-tests test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *   -Dexec.mainClass=millrace.load.PutLatencyBenchmark -Dbench.rate=1000 -Dbench.measureSeconds=20
 * </pre>
 */
public final class PutLatencyBenchmark {

  static final String URL = System.getProperty("millrace.url", "http://127.0.0.1:4567");
  static final int RATE = Integer.getInteger("bench.rate", 1000);
  static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 5);
  static final int MEASURE_SECONDS = Integer.getInteger("bench.measureSeconds", 20);
  static final String STREAM = System.getProperty("bench.stream", "put-latency");
  static final int CONNECTIONS = Integer.getInteger("bench.connections", 32);
  static final boolean READER = Boolean.parseBoolean(System.getProperty("bench.reader", "true"));
  private static final Pattern DATA = Pattern.compile("\"Data\":\"([^\"]+)\"");
  private static final Pattern NEXT = Pattern.compile("\"NextShardIterator\":\"([^\"]+)\"");

  private PutLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Kinesis.freshStream(STREAM, 1);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    long start = System.nanoTime();
    long measureFrom = start + Duration.ofSeconds(WARMUP_SECONDS).toNanos();
    long measureTo = measureFrom + Duration.ofSeconds(MEASURE_SECONDS).toNanos();
    ConcurrentLinkedQueue<Long> putLatencies = new ConcurrentLinkedQueue<>();
    List<Long> seenLatencies = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();

    String iterator = iterator();
    Thread reader = new Thread(() -> read(iterator, stop, measureFrom, measureTo, seenLatencies), "reader");
    reader.setDaemon(true);
    if (READER) {
      reader.start();
    }

    long interval = 1_000_000_000L / RATE;
    LinkedBlockingQueue<Long> due = new LinkedBlockingQueue<>();
    AtomicLong failed = new AtomicLong();
    List<Thread> producers = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build(); // one client, one kept-alive connection, per producer
      Thread t = new Thread(() -> produce(own, due, measureFrom, putLatencies, failed), "producer-" + i);
      t.setDaemon(true);
      t.start();
      producers.add(t);
    }
    long sent = 0;
    for (long next = start; next < measureTo; next += interval) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      due.add(next);
      sent++;
    }
    for (int i = 0; i < CONNECTIONS; i++) {
      due.add(-1L);
    }
    for (Thread t : producers) {
      t.join(60_000);
    }
    Thread.sleep(1000); // lets the reader see the last puts
    stop.set(true);
    reader.join(10_000);
    System.out.printf(Locale.ROOT, "%n>>> PutRecord at %,d/s for %d s (after %d s warm-up): %,d sent, %d failed%n",
        RATE, MEASURE_SECONDS, WARMUP_SECONDS, sent, failed.get());
    report("put acknowledged", new ArrayList<>(putLatencies));
    report("put -> seen by GetRecords", new ArrayList<>(seenLatencies));
  }

  /** Takes due times until -1, sending a PutRecord stamped with each and timing it from when it was due. */
  private static void produce(HttpClient http, LinkedBlockingQueue<Long> due, long measureFrom,
                              ConcurrentLinkedQueue<Long> latencies, AtomicLong failed) {
    try {
      for (long stamp = due.take(); stamp >= 0; stamp = due.take()) {
        String body = "{\"StreamName\":\"" + STREAM + "\",\"PartitionKey\":\"k\",\"Data\":\""
            + Base64.getEncoder().encodeToString(Long.toString(stamp).getBytes(StandardCharsets.US_ASCII)) + "\"}";
        try {
          HttpResponse<String> r = http.send(request("PutRecord", body), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() != 200) {
            throw new IllegalStateException("PutRecord answered " + r.statusCode() + " " + r.body());
          }
          if (stamp >= measureFrom) {
            latencies.add(System.nanoTime() - stamp);
          }
        } catch (java.io.IOException | RuntimeException e) {
          if (failed.getAndIncrement() == 0) {
            System.out.println(">>> first failure: " + e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String iterator() {
    String body = Kinesis.call("GetShardIterator", "{\"StreamName\":\"" + STREAM + "\",\"ShardId\":"
        + "\"shardId-000000000000\",\"ShardIteratorType\":\"LATEST\"}");
    Matcher m = Pattern.compile("\"ShardIterator\":\"([^\"]+)\"").matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no iterator in " + body);
    }
    return m.group(1);
  }

  /** GetRecords in a tight loop (no pause between calls), as a latency-bound reader polls. */
  private static void read(String first, AtomicBoolean stop, long from, long to, List<Long> seen) {
    String iterator = first;
    while (!stop.get()) {
      String body = Kinesis.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
      long now = System.nanoTime();
      Matcher data = DATA.matcher(body);
      while (data.find()) {
        long stamp = Long.parseLong(new String(Base64.getDecoder().decode(data.group(1)), StandardCharsets.US_ASCII));
        if (stamp >= from && stamp < to) {
          seen.add(now - stamp);
        }
      }
      Matcher next = NEXT.matcher(body);
      if (!next.find()) {
        return;
      }
      iterator = next.group(1);
    }
  }

  private static HttpRequest request(String action, String body) {
    return HttpRequest.newBuilder(URI.create(URL + "/")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/x-amz-json-1.1").header("Authorization", Kinesis.AUTH)
        .header("X-Amz-Date", "20260101T000000Z").header("X-Amz-Target", "Kinesis_20131202." + action)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static void report(String what, List<Long> nanos) {
    if (nanos.isEmpty()) {
      System.out.printf(">>> %s: nothing measured%n", what);
      return;
    }
    Collections.sort(nanos);
    System.out.printf(Locale.ROOT, ">>> %s (%,d): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n", what,
        nanos.size(), at(nanos, 0.50), at(nanos, 0.99), at(nanos, 0.999), nanos.get(nanos.size() - 1) / 1e6);
  }

  private static double at(List<Long> sorted, double quantile) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1)) / 1e6;
  }
}
