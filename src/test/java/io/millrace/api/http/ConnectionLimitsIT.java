package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection limits against raw sockets: idle connections are closed, a client that trickles its request in
 * ("slowloris") is cut off, a slow body too, a kept-alive connection may wait between requests, and connections
 * beyond the cap are answered 503 and closed. Every wait is bounded; the limits are set small so the tests are quick.
 */
class ConnectionLimitsIT {

  private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  private TestServer server;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private void start(String... settings) {
    Map<String, String> overrides = new java.util.HashMap<>();
    for (int i = 0; i < settings.length; i += 2) {
      overrides.put(settings[i], settings[i + 1]);
    }
    server = TestServer.start(overrides);
  }

  @Test
  @Timeout(30)
  void idle_connections_are_closed_after_the_idle_timeout_whether_they_sent_a_request_or_not() throws Exception {
    start("connectionIdleTimeoutMillis", "500");
    List<Socket> idle = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      Socket s = connect();
      if (i % 2 == 0) {
        send(s, HEALTH);
        assertTrue(readResponseHead(s.getInputStream()).startsWith("HTTP/1.1 200"));
      } else {
        send(s, "G"); // one byte and then nothing: decided as HTTP/1.1, then idle
      }
      idle.add(s);
    }
    for (Socket s : idle) {
      assertClosedByServer(s);
    }
  }

  @Test
  @Timeout(30)
  void an_idle_http2_connection_is_closed_after_the_idle_timeout() throws Exception {
    start("connectionIdleTimeoutMillis", "500");
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      CompletableFuture<Void> closed = new CompletableFuture<>();
      int status = client.request(HttpMethod.GET, server.port(), "127.0.0.1", "/health")
          .compose(request -> {
            request.connection().closeHandler(v -> closed.complete(null));
            return request.send();
          })
          .map(response -> response.statusCode()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(200, status);
      closed.get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  void clients_that_trickle_their_headers_in_are_answered_408_and_cut_off() throws Exception {
    start("requestReadTimeoutMillis", "1000", "connectionIdleTimeoutMillis", "60000");
    String request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nX-Slow: " + "x".repeat(200) + "\r\n\r\n";
    int clients = 20;
    List<Socket> slow = new ArrayList<>();
    List<Thread> trickles = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Socket s = connect();
      slow.add(s);
      Thread trickle = new Thread(() -> {
        try {
          OutputStream out = s.getOutputStream();
          for (int i = 0; i < request.length(); i++) { // a byte every 50 ms: the whole request would take 15 s
            out.write(request.charAt(i));
            out.flush();
            Thread.sleep(50);
          }
        } catch (IOException | InterruptedException e) {
          // cut off by the server, as expected
        }
      });
      trickle.start();
      trickles.add(trickle);
    }
    for (Socket s : slow) {
      String answer = readAll(s.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout"), answer);
      assertTrue(answer.contains("Connection: close"), answer);
    }
    trickles.forEach(Thread::interrupt);
    assertEquals(clients, metric("millrace_requests_timed_out_total"));
  }

  @Test
  @Timeout(30)
  void a_client_that_sends_one_byte_and_stops_is_answered_408() throws Exception {
    start("requestReadTimeoutMillis", "500", "connectionIdleTimeoutMillis", "60000");
    Socket s = connect();
    send(s, "P"); // not even enough to tell HTTP/1.1 from HTTP/2
    String answer = readAll(s.getInputStream());
    assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout"), answer);
  }

  @Test
  @Timeout(30)
  void a_client_that_sends_its_headers_but_not_its_body_in_time_is_cut_off() throws Exception {
    start("requestReadTimeoutMillis", "1000", "connectionIdleTimeoutMillis", "60000");
    Socket s = connect();
    send(s, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{\"Limit\":");
    assertClosedByServer(s);
  }

  @Test
  @Timeout(30)
  void a_kept_alive_connection_may_wait_between_requests_longer_than_the_read_deadline() throws Exception {
    start("requestReadTimeoutMillis", "300", "connectionIdleTimeoutMillis", "60000");
    twoRequestsAfterAPause(connect());
  }

  /** Two requests on {@code s}, a second apart, each answered 200. */
  private static void twoRequestsAfterAPause(Socket s) throws Exception {
    send(s, HEALTH);
    assertTrue(readResponseHead(s.getInputStream()).startsWith("HTTP/1.1 200"));
    Thread.sleep(1_000); // the condition under test: time passing between two requests
    send(s, HEALTH);
    assertTrue(readResponseHead(s.getInputStream()).startsWith("HTTP/1.1 200"));
  }

  @Test
  @Timeout(30)
  void connections_beyond_the_cap_are_answered_503_service_unavailable_and_closed() throws Exception {
    start("maxConnections", "3");
    List<Socket> admitted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Socket s = connect();
      send(s, HEALTH);
      assertTrue(readResponseHead(s.getInputStream()).startsWith("HTTP/1.1 200"));
      admitted.add(s);
    }
    Socket fourth = connect();
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    send(fourth, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: " + body.length + "\r\n\r\n{}");
    String answer = readAll(fourth.getInputStream());
    assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
    assertTrue(answer.contains("x-amzn-ErrorType: ServiceUnavailable"), answer);
    assertTrue(answer.contains("\"__type\":\"ServiceUnavailable\""), answer);
    assertTrue(answer.contains("limit of 3 open connections (setting maxConnections)"), answer);

    admitted.remove(0).close();
    // Once the server has seen the close, a new connection is served again (bounded retries).
    String served = "";
    for (int attempt = 0; attempt < 100 && !served.startsWith("HTTP/1.1 200"); attempt++) {
      Socket s = connect();
      send(s, HEALTH);
      served = readResponseHead(s.getInputStream());
      s.close();
    }
    assertTrue(served.startsWith("HTTP/1.1 200"), served);
  }

  @Test
  @Timeout(30)
  void a_kept_alive_tls_connection_may_wait_between_requests_longer_than_the_read_deadline() throws Exception {
    start("requestReadTimeoutMillis", "300", "connectionIdleTimeoutMillis", "60000", "tlsPort", "0");
    twoRequestsAfterAPause(connectTls());
  }

  @Test
  @Timeout(30)
  void a_tls_client_that_sends_one_byte_and_stops_is_answered_408_through_tls() throws Exception {
    start("requestReadTimeoutMillis", "500", "connectionIdleTimeoutMillis", "60000", "tlsPort", "0");
    Socket s = connectTls();
    send(s, "P");
    String answer = readAll(s.getInputStream());
    assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout"), answer);
  }

  @Test
  @Timeout(30)
  void a_tls_handshake_that_does_not_finish_in_time_is_cut_off() throws Exception {
    start("tlsHandshakeTimeoutMillis", "500", "connectionIdleTimeoutMillis", "60000", "tlsPort", "0");
    Socket s = new Socket();
    s.setSoTimeout(15_000);
    s.connect(new InetSocketAddress("127.0.0.1", server.millrace().tlsPort()), 5_000);
    sockets.add(s);
    send(s, "\u0016\u0003\u0001"); // the start of a ClientHello, and then nothing
    assertClosedByServer(s);
  }

  @Test
  @Timeout(30)
  void tls_connections_count_once_toward_the_cap_and_one_beyond_it_is_closed_at_once() throws Exception {
    start("maxConnections", "2", "tlsPort", "0");
    for (int i = 0; i < 2; i++) {
      Socket s = connectTls();
      send(s, HEALTH);
      assertTrue(readResponseHead(s.getInputStream()).startsWith("HTTP/1.1 200"), "connection " + (i + 1));
    }
    Socket third = new Socket();
    sockets.add(third);
    third.setSoTimeout(15_000);
    third.connect(new InetSocketAddress("127.0.0.1", server.millrace().tlsPort()), 5_000);
    assertClosedByServer(third); // before any handshake: nothing to answer with
  }

  @Test
  @Timeout(30)
  void a_tls_client_that_stops_reading_is_closed_when_the_connection_goes_idle() throws Exception {
    start("connectionIdleTimeoutMillis", "500", "tlsPort", "0");
    javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trustingAll().getSocketFactory().createSocket();
    sockets.add(s);
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", server.millrace().tlsPort()), 5_000);
    s.startHandshake();
    String metrics = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    send(s, metrics.repeat(2_000)); // megabytes of answers that are never read
    io.millrace.testing.Poll.until("the stalled TLS connection is closed",
        () -> metric("millrace_tls_connections") == 0.0);
  }

  @Test
  @Timeout(30)
  void an_http2_connection_that_opens_no_stream_is_closed_however_often_it_pings() throws Exception {
    start("connectionIdleTimeoutMillis", "500");
    Socket s = connect();
    byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    byte[] settingsAck = {0, 0, 0, 4, 1, 0, 0, 0, 0};
    byte[] ping = {0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    send(s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    s.getOutputStream().write(settings);
    s.getOutputStream().write(settingsAck); // of the server's, which it sends first: a well-behaved client
    CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
      try {
        assertClosedByServer(s);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    for (int i = 0; i < 100 && !closed.isDone(); i++) {
      try {
        s.getOutputStream().write(ping);
      } catch (IOException gone) {
        break; // closed under the write
      }
      Thread.sleep(100); // the condition under test: a client that keeps pinging
    }
    closed.get(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(30)
  void a_grpc_message_flagged_compressed_without_an_encoding_is_answered_not_buffered() throws Exception {
    start("connectionIdleTimeoutMillis", "60000");
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      CompletableFuture<String> answer = new CompletableFuture<>();
      // ProduceStream: a stream by design, read as it comes (and exempt from the body deadline)
      client.request(HttpMethod.POST, server.port(), "127.0.0.1", "/millrace.v1.Millrace/ProduceStream")
          .onSuccess(request -> {
            request.putHeader("Content-Type", "application/grpc").putHeader("te", "trailers")
                .setChunked(true)
                .write(io.vertx.core.buffer.Buffer.buffer(new byte[] {1, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6}));
            // and the call stays open, more bytes to come
            // the call ends at once: with an error status, or reset (the client has not finished sending)
            request.response().onSuccess(response -> answer.complete(response.getHeader("grpc-status")))
                .onFailure(e -> answer.complete(e instanceof io.vertx.core.http.StreamResetException ? "reset"
                    : "failed: " + e));
          }).onFailure(answer::completeExceptionally);
      String status = answer.get(10, TimeUnit.SECONDS);
      assertTrue(status != null && (status.equals("reset") || !status.equals("0") && !status.startsWith("failed")),
          "an error status or a reset, not " + status);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  void an_http2_request_whose_body_does_not_arrive_in_time_is_reset() throws Exception {
    start("requestReadTimeoutMillis", "500", "connectionIdleTimeoutMillis", "60000");
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      CompletableFuture<Throwable> reset = new CompletableFuture<>();
      client.request(HttpMethod.POST, server.port(), "127.0.0.1", "/").onSuccess(request -> {
        request.exceptionHandler(reset::complete);
        request.putHeader("X-Amz-Target", "Kinesis_20131202.ListStreams")
            .putHeader("Content-Type", "application/x-amz-json-1.1").putHeader("Content-Length", "100")
            .write("{\"Limit\":"); // and the rest never comes
        request.response().onFailure(reset::complete);
      }).onFailure(reset::complete);
      assertTrue(reset.get(10, TimeUnit.SECONDS) instanceof io.vertx.core.http.StreamResetException,
          "the stream is reset");
      assertEquals(1.0, metric("millrace_requests_timed_out_total"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  void request_bodies_beyond_the_servers_receiving_budget_are_answered_503_and_the_budget_comes_back()
      throws Exception {
    start("maxReceivingBytes", "1000", "connectionIdleTimeoutMillis", "60000");
    Socket slow = connect();
    send(slow, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261201/"
        + "us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00\r\nX-Amz-Date: 20261201T000000Z\r\n"
        + "Content-Length: 951\r\n\r\n"
        + "{\"Limit\":1" + " ".repeat(900)); // most of the budget, held: the rest of its body is late
    io.millrace.testing.Poll.until("the slow body is being received", () -> metric("millrace_receiving_bytes") >= 900);

    Socket other = connect();
    String body = "{\"Limit\":1" + " ".repeat(190) + "}";
    send(other, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
    String refused = readAll(other.getInputStream());
    assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
    assertTrue(refused.contains("receiving 1000 bytes of requests already (setting maxReceivingBytes)"), refused);

    send(slow, " ".repeat(40) + "}");
    assertTrue(readResponseHead(slow.getInputStream()).startsWith("HTTP/1.1 200"));
    assertEquals(0.0, metric("millrace_receiving_bytes"), "the budget is given back");
    assertEquals(1.0, metric("millrace_requests_over_receiving_budget_total"));
  }

  // ---- helpers ----

  /** A TLS connection to the TLS port, trusting its self-signed certificate, handshake done. */
  private Socket connectTls() throws Exception {
    javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trustingAll().getSocketFactory().createSocket();
    s.setSoTimeout(15_000);
    s.connect(new InetSocketAddress("127.0.0.1", server.millrace().tlsPort()), 5_000);
    sockets.add(s);
    s.startHandshake();
    return s;
  }

  private static javax.net.ssl.SSLContext trustingAll() throws Exception {
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    }}, null);
    return context;
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(15_000);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
    sockets.add(s);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Reads up to the end of the response headers (and the small body of /health, which follows at once). */
  private static String readResponseHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = contentLength(text);
    in.readNBytes(Math.max(0, length));
    return text;
  }

  private static int contentLength(String head) {
    return head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
        .map(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim())).findFirst().orElse(0);
  }

  /** Everything the server sends until it closes the connection (the socket timeout bounds the wait). */
  private static String readAll(InputStream in) throws IOException {
    try {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (SocketException reset) {
      return "(reset: " + reset.getMessage() + ")";
    }
  }

  /** Fails unless the server closes the connection before the socket's read timeout. */
  private static void assertClosedByServer(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      while (in.read() >= 0) {
        // drain whatever was still to come
      }
    } catch (SocketException reset) {
      // a reset is a close too
    }
  }

  private double metric(String name) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name);
  }
}
