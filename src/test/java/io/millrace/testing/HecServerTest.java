package io.millrace.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.HecServer.Event;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HEC test server answers as Splunk's HTTP Event Collector documents it: tokens, channels, event validation, raw
 * lines, indexer acknowledgement, and the test controls (busy, held acks, a lost indexer). Driven over real HTTP with
 * the JDK's client.
 */
class HecServerTest {

  private static final String CHANNEL = "0b8f6e1c-3a57-4d2b-9c1e-7f2a4b6d8e90";

  private Vertx vertx;
  private HecServer hec;
  private HttpClient http;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    hec = HecServer.start(vertx);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() throws Exception {
    hec.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** An answer: HTTP status and JSON body. */
  private record Answer(int status, JsonObject body) {

    int code() {
      return body.getInteger("code");
    }

    String text() {
      return body.getString("text");
    }
  }

  private Answer post(String path, String authorization, String channel, byte[] body, String encoding)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(hec.url(path)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    if (channel != null) {
      request.header("X-Splunk-Request-Channel", channel);
    }
    if (encoding != null) {
      request.header("Content-Encoding", encoding);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), new JsonObject(response.body()));
  }

  private Answer post(String path, String token, String channel, String body)
      throws IOException, InterruptedException {
    return post(path, token == null ? null : "Splunk " + token, channel, body.getBytes(UTF_8), null);
  }

  private Answer acks(String token, String channel, long... ids) throws IOException, InterruptedException {
    StringBuilder body = new StringBuilder("{\"acks\":[");
    for (int i = 0; i < ids.length; i++) {
      body.append(i == 0 ? "" : ",").append(ids[i]);
    }
    return post("/services/collector/ack", token, channel, body.append("]}").toString());
  }

  private static void assertAnswer(int status, int code, String text, Answer answer) {
    assertEquals(status, answer.status(), answer.body().encode());
    assertEquals(code, answer.code(), answer.body().encode());
    assertEquals(text, answer.text(), answer.body().encode());
  }

  @Test
  void concatenatedEventObjectsAreIndexedInOrderWithTheirMetadata() throws Exception {
    Answer answer = post("/services/collector/event", HecServer.TOKEN, null,
        "{\"event\":\"one\",\"host\":\"h1\",\"source\":\"s\",\"sourcetype\":\"st\",\"index\":\"main\","
            + "\"time\":1700000000.5}"
            + "{\"event\":{\"n\":2},\"fields\":{\"region\":\"eu\",\"tags\":[\"a\",\"b\"]}}\n"
            + "  {\"event\":\"three\"}");

    assertEquals(200, answer.status());
    assertEquals(new JsonObject().put("text", "Success").put("code", 0), answer.body());
    List<Event> events = hec.events();
    assertEquals(List.of("one", "{\"n\":2}", "three"), hec.texts());
    Event first = events.get(0);
    assertFalse(first.raw());
    assertEquals("h1", first.host());
    assertEquals("s", first.source());
    assertEquals("st", first.sourcetype());
    assertEquals("main", first.index());
    assertEquals("1700000000.5", first.time());
    assertNull(first.channel());
    assertNull(first.ackId());
    assertEquals(2, events.get(1).eventObject().getInteger("n"));
    assertEquals("eu", events.get(1).fields().getString("region"));
    assertEquals(1, hec.requests());
  }

  @Test
  void theOtherEventPathsAndBasicAuthorizationAreAcceptedToo() throws Exception {
    assertEquals(200, post("/services/collector", HecServer.TOKEN, null, "{\"event\":\"a\"}").status());
    assertEquals(200, post("/services/collector/event/1.0", HecServer.TOKEN, null, "{\"event\":\"b\"}").status());
    String basic = "Basic " + Base64.getEncoder().encodeToString(("x:" + HecServer.TOKEN).getBytes(UTF_8));
    assertEquals(200, post("/services/collector/event", basic, null, "{\"event\":\"c\"}".getBytes(UTF_8), null)
        .status());

    assertEquals(List.of("a", "b", "c"), hec.texts());
  }

  @Test
  void aMissingTokenIs401Code2AWrongOneIs403Code4AndAnotherSchemeIs401Code3() throws Exception {
    String body = "{\"event\":\"x\"}";
    assertAnswer(401, 2, "Token is required", post("/services/collector/event", null, null, body));
    assertAnswer(403, 4, "Invalid token", post("/services/collector/event", "not-a-token", null, body));
    assertAnswer(401, 3, "Invalid authorization",
        post("/services/collector/event", "Bearer " + HecServer.TOKEN, null, body.getBytes(UTF_8), null));
    assertAnswer(403, 4, "Invalid token", post("/services/collector/raw", "wrong", null, "line"));

    assertTrue(hec.events().isEmpty());
    assertEquals(4, hec.requests());
  }

