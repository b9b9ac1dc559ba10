package io.millrace.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.KinesisClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * What one SQL application costs and how soon it answers, against a running Millrace (load-tests/analytics-app.sh):
 * the time from StartApplication to RUNNING and to the first output row, then the records per second it sustains
 * (N events over 10-second windows put with PutRecords of 500, the time until the last window's rows are out) and the
 * CPU of the server and of the application's Flink JVM per record. The application is conf/analytics/clicks-per-key
 * over one-shard streams. Not a test: a main.
 */
public final class AnalyticsBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BASE = 1767225600000L; // 2026-01-01T00:00:00Z, as the README's events

  private AnalyticsBench() {}

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create("http://127.0.0.1:4567");
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    long serverPid = args.length > 1 ? Long.parseLong(args[1]) : -1;
    HttpClient http = HttpClient.newHttpClient();
    try (KinesisClient kinesis = KinesisClients.kinesis(endpoint)) {
      kinesis.createStream(b -> b.streamName("clicks").shardCount(1));
      kinesis.createStream(b -> b.streamName("counts").shardCount(1));
      String config = Files.readString(Path.of("conf/analytics/clicks-per-key.json"));
      call(http, "CreateApplication", "{\"ApplicationName\":\"bench\",\"RuntimeEnvironment\":\"FLINK-1_19\","
          + "\"ServiceExecutionRole\":\"arn:aws:iam::000000000000:role/analytics\",\"ApplicationConfiguration\":"
          + JSON.readTree(config).toString() + "}");
      long t0 = System.nanoTime();
      call(http, "StartApplication", "{\"ApplicationName\":\"bench\"}");
      long answered = System.nanoTime();
      while (!call(http, "DescribeApplication", "{\"ApplicationName\":\"bench\"}").path("ApplicationDetail")
          .path("ApplicationStatus").asText().equals("RUNNING")) {
        Thread.sleep(50);
      }
      long running = System.nanoTime();
      put(kinesis, List.of(event("a", BASE), event("a", BASE + 10_000)));
      Reader out = new Reader(kinesis);
      while (out.rows.isEmpty()) {
        out.poll();
        Thread.sleep(20);
      }
      long firstRow = System.nanoTime();
      System.out.printf("StartApplication answered after %.1f s (Flink checked the SQL), RUNNING after %.1f s, "
          + "first row after %.1f s%n", (answered - t0) / 1e9, (running - t0) / 1e9, (firstRow - t0) / 1e9);

      // Throughput: events 10 ms apart from BASE + 20 s, keys k0..k9, then a closing event.
      double cpuServer0 = ProcessCpu.seconds(serverPid);
      long flinkPid = flinkPid();
      double cpuFlink0 = ProcessCpu.seconds(flinkPid);
      long start = System.nanoTime();
      List<String> batch = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        batch.add(event("k" + (i % 10), BASE + 20_000 + i * 10L));
        if (batch.size() == 500) {
          put(kinesis, batch);
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        put(kinesis, batch);
      }
      long lastTs = BASE + 20_000 + (records - 1) * 10L;
      long lastWindow = lastTs - Math.floorMod(lastTs, 10_000);
      put(kinesis, List.of(event("a", lastWindow + 20_000)));
      long putsDone = System.nanoTime();
      long counted = 0;
      while (counted < records) {
        out.poll();
        counted = out.rows.stream().filter(r -> r.path("key").asText().startsWith("k"))
            .mapToLong(r -> r.path("clicks").asLong()).sum();
        Thread.sleep(50);
      }
      long end = System.nanoTime();
      double seconds = (end - start) / 1e9;
      double serverCpu = ProcessCpu.seconds(serverPid) - cpuServer0;
      double flinkCpu = ProcessCpu.seconds(flinkPid) - cpuFlink0;
      System.out.printf("%,d events: every window out after %.1f s (puts done in %.1f s) = %,.0f events/s; "
          + "server CPU %.1f s = %,.0f events per CPU-s; the application's Flink JVM CPU %.1f s = %,.0f events per "
          + "CPU-s%n", records, seconds, (putsDone - start) / 1e9, records / seconds, serverCpu,
          records / serverCpu, flinkCpu, records / flinkCpu);
      call(http, "StopApplication", "{\"ApplicationName\":\"bench\"}");
    }
  }

  private static String event(String key, long ts) {
    return "{\"key\":\"" + key + "\",\"ts\":" + ts + "}";
  }

  private static void put(KinesisClient kinesis, List<String> events) {
    List<PutRecordsRequestEntry> entries = events.stream().map(e -> PutRecordsRequestEntry.builder()
        .partitionKey("p").data(SdkBytes.fromUtf8String(e)).build()).toList();
    if (kinesis.putRecords(b -> b.streamName("clicks").records(entries)).failedRecordCount() != 0) {
      throw new IllegalStateException("records refused");
    }
  }

  private static JsonNode call(HttpClient http, String action, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:4567/"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "KinesisAnalytics_20180523." + action)
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/kinesisanalytics/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=0000")
        .header("X-Amz-Date", "20260101T000000Z")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(action + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
  }

  /** The Flink JVM the server started for the application. */
  private static long flinkPid() throws Exception {
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")));
          if (cmd.contains("FlinkSqlRunner") && cmd.contains("run")) {
            return Long.parseLong(name);
          }
        } catch (java.io.IOException gone) {
          // the process ended meanwhile
        }
      }
    }
    return -1;
  }

  /** Reads the output stream's rows as they come. */
  private static final class Reader {
    final KinesisClient kinesis;
    final List<JsonNode> rows = new ArrayList<>();
    String iterator;

    Reader(KinesisClient kinesis) {
      this.kinesis = kinesis;
      iterator = kinesis.getShardIterator(b -> b.streamName("counts").shardId("shardId-000000000000")
          .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    }

    void poll() throws Exception {
      GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(iterator));
      iterator = r.nextShardIterator();
      for (var rec : r.records()) {
        rows.add(JSON.readTree(rec.data().asUtf8String()));
      }
    }
  }
}
