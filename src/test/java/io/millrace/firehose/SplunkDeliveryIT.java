package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.HecServer;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.HECEndpointType;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.firehose.model.SplunkDestinationDescription;
import software.amazon.awssdk.services.firehose.model.SplunkS3BackupMode;

/**
 * The Splunk destination against {@link HecServer}, a test HTTP Event Collector that follows Splunk's HEC protocol
 * (Splunk itself is not installable here): events and raw data, the token, the channel and indexer acknowledgement;
 * a collector that is busy for a while, or that loses acknowledged-pending data, loses nothing; one still refusing
 * when the retry time is up has the records under {@code splunk-failed/} in the S3 configuration's bucket.
 */
class SplunkDeliveryIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private HecServer hec;
  private TestServer server;
  private FirehoseClient firehose;
  private LocalBuckets buckets;

  @BeforeEach
  void start() {
    hec = HecServer.start(vertx);
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString(), "hecAckTimeoutMaxMillis",
        "1500"));
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
  }

  @AfterEach
  void stop() throws Exception {
    firehose.close();
    server.close();
    hec.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void create(String name, HECEndpointType type, String token, int retrySeconds, SplunkS3BackupMode backup) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(name).splunkDestinationConfiguration(s -> s
        .hecEndpoint(hec.url().toString()).hecEndpointType(type).hecToken(token)
        .retryOptions(r -> r.durationInSeconds(retrySeconds)).s3BackupMode(backup)
        .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))
        .s3Configuration(c -> c.roleARN(ROLE).bucketARN("arn:aws:s3:::" + name + "-backup"))));
  }

  private void put(String name, List<String> records) {
    assertEquals(0, firehose.putRecordBatch(b -> b.deliveryStreamName(name).records(records.stream()
        .map(r -> Record.builder().data(SdkBytes.fromUtf8String(r)).build()).toList())).failedPutCount());
  }

  private double metric(String name, String deliveryStream) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name, "DeliveryStreamName",
        deliveryStream);
  }

  @Test
  void records_become_hec_events_on_one_channel_and_are_acknowledged_before_they_count_as_delivered()
      throws Exception {
    create("events", HECEndpointType.EVENT, HecServer.ACK_TOKEN, 60, SplunkS3BackupMode.FAILED_EVENTS_ONLY);
    long before = System.currentTimeMillis() / 1000;
    put("events", List.of("{\"user\":\"ann\",\"action\":\"login\"}", "free text, not JSON",
        "{\"event\":{\"ready\":true},\"sourcetype\":\"app\",\"host\":\"h1\"}"));

    List<HecServer.Event> events = hec.waitForEvents(3);
    assertEquals(3, events.size());
    assertEquals(new JsonObject().put("user", "ann").put("action", "login"), events.get(0).event());
    assertEquals("free text, not JSON", events.get(1).event());
    assertEquals(new JsonObject().put("ready", true), events.get(2).event(), "a ready-made HEC event goes as is");
    assertEquals("app", events.get(2).sourcetype());
    assertEquals("h1", events.get(2).host());
    double time = Double.parseDouble(events.get(0).time());
    assertTrue(time >= before && time <= System.currentTimeMillis() / 1000.0 + 1, "time is the arrival: " + time);
    assertNotNull(events.get(0).channel());
    assertEquals(1, events.stream().map(HecServer.Event::channel).distinct().count(), "one channel");
    assertEquals(HecServer.ACK_TOKEN, events.get(0).token());
    Poll.until("DeliveryToSplunk.Records at 3", () -> metric("firehose_DeliveryToSplunk_Records_total",
        "events") == 3);
    assertTrue(hec.ackPolls() >= 1, "the delivery asked for its acknowledgement");
    assertEquals(List.of(), buckets.keys("events-backup"), "FailedEventsOnly: nothing delivered is backed up");

    SplunkDestinationDescription d = firehose.describeDeliveryStream(b -> b.deliveryStreamName("events"))
        .deliveryStreamDescription().destinations().get(0).splunkDestinationDescription();
    assertEquals(hec.url().toString(), d.hecEndpoint());
    assertEquals(HECEndpointType.EVENT, d.hecEndpointType());
    assertEquals(180, d.hecAcknowledgmentTimeoutInSeconds(), "Firehose's default");
    assertEquals(SplunkS3BackupMode.FAILED_EVENTS_ONLY, d.s3BackupMode());
  }

  @Test
  void raw_records_go_to_the_raw_endpoint_as_they_are_and_all_events_are_backed_up() throws Exception {
    create("raw", HECEndpointType.RAW, HecServer.ACK_TOKEN, 60, SplunkS3BackupMode.ALL_EVENTS);
    List<String> lines = IntStream.range(0, 20).mapToObj(i -> "line " + i + "\n").toList();
    put("raw", lines);

    List<HecServer.Event> events = hec.waitForEvents(20);
    assertEquals(lines.stream().map(String::strip).toList(), events.stream().map(HecServer.Event::text).toList());
    assertTrue(events.stream().allMatch(HecServer.Event::raw));
    List<String> keys = buckets.awaitKeys("raw-backup", 1);
    assertEquals(String.join("", lines), buckets.readString("raw-backup", keys.get(0)), "AllEvents: every record");
  }

  @Test
  void a_collector_busy_for_a_while_gets_every_event_once_it_recovers() throws Exception {
    create("busy", HECEndpointType.EVENT, HecServer.ACK_TOKEN, 3600, SplunkS3BackupMode.FAILED_EVENTS_ONLY);
    hec.setAvailable(false);
    List<String> records = IntStream.range(0, 50).mapToObj(i -> "{\"n\":" + i + "}").toList();
    put("busy", records);
    Poll.until("two refused attempts", () -> hec.requests() >= 2);
    hec.setAvailable(true);

    List<HecServer.Event> events = hec.waitForEvents(50);
    assertEquals(records, events.stream().map(HecServer.Event::text).toList(), "each once, in order");
  }

  @Test
  void data_whose_acknowledgement_never_comes_is_sent_again_after_the_acknowledgement_timeout() throws Exception {
    create("lost-ack", HECEndpointType.EVENT, HecServer.ACK_TOKEN, 3600, SplunkS3BackupMode.FAILED_EVENTS_ONLY);
    hec.holdAcks(true);
    List<String> records = List.of("{\"a\":1}", "{\"a\":2}");
    put("lost-ack", records);
    Poll.until("the first request held", () -> hec.heldRequests() == 1);
    hec.dropHeld(); // the indexer lost it: its ack stays false
    hec.holdAcks(false);

    List<HecServer.Event> events = hec.waitForEvents(2);
    assertEquals(records, events.stream().map(HecServer.Event::text).toList());
    assertTrue(hec.requests() >= 2, "sent again after the 1.5 s acknowledgement timeout: " + hec.requests());
  }

  @Test
  void a_token_still_refused_when_the_retry_time_is_up_has_its_records_backed_up_with_the_reason()
      throws Exception {
    create("refused", HECEndpointType.EVENT, "00000000-0000-0000-0000-000000000000", 1,
        SplunkS3BackupMode.FAILED_EVENTS_ONLY);
    List<String> records = List.of("{\"x\":1}", "not json");
    put("refused", records);

    List<String> keys = buckets.awaitKeys("refused-backup", 1);
    assertTrue(keys.get(0).startsWith("splunk-failed/"), keys.get(0));
    List<JsonNode> failures = new ArrayList<>();
    for (String line : buckets.readString("refused-backup", keys.get(0)).split("\n")) {
      failures.add(JSON.readTree(line));
    }
    assertEquals(records, failures.stream().map(f -> new String(Base64.getDecoder().decode(f.get("rawData")
        .asText()), UTF_8)).toList());
    for (JsonNode f : failures) {
      assertEquals("Splunk.InvalidToken", f.get("errorCode").asText(), f.toString());
      assertTrue(f.get("errorMessage").asText().contains("403"), f.toString());
      assertTrue(f.get("attemptsMade").asInt() >= 1, f.toString());
      assertTrue(f.hasNonNull("EventId"), f.toString());
    }
    assertEquals(0, metric("firehose_DeliveryToSplunk_Records_total", "refused"));
    assertEquals(List.of(), hec.events());
  }

  @Test
  void update_destination_gives_the_stream_a_new_token() throws Exception {
    create("rotated", HECEndpointType.EVENT, "00000000-0000-0000-0000-000000000001", 3600,
        SplunkS3BackupMode.FAILED_EVENTS_ONLY);
    put("rotated", List.of("{\"k\":1}"));
    Poll.until("a refused attempt", () -> hec.requests() >= 1);
    firehose.updateDestination(b -> b.deliveryStreamName("rotated").currentDeliveryStreamVersionId("1")
        .destinationId("destinationId-000000000001").splunkDestinationUpdate(u -> u.hecToken(HecServer.ACK_TOKEN)));
    put("rotated", List.of("{\"k\":2}"));

    assertEquals(List.of("{\"k\":1}", "{\"k\":2}"), hec.waitForEvents(2).stream().map(HecServer.Event::text)
        .toList(), "the waiting batch goes with the new token too");
  }
}