  @Test
  void aTokenWithAcknowledgementNeedsAGuidChannel() throws Exception {
    String body = "{\"event\":\"x\"}";
    assertAnswer(400, 10, "Data channel is missing",
        post("/services/collector/event", HecServer.ACK_TOKEN, null, body));
    assertAnswer(400, 11, "Invalid data channel",
        post("/services/collector/event", HecServer.ACK_TOKEN, "not-a-guid", body));
    assertAnswer(400, 10, "Data channel is missing", post("/services/collector/raw", HecServer.ACK_TOKEN, null, "x"));
    assertTrue(hec.events().isEmpty());

    // the channel as a query parameter does as well as the header
    Answer answer = post("/services/collector/event?channel=" + CHANNEL, HecServer.ACK_TOKEN, null, body);
    assertEquals(200, answer.status(), answer.body().encode());
    assertEquals(0L, answer.body().getLong("ackId"));
    assertEquals(CHANNEL, hec.events().get(0).channel());
  }

  @Test
  void anEventWithoutEventIsCode12ABlankOneCode13AndBadJsonCode6AndNothingOfTheRequestIsIndexed()
      throws Exception {
    Answer missing = post("/services/collector/event", HecServer.TOKEN, null,
        "{\"event\":\"ok\"}{\"host\":\"h\"}");
    assertAnswer(400, 12, "Event field is required", missing);
    assertEquals(1, missing.body().getInteger("invalid-event-number"));

    Answer blank = post("/services/collector/event", HecServer.TOKEN, null, "{\"event\":\"\"}");
    assertAnswer(400, 13, "Event field cannot be blank", blank);
    assertEquals(0, blank.body().getInteger("invalid-event-number"));

    Answer malformed = post("/services/collector/event", HecServer.TOKEN, null,
        "{\"event\":\"a\"}{\"event\":\"b\"}{\"event\":");
    assertAnswer(400, 6, "Invalid data format", malformed);
    assertEquals(2, malformed.body().getInteger("invalid-event-number"));

    assertAnswer(400, 6, "Invalid data format", post("/services/collector/event", HecServer.TOKEN, null, "[1]"));
    assertAnswer(400, 15, "Error in handling indexed fields", post("/services/collector/event", HecServer.TOKEN,
        null, "{\"event\":\"x\",\"fields\":{\"nested\":{\"a\":1}}}"));
    assertAnswer(400, 5, "No data", post("/services/collector/event", HecServer.TOKEN, null, ""));

    assertTrue(hec.events().isEmpty(), hec.texts().toString());
  }

  @Test
  void rawBodiesAreIndexedOneEventPerLineWithQueryMetadata() throws Exception {
    Answer answer = post("/services/collector/raw?sourcetype=access&host=web1", HecServer.TOKEN, null,
        "first line\r\nsecond {\"json\":true}\n\nthird\n");

    assertEquals(200, answer.status(), answer.body().encode());
    List<Event> events = hec.events();
    assertEquals(List.of("first line", "second {\"json\":true}", "third"), hec.texts());
    assertTrue(events.stream().allMatch(Event::raw));
    assertEquals("access", events.get(0).sourcetype());
    assertEquals("web1", events.get(2).host());
    assertNull(events.get(0).json());
  }

