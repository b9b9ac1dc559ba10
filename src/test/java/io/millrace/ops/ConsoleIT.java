package io.millrace.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.Processes;
import io.millrace.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * The web console in a real browser: headless Chromium (Debian's {@code chromium}, which {@code .ci/run} installs)
 * driven over the Chrome DevTools protocol loads {@code /console}, shows the streams, draws a stream's throughput
 * chart and shard lineage, and browses the records produced. The screenshot it takes is the README's.
 */
@Timeout(120)
class ConsoleIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void the_console_shows_the_streams_charts_of_throughput_and_consumer_lag_and_the_records_produced()
      throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM), "Chromium is not at " + CHROMIUM + " (.ci/run installs it)");
    try (TestServer server = TestServer.start(Map.of("createStreamMillis", "0", "consumerCreateMillis", "0"));
         KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint());
         KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("clicks").shardCount(2));
      for (int i = 0; i < 3; i++) {
        String data = "{\"click\":" + i + "}";
        kinesis.putRecord(b -> b.streamName("clicks").partitionKey("k").explicitHashKey("0")
            .data(SdkBytes.fromUtf8String(data)));
      }
      kinesis.splitShard(b -> b.streamName("clicks").shardToSplit("shardId-000000000001")
          .newStartingHashKey("255211775190703847597530955573826158592"));
      // A consumer subscribed to the first shard: its lag is charted.
      String arn = kinesis.describeStreamSummary(b -> b.streamName("clicks")).streamDescriptionSummary().streamARN();
      String consumer = kinesis.registerStreamConsumer(b -> b.streamARN(arn).consumerName("dashboard")).consumer()
          .consumerARN();
      Poll.until("the consumer is ACTIVE", () -> kinesis.describeStreamConsumer(b -> b.consumerARN(consumer))
          .consumerDescription().consumerStatusAsString().equals("ACTIVE"));
      CompletableFuture<Void> firstEvent = new CompletableFuture<>();
      async.subscribeToShard(b -> b.consumerARN(consumer).shardId("shardId-000000000000")
          .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)), SubscribeToShardResponseHandler.builder()
          .subscriber(event -> firstEvent.complete(null)).onError(firstEvent::completeExceptionally).build());
      firstEvent.get(30, TimeUnit.SECONDS);

      Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
          "--disable-dev-shm-usage", "--remote-debugging-port=0", "--user-data-dir=" + tmp.resolve("profile"),
          "--window-size=1280,1000", "about:blank").redirectErrorStream(true).start();
      try (Browser page = Browser.open(chromium, server.endpoint().resolve("/console/"))) {
        Poll.until("the streams are listed", () -> page.eval("document.querySelectorAll('#streams tbody tr')"
            + ".length").asInt() == 1);
        assertEquals("clicks", page.eval("document.querySelector('#streams tbody td').textContent").asText());

        page.eval("document.querySelector('#streams tbody tr').click()");
        Poll.until("the chart and the lineage are drawn", () -> page.eval(
            "document.querySelectorAll('#throughput polyline').length").asInt() == 2
            && page.eval("document.querySelectorAll('#lineage rect').length").asInt() == 4);
        assertEquals(1, page.eval("document.querySelectorAll('#lineage rect.closed').length").asInt(),
            "the split shard is drawn closed, its two children open");
        Poll.until("the consumer's lag is charted", () -> page.eval(
            "document.querySelectorAll('#lag-chart polyline[data-consumer=\"dashboard\"]').length").asInt() == 1);
        assertTrue(page.eval("document.querySelector('#consumers tr[data-consumer=\"dashboard\"] td.lag')"
            + ".textContent").asText().matches("\\d+"), "the consumer's row shows its lag in milliseconds");

        page.eval("document.querySelector('#shard').value = 'shardId-000000000000';"
            + "document.querySelector('#read').click()");
        Poll.until("the records are shown", () -> page.eval(
            "document.querySelectorAll('#records tbody tr').length").asInt() == 3);
        assertEquals("{\"click\":0}|{\"click\":1}|{\"click\":2}", page.eval(
            "[...document.querySelectorAll('#records td.data')].map(td => td.textContent).join('|')").asText());

        Path screenshot = Path.of("target", "console.png");
        Files.write(screenshot, Base64.getDecoder().decode(page.call("Page.captureScreenshot",
            JSON.createObjectNode().put("format", "png")).path("data").asText()));
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot of the page");
      } finally {
        Processes.stop(chromium, "chromium", Duration.ofSeconds(5));
      }
    }
  }

  /** One page of a browser, driven over the DevTools protocol (JSON messages on a WebSocket). */
  private static final class Browser implements AutoCloseable, WebSocket.Listener {
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    /** Opens a page at {@code url} in the browser {@code chromium} runs, once it says where it listens. */
    static Browser open(Process chromium, URI url) throws Exception {
      BufferedReader output = new BufferedReader(new InputStreamReader(chromium.getInputStream(),
          StandardCharsets.UTF_8));
      Pattern listening = Pattern.compile("DevTools listening on ws://127\\.0\\.0\\.1:(\\d+)/");
      int port = -1;
      for (String line; port < 0 && (line = output.readLine()) != null; ) {
        Matcher m = listening.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        }
      }
      assertTrue(port > 0, "Chromium did not say where it listens");
      Thread drain = new Thread(() -> output.lines().forEach(l -> { }));
      drain.setDaemon(true);
      drain.start();
      HttpClient http = HttpClient.newHttpClient();
      JsonNode target = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/json/new?" + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8)))
          .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).body());
      Browser browser = new Browser();
      browser.socket = http.newWebSocketBuilder().buildAsync(URI.create(target.path("webSocketDebuggerUrl")
          .asText()), browser).get(10, TimeUnit.SECONDS);
      return browser;
    }

    JsonNode call(String method, ObjectNode params) throws Exception {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonNode> answer = new CompletableFuture<>();
      pending.put(id, answer);
      ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
      message.set("params", params);
      socket.sendText(JSON.writeValueAsString(message), true).get(10, TimeUnit.SECONDS);
      JsonNode reply = answer.get(20, TimeUnit.SECONDS);
      if (reply.has("error")) {
        throw new AssertionError(method + ": " + reply.get("error"));
      }
      return reply.path("result");
    }

    /** The value of a JavaScript expression in the page (a JSON null if it threw). */
    JsonNode eval(String expression) {
      try {
        JsonNode result = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
            .put("returnByValue", true));
        return result.path("result").path("value");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode message = JSON.readTree(partial.toString());
          CompletableFuture<JsonNode> answer = message.has("id") ? pending.remove(message.get("id").asInt()) : null;
          if (answer != null) {
            answer.complete(message);
          }
        } catch (Exception e) {
          pending.values().forEach(p -> p.completeExceptionally(e));
        }
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public void close() {
      if (socket != null) {
        socket.abort();
      }
    }
  }
}
