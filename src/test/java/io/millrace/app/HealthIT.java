package io.millrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.config.ConfigLoader;
import io.millrace.testing.FaultySegmentIo;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

/**
 * Liveness and readiness as an orchestrator sees them: while a restarted server recovers its shard logs (held here
 * at the open of a segment), {@code /health/live} answers 200, {@code /health/ready} 503 with the reason, and the API
 * 503 ServiceUnavailable, which the SDKs retry; once recovered, ready.
 */
class HealthIT {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  @Timeout(90)
  void a_recovering_server_is_live_but_not_ready_and_answers_the_api_503_until_it_has_recovered(@TempDir Path dir)
      throws Exception {
    int port = JarProcess.freePort();
    Map<String, String> settings = Map.of("inMemory", "false", "dataDir", dir.resolve("data").toString(),
        "port", String.valueOf(port), "createStreamMillis", "0");
    try (TestServer first = TestServer.start(settings);
         KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(first.endpoint())) {
      kinesis.createStream(b -> b.streamName("held").shardCount(1));
      kinesis.putRecord(b -> b.streamName("held").partitionKey("k").data(SdkBytes.fromUtf8String("kept")));
    }
    String segment;
    try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
      segment = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.\\w+")).findFirst()
          .orElseThrow();
    }

    FaultySegmentIo io = new FaultySegmentIo();
    FaultySegmentIo.PausedRead recovering = io.pauseNextOpenOf(segment);
    Map<String, String> all = new java.util.HashMap<>(settings);
    all.putAll(Map.of("eventLoops", "2", "blockedThreadWarnMillis", "500"));
    CompletableFuture<Millrace> started = Millrace.start(ConfigLoader.fromValues(all), Clock.systemUTC(), io)
        .toCompletionStage().toCompletableFuture();
    try {
      assertTrue(recovering.arrived.await(30, TimeUnit.SECONDS), "recovery never opened the segment");
      assertEquals(200, get(port, "/health/live").statusCode());
      HttpResponse<String> ready = get(port, "/health/ready");
      assertEquals(503, ready.statusCode());
      assertEquals("{\"status\":\"NOT_READY\",\"reasons\":[\"starting: recovering shard logs and metadata\"]}",
          ready.body());
      assertEquals(503, get(port, "/health").statusCode());
      try (KinesisClient early = KinesisClients.kinesisWithoutRetries(URI.create("http://127.0.0.1:" + port))) {
        KinesisException e = org.junit.jupiter.api.Assertions.assertThrows(KinesisException.class,
            early::listStreams);
        assertEquals(503, e.statusCode());
        assertEquals("ServiceUnavailable", e.awsErrorDetails().errorCode());
      }
    } finally {
      recovering.resume();
    }
    Millrace server = started.get(30, TimeUnit.SECONDS);
    try {
      HttpResponse<String> ready = get(port, "/health/ready");
      assertEquals(200, ready.statusCode());
      assertEquals("{\"status\":\"READY\"}", ready.body());
      assertEquals(200, get(port, "/health").statusCode());
    } finally {
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
