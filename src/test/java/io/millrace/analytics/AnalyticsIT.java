package io.millrace.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.AnalyticsCli;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.Poll;
import io.millrace.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamType;
import software.amazon.awssdk.services.firehose.model.Processor;
import software.amazon.awssdk.services.firehose.model.ProcessorType;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Analytics applications managed with the AWS CLI's {@code kinesisanalyticsv2} commands (the Java SDK's client is
 * not served here) and run on Flink in a child JVM: a SQL application counting per key in 10-second windows from one
 * Millrace stream into another, or into a Firehose delivery stream (Flink's Firehose connector); a broken statement refused at StartApplication with Flink's message; a RUNNING
 * application started again after a server restart.
 */
class AnalyticsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BASE = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  @TempDir
  Path dir;
  private TestServer server;
  private KinesisClient kinesis;
  private AnalyticsCli cli;
  private int port;

  @BeforeEach
  void start() throws java.io.IOException {
    assumeTrue(Files.isExecutable(AnalyticsCli.AWS), "AWS CLI v2 is not at /usr/bin/aws (.ci/run installs it)");
    port = JarProcess.freePort();
    server = TestServer.start(settings());
    cli = new AnalyticsCli(server.endpoint(), dir);
    kinesis = KinesisClients.kinesis(server.endpoint());
  }

  /** One port for every start: the applications' SQL names the server's endpoint. */
  private Map<String, String> settings() {
    return Map.of("inMemory", "false", "dataDir", dir.resolve("data").toString(), "port", String.valueOf(port));
  }

  @AfterEach
  void stop() {
    if (kinesis != null) {
      kinesis.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String sql(String endpoint, String aggregate) {
    return sql(endpoint, aggregate, "'connector' = 'kinesis', 'stream' = 'counts'");
  }

  /** Per-key counts per 10-second window from the stream clicks into the table counts, whose sink is given. */
  static String sql(String endpoint, String aggregate, String countsSink) {
    String aws = "'aws.region' = 'us-east-1', 'aws.endpoint' = '" + endpoint + "', 'aws.credentials.provider' = "
        + "'BASIC', 'aws.credentials.basic.accesskeyid' = 'x', 'aws.credentials.basic.secretkey' = 'x'";
    return "SET 'table.local-time-zone' = 'UTC';\n"
        + "CREATE TABLE clicks (`key` STRING, ts BIGINT, event_time AS TO_TIMESTAMP_LTZ(ts, 3), "
        + "WATERMARK FOR event_time AS event_time) WITH ('connector' = 'kinesis', 'stream' = 'clicks', "
        + "'format' = 'json', 'scan.stream.initpos' = 'TRIM_HORIZON', " + aws + ");\n"
        + "CREATE TABLE counts (`key` STRING, window_start STRING, clicks BIGINT) WITH (" + countsSink + ", "
        + "'format' = 'json', 'sink.flush-buffer.timeout' = '200', " + aws + ");\n"
        + "INSERT INTO counts SELECT `key`, DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss'), " + aggregate
        + " FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(event_time), INTERVAL '10' SECOND)) "
        + "GROUP BY `key`, window_start, window_end;\n";
  }

  /** Events of one window: {@code count} for key a, one for key b, at {@code second} seconds after BASE. */
  private void putWindow(int second, int count) {
    putWindow(kinesis, second, count);
  }

  static void putWindow(KinesisClient kinesis, int second, int count) {
    for (int i = 0; i < count; i++) {
      long ts = BASE + second * 1000L + i;
      kinesis.putRecord(b -> b.streamName("clicks").partitionKey("a")
          .data(SdkBytes.fromUtf8String("{\"key\":\"a\",\"ts\":" + ts + "}")));
    }
    kinesis.putRecord(b -> b.streamName("clicks").partitionKey("b")
        .data(SdkBytes.fromUtf8String("{\"key\":\"b\",\"ts\":" + (BASE + second * 1000L) + "}")));
  }

  /** The rows of the output stream: "key@window" to count. */
  private Map<String, Long> awaitRows(int rows) throws InterruptedException {
    return awaitRows(kinesis, rows);
  }

  static Map<String, Long> awaitRows(KinesisClient kinesis, int rows) throws InterruptedException {
    String[] iterator = {kinesis.getShardIterator(b -> b.streamName("counts").shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator()};
    Map<String, Long> seen = new TreeMap<>();
    Poll.until(rows + " rows in counts", () -> {
      GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(iterator[0]));
      iterator[0] = r.nextShardIterator();
      r.records().forEach(rec -> {
        try {
          JsonNode row = JSON.readTree(rec.data().asUtf8String());
          seen.put(row.get("key").asText() + "@" + row.get("window_start").asText(), row.get("clicks").asLong());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      return seen.size() >= rows;
    });
    return seen;
  }

  @Test
  @Timeout(300)
  void a_sql_application_counts_per_key_per_window_into_a_stream_and_runs_again_after_a_restart() throws Exception {
    kinesis.createStream(b -> b.streamName("clicks").shardCount(1));
    kinesis.createStream(b -> b.streamName("counts").shardCount(1));
    JsonNode created = cli.create("clicks-per-key", sql(server.endpoint().toString(), "COUNT(*)"));
    assertEquals("READY", created.path("ApplicationDetail").path("ApplicationStatus").asText());
    assertEquals("arn:aws:kinesisanalytics:us-east-1:000000000000:application/clicks-per-key",
        created.path("ApplicationDetail").path("ApplicationARN").asText());

    cli.run("start-application", "--application-name", "clicks-per-key");
    cli.awaitStatus("clicks-per-key", "RUNNING");
    putWindow(0, 5);
    putWindow(10, 3);
    putWindow(30, 1); // closes the first two windows
    assertEquals(Map.of("a@2026-01-01 00:00:00", 5L, "b@2026-01-01 00:00:00", 1L, "a@2026-01-01 00:00:10", 3L,
        "b@2026-01-01 00:00:10", 1L), awaitRows(4));

    server.close(); // the application's JVM stops with it; its status stays RUNNING
    server = TestServer.start(settings());
    kinesis.close();
    kinesis = KinesisClients.kinesis(server.endpoint());
    cli.awaitStatus("clicks-per-key", "RUNNING");
    putWindow(40, 2); // closes the window at 30 s
    Map<String, Long> rows = awaitRows(6);
    assertEquals(1L, rows.get("a@2026-01-01 00:00:30"), rows.toString());

    cli.run("stop-application", "--application-name", "clicks-per-key");
    cli.awaitStatus("clicks-per-key", "READY");
    JsonNode listed = cli.run("list-applications");
    assertEquals("clicks-per-key", listed.path("ApplicationSummaries").get(0).path("ApplicationName").asText());
    String createdAt = cli.run("describe-application", "--application-name", "clicks-per-key")
        .path("ApplicationDetail").path("CreateTimestamp").asText();
    cli.run("delete-application", "--application-name", "clicks-per-key", "--create-timestamp", createdAt);
    assertEquals(0, cli.run("list-applications").path("ApplicationSummaries").size());
  }

  @Test
  @Timeout(300)
  void a_sql_application_writes_its_windows_to_a_firehose_delivery_stream_that_delivers_them_to_s3() throws Exception {
    kinesis.createStream(b -> b.streamName("clicks").shardCount(1));
    try (FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      firehose.createDeliveryStream(b -> b.deliveryStreamName("counts-to-s3")
          .deliveryStreamType(DeliveryStreamType.DIRECT_PUT)
          .extendedS3DestinationConfiguration(s -> s.roleARN("arn:aws:iam::000000000000:role/firehose")
              .bucketARN("arn:aws:s3:::counts").bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))
              .processingConfiguration(p -> p.enabled(true).processors(Processor.builder()
                  .type(ProcessorType.APPEND_DELIMITER_TO_RECORD).build()))));
    }
    cli.create("to-firehose", sql(server.endpoint().toString(), "COUNT(*)",
        "'connector' = 'firehose', 'delivery-stream' = 'counts-to-s3'"));
    cli.run("start-application", "--application-name", "to-firehose");
    cli.awaitStatus("to-firehose", "RUNNING");
    putWindow(0, 4);
    putWindow(20, 1); // closes the first window

    LocalBuckets buckets = new LocalBuckets(dir.resolve("data"));
    List<String> lines = Poll.until("two rows in the bucket counts", () -> buckets.lines("counts"),
        l -> l.size() >= 2);
    Map<String, Long> rows = new TreeMap<>();
    for (String line : lines) {
      JsonNode row = JSON.readTree(line);
      rows.put(row.get("key").asText() + "@" + row.get("window_start").asText(), row.get("clicks").asLong());
    }
    assertEquals(Map.of("a@2026-01-01 00:00:00", 4L, "b@2026-01-01 00:00:00", 1L), rows);
    cli.run("stop-application", "--application-name", "to-firehose");
  }

  @Test
  @Timeout(180)
  void a_broken_statement_is_refused_at_start_application_with_flink_s_message() throws Exception {
    cli.create("broken", sql(server.endpoint().toString(), "COUNT(nope)"));
    JsonNode refused = cli.fail("start-application", "--application-name", "broken");
    assertNotEquals(0, refused.path("exit").asInt());
    String stderr = refused.path("stderr").asText();
    assertTrue(stderr.contains("InvalidApplicationConfigurationException"), stderr);
    assertTrue(stderr.contains("Column 'nope' not found"), stderr);
    assertEquals("READY", cli.status("broken"));
  }
}
