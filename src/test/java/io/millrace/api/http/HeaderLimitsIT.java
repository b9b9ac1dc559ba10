package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Headers are capped before anything is buffered for a request: 8 KiB of them over HTTP/1.1 (431 beyond), the same
 * list size over HTTP/2 (the stream refused), and an HTTP/2 connection may have at most 100 streams open at once,
 * which the server's SETTINGS tell the client.
 */
@Timeout(60)
class HeaderLimitsIT {

  private TestServer server;
  private Vertx vertx;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of());
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void an_http1_request_with_too_many_header_bytes_is_answered_431_and_a_normal_one_still_served() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      String filler = "X-Filler: " + "a".repeat(200) + "\r\n";
      String request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + filler.repeat(60) + "Content-Length: 0\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 431", status);
    }
    HttpClient http = vertx.createHttpClient();
    int ok = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
            .setPort(server.port()).setURI("/health"))
        .compose(r -> r.send()).map(r -> r.statusCode()).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertEquals(200, ok);
  }

  @Test
  void an_http2_connection_is_told_its_stream_and_header_limits_and_too_many_header_bytes_are_refused()
      throws Exception {
    HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
    var settings = h2.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
            .setPort(server.port()).setURI("/health"))
        .compose(r -> r.send().map(resp -> r.connection().remoteSettings()))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(100, settings.getMaxConcurrentStreams());
    assertEquals(8192, settings.getMaxHeaderListSize());

    Throwable refused = h2.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
            .setPort(server.port()).setURI("/").putHeader("X-Filler", "a".repeat(20_000)))
        .compose(r -> r.send("{}")).map(r -> (Throwable) null).otherwise(e -> e)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(refused != null, "a request with 20 KB of headers must not be served");
  }
}