  @Test
  void gzipBodiesAreAccepted() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
      gzip.write("{\"event\":\"zipped\"}".getBytes(UTF_8));
    }
    Answer answer = post("/services/collector/event", "Splunk " + HecServer.TOKEN, null, bytes.toByteArray(),
        "gzip");

    assertEquals(200, answer.status(), answer.body().encode());
    assertEquals(List.of("zipped"), hec.texts());
  }

  @Test
  void ackIdsCountFromZeroPerChannelAndAnIdAnsweredTrueIsForgotten() throws Exception {
    String other = UUID.randomUUID().toString();
    assertEquals(0L, post("/services/collector/event", HecServer.ACK_TOKEN, CHANNEL, "{\"event\":\"a\"}")
        .body().getLong("ackId"));
    assertEquals(1L, post("/services/collector/raw", HecServer.ACK_TOKEN, CHANNEL, "b\nc").body().getLong("ackId"));
    Answer onOther = post("/services/collector/event", HecServer.ACK_TOKEN, other, "{\"event\":\"d\"}");
    assertEquals(new JsonObject().put("text", "Success").put("code", 0).put("ackId", 0), onOther.body());

    Answer first = acks(HecServer.ACK_TOKEN, CHANNEL, 0, 1, 2);
    assertEquals(200, first.status());
    assertEquals(new JsonObject().put("acks", new JsonObject().put("0", true).put("1", true).put("2", false)),
        first.body());
    assertEquals(new JsonObject().put("acks", new JsonObject().put("0", false)),
        acks(HecServer.ACK_TOKEN, CHANNEL, 0).body());
    assertEquals(new JsonObject().put("acks", new JsonObject().put("0", true)),
        acks(HecServer.ACK_TOKEN, other, 0).body());
    assertEquals(3, hec.ackPolls());
    assertEquals(List.of(0L, 1L, 1L, 0L), hec.events().stream().map(Event::ackId).toList());
  }

  @Test
  void theAckEndpointWantsAChannelAndATokenWithAcknowledgement() throws Exception {
    assertAnswer(400, 10, "Data channel is missing", acks(HecServer.ACK_TOKEN, null, 0));
    assertAnswer(400, 14, "ACK is disabled", acks(HecServer.TOKEN, CHANNEL, 0));
    assertAnswer(401, 2, "Token is required", acks(null, CHANNEL, 0));
    assertAnswer(400, 6, "Invalid data format",
        post("/services/collector/ack", HecServer.ACK_TOKEN, CHANNEL, "{\"acks\":\"zero\"}"));
  }

  @Test
  void heldAcksStayFalseAndTheirEventsUnindexedUntilReleased() throws Exception {
    hec.holdAcks(true);
    long ackId = post("/services/collector/event", HecServer.ACK_TOKEN, CHANNEL, "{\"event\":\"held\"}")
        .body().getLong("ackId");
    // a token without acknowledgement is not held
    post("/services/collector/event", HecServer.TOKEN, null, "{\"event\":\"plain\"}");

    assertEquals(new JsonObject().put(String.valueOf(ackId), false),
        acks(HecServer.ACK_TOKEN, CHANNEL, ackId).body().getJsonObject("acks"));
    assertEquals(List.of("plain"), hec.texts());
    assertEquals(1, hec.heldRequests());

    Future<List<Event>> two = hec.awaitEvents(2);
    assertFalse(two.isComplete());
    hec.holdAcks(false);

    assertEquals(List.of("plain", "held"), two.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
        .stream().map(Event::text).toList());
    assertEquals(new JsonObject().put(String.valueOf(ackId), true),
        acks(HecServer.ACK_TOKEN, CHANNEL, ackId).body().getJsonObject("acks"));
  }

  @Test
  void droppedHeldRequestsAreNeverIndexedSoOnlyTheResentCopyArrives() throws Exception {
    hec.holdAcks(true);
    long lost = post("/services/collector/event", HecServer.ACK_TOKEN, CHANNEL, "{\"event\":\"batch-1\"}")
        .body().getLong("ackId");
    assertEquals(false, acks(HecServer.ACK_TOKEN, CHANNEL, lost).body().getJsonObject("acks")
        .getBoolean(String.valueOf(lost)));

    hec.dropHeld();
    hec.holdAcks(false);
    long resent = post("/services/collector/event", HecServer.ACK_TOKEN, CHANNEL, "{\"event\":\"batch-1\"}")
        .body().getLong("ackId");

    assertEquals(List.of("batch-1"), hec.waitForEvents(1).stream().map(Event::text).toList());
    assertEquals(new JsonObject().put(String.valueOf(lost), false).put(String.valueOf(resent), true),
        acks(HecServer.ACK_TOKEN, CHANNEL, lost, resent).body().getJsonObject("acks"));
    assertEquals(List.of("batch-1"), hec.texts());
  }

  @Test
  void anUnavailableServerAnswers503Code9ToEverythingUntilItIsBack() throws Exception {
    hec.setAvailable(false);
    assertAnswer(503, 9, "Server is busy", post("/services/collector/event", HecServer.TOKEN, null,
        "{\"event\":\"x\"}"));
    assertAnswer(503, 9, "Server is busy", post("/services/collector/event", null, null, "{\"event\":\"x\"}"));
    assertAnswer(503, 9, "Server is busy", acks(HecServer.ACK_TOKEN, CHANNEL, 0));
    assertTrue(hec.events().isEmpty());

    hec.setAvailable(true);
    assertEquals(200, post("/services/collector/event", HecServer.TOKEN, null, "{\"event\":\"x\"}").status());
    assertEquals(List.of("x"), hec.texts());
    assertEquals(3, hec.requests());
    assertEquals(1, hec.ackPolls());
  }

  @Test
  void aTokenAddedLaterIsAcceptedAndItsAcknowledgementCanBeTurnedOn() throws Exception {
    hec.token("late-token", false);
    assertNull(post("/services/collector/event", "late-token", null, "{\"event\":\"a\"}").body().getValue("ackId"));
    hec.token("late-token", true);
    assertEquals(0L, post("/services/collector/event", "late-token", CHANNEL, "{\"event\":\"b\"}").body()
        .getLong("ackId"));
    assertEquals(List.of("a", "b"), hec.texts());
  }

  @Test
  void theHealthEndpointAnswersCode17() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(hec.url("/services/collector/health"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertEquals(Map.of("text", "HEC is healthy", "code", 17), new JsonObject(response.body()).getMap());
    assertEquals(URI.create("http://127.0.0.1:" + hec.port()), hec.url());
  }
}
