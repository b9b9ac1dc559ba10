package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.firehose.FirehoseConfig.HttpEndpointCommonAttribute;
import io.millrace.firehose.FirehoseConfig.HttpEndpointConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointRequestConfiguration;
import io.millrace.firehose.HttpEndpointException.Code;
import io.millrace.firehose.HttpEndpointWriter.StagedRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The sender against a real Vert.x HTTP server on 127.0.0.1, answering as each test tells it. */
@ExtendWith(VertxExtension.class)
class HttpEndpointSenderTest {

  private static final String ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/orders";
  private static final String KEY = "s3cr3t-key";
  /** Generous: only a test that means to time out ever waits for a timeout. */
  private static final HttpEndpointSender.Settings FAST = new HttpEndpointSender.Settings(5_000, 5_000, 30_000);
  private static final HttpEndpointSender.Settings SHORT_REQUEST_TIMEOUT = new HttpEndpointSender.Settings(5_000,
      5_000, 300);

  @TempDir
  Path staging;

  private HttpServer server;
  private int port;
  private final AtomicReference<Handler<HttpServerRequest>> answer = new AtomicReference<>();
  private final List<HttpEndpointSender> senders = new ArrayList<>();

  /** What the server received. */
  private record Received(String method, String uri, MultiMap headers, byte[] body) {}

  private final AtomicReference<Received> received = new AtomicReference<>();

  @BeforeEach
  void start_the_endpoint(Vertx vertx, VertxTestContext test) {
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> answer.get().handle(req))
        .listen()
        .onComplete(test.succeeding(s -> {
          server = s;
          port = s.actualPort();
          test.completeNow();
        }));
  }

  @AfterEach
  void stop(Vertx vertx, VertxTestContext test) {
    List<Future<Void>> closing = new ArrayList<>();
    senders.forEach(s -> closing.add(s.close()));
    closing.add(server.close());
    Future.join(closing).onComplete(v -> test.completeNow());
  }

  // ---- helpers ----

  private static HttpEndpointDestinationConfiguration destination(String url, String accessKey, String encoding,
                                                                  List<HttpEndpointCommonAttribute> attributes) {
    return new HttpEndpointDestinationConfiguration(new HttpEndpointConfiguration(url, "endpoint", accessKey), null,
        null, new HttpEndpointRequestConfiguration(encoding, attributes), null, null, null, null, null, null);
  }

  private HttpEndpointDestinationConfiguration destination(String encoding) {
    return destination("http://127.0.0.1:" + port + "/ingest?team=a%20b", KEY, encoding,
        List.of(new HttpEndpointCommonAttribute("env", "test"),
            new HttpEndpointCommonAttribute("quote", "say \"hi\"")));
  }

  private HttpEndpointSender sender(Vertx vertx, HttpEndpointDestinationConfiguration config,
                                    HttpEndpointSender.Settings settings) {
    HttpEndpointSender sender = new HttpEndpointSender(vertx, config, ARN, settings);
    senders.add(sender);
    return sender;
  }

  private StagedRequest stage(HttpEndpointDestinationConfiguration config, String... records) throws IOException {
    List<FirehoseRecord> list = new ArrayList<>();
    for (int i = 0; i < records.length; i++) {
      list.add(new FirehoseRecord(records[i].getBytes(StandardCharsets.UTF_8), 1000 + i));
    }
    try (HttpEndpointWriter writer = new HttpEndpointWriter(config, staging, "t" + System.nanoTime(),
        Clock.systemUTC())) {
      writer.add(list);
      return writer.finish().get(0);
    }
  }

  /** The server reads the whole request, keeps it, then answers with {@code then}. */
  private void answer(Handler<HttpServerRequest> then) {
    answer.set(req -> req.body().onSuccess(body -> {
      received.set(new Received(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap()
          .addAll(req.headers()), body.getBytes()));
      then.handle(req);
    }));
  }

  private static Handler<HttpServerRequest> status(int status, String contentType, String body) {
    return req -> {
      if (contentType != null) {
        req.response().putHeader("Content-Type", contentType);
      }
      req.response().setStatusCode(status).end(body);
    };
  }

  private static String echo(StagedRequest r) {
    return "{\"requestId\":\"" + r.requestId() + "\",\"timestamp\":1598556019164}";
  }

  /** Sends and hands the failure to {@code check} on the test's terms (a success fails the test). */
  private static void expectFailure(Future<Void> sent, VertxTestContext test, Handler<Throwable> check) {
    sent.onComplete(test.failing(e -> test.verify(() -> {
      check.handle(e);
      test.completeNow();
    })));
  }

  private static HttpEndpointException endpointFailure(Throwable e, Code code) {
    HttpEndpointException failure = assertInstanceOf(HttpEndpointException.class, e);
    assertEquals(code, failure.code(), failure.getMessage());
    return failure;
  }

  // ---- success ----

  @Test
  void a_200_echoing_the_request_id_succeeds_and_the_request_has_every_header_and_the_body(Vertx vertx,
      VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "first\n", "second\n");
    answer(status(200, "application/json", echo(r)));
    sender(vertx, config, FAST).send(r).onComplete(test.succeeding(v -> test.verify(() -> {
      Received got = received.get();
      assertEquals("POST", got.method());
      assertEquals("/ingest?team=a%20b", got.uri());
      assertEquals("1.0", got.headers().get("X-Amz-Firehose-Protocol-Version"));
      assertEquals(r.requestId(), got.headers().get("X-Amz-Firehose-Request-Id"));
      assertEquals(ARN, got.headers().get("X-Amz-Firehose-Source-Arn"));
      assertEquals(KEY, got.headers().get("X-Amz-Firehose-Access-Key"));
      assertEquals("{\"commonAttributes\":{\"env\":\"test\",\"quote\":\"say \\\"hi\\\"\"}}",
          got.headers().get("X-Amz-Firehose-Common-Attributes"));
      assertEquals("application/json", got.headers().get("Content-Type"));
      assertNull(got.headers().get("Content-Encoding"));
      assertNull(got.headers().get("Transfer-Encoding"));
      assertEquals(Long.toString(r.bodyBytes()), got.headers().get("Content-Length"));
      assertArrayEquals(Files.readAllBytes(r.file()), got.body());
      test.completeNow();
    })));
  }

  @Test
  void a_gzip_request_says_content_encoding_gzip_and_sends_the_compressed_file(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("GZIP");
    StagedRequest r = stage(config, "compressed");
    answer(status(200, "application/json; charset=utf-8", echo(r)));
    sender(vertx, config, FAST).send(r).onComplete(test.succeeding(v -> test.verify(() -> {
      Received got = received.get();
      assertEquals("gzip", got.headers().get("Content-Encoding"));
      assertEquals(Long.toString(Files.size(r.file())), got.headers().get("Content-Length"));
      assertArrayEquals(Files.readAllBytes(r.file()), got.body());
      test.completeNow();
    })));
  }

  @Test
  void without_an_access_key_or_attributes_those_headers_are_absent(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("http://127.0.0.1:" + port, null, "NONE", List.of());
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", echo(r)));
    sender(vertx, config, FAST).send(r).onComplete(test.succeeding(v -> test.verify(() -> {
      Received got = received.get();
      assertEquals("/", got.uri());
      assertNull(got.headers().get("X-Amz-Firehose-Access-Key"));
      assertNull(got.headers().get("X-Amz-Firehose-Common-Attributes"));
      assertEquals("1.0", got.headers().get("X-Amz-Firehose-Protocol-Version"));
      test.completeNow();
    })));
  }

  @Test
  void a_retry_of_the_same_staged_request_sends_the_same_id_and_bytes(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "again");
    List<Received> both = new ArrayList<>();
    answer(req -> {
      both.add(received.get());
      status(both.size() == 1 ? 503 : 200, "application/json", echo(r)).handle(req);
    });
    HttpEndpointSender sender = sender(vertx, config, FAST);
    sender.send(r).recover(first -> sender.send(r)).onComplete(test.succeeding(v -> test.verify(() -> {
      assertEquals(2, both.size());
      assertEquals(r.requestId(), both.get(1).headers().get("X-Amz-Firehose-Request-Id"));
      assertArrayEquals(both.get(0).body(), both.get(1).body());
      test.completeNow();
    })));
  }

  @Test
  void send_completes_on_the_calling_context(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", echo(r)));
    HttpEndpointSender sender = sender(vertx, config, FAST);
    Context caller = vertx.getOrCreateContext();
    caller.runOnContext(go -> sender.send(r).onComplete(test.succeeding(v -> test.verify(() -> {
      assertSame(caller, Vertx.currentContext());
      test.completeNow();
    }))));
  }

  // ---- failures the endpoint answers ----

  @Test
  void a_500_is_a_retryable_destination_exception_quoting_the_response(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(500, "application/json", "{\"requestId\":\"" + r.requestId() + "\",\"errorMessage\":\"boom\"}"));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> {
      HttpEndpointException failure = endpointFailure(e, Code.DESTINATION_EXCEPTION);
      assertEquals("HttpEndpoint.DestinationException", failure.errorCode());
      assertEquals("The following response was received from the endpoint destination. 500: {\"requestId\":\""
          + r.requestId() + "\",\"errorMessage\":\"boom\"}", failure.errorMessage());
    });
  }

  @Test
  void a_2xx_other_than_200_is_a_destination_exception(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(202, "application/json", echo(r)));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> endpointFailure(e, Code.DESTINATION_EXCEPTION));
  }

  @Test
  void a_413_is_a_permanent_failure_recorded_as_a_destination_exception(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(413, "application/json", "{\"errorMessage\":\"Payload too large\"}"));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> {
      assertInstanceOf(Retries.Permanent.class, e);
      HttpEndpointException recorded = HttpEndpointException.of(e);
      assertEquals("HttpEndpoint.DestinationException", recorded.errorCode());
      assertEquals("The following response was received from the endpoint destination. 413: "
          + "{\"errorMessage\":\"Payload too large\"}", recorded.errorMessage());
    });
  }

  @Test
  void a_200_that_is_not_json_is_an_invalid_response(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", "OK"));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> assertEquals("The response received from the "
        + "specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue. Response for request "
        + r.requestId() + " is not recognized as valid JSON or has unexpected fields. Raw response received: 200 OK",
        endpointFailure(e, Code.INVALID_RESPONSE_FROM_DESTINATION).errorMessage()));
  }

  @Test
  void a_200_echoing_another_request_id_is_an_invalid_response(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", "{\"requestId\":\"someone-else\",\"timestamp\":1}"));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> assertTrue(
        endpointFailure(e, Code.INVALID_RESPONSE_FROM_DESTINATION).errorMessage().contains("does not match"),
        e.getMessage()));
  }

  @Test
  void a_200_without_a_timestamp_is_an_invalid_response(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", "{\"requestId\":\"" + r.requestId() + "\",\"timestamp\":\"now\"}"));
    expectFailure(sender(vertx, config, FAST).send(r), test,
        e -> endpointFailure(e, Code.INVALID_RESPONSE_FROM_DESTINATION));
  }

  @Test
  void a_200_echo_without_a_json_content_type_is_an_invalid_response(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(status(200, "text/plain", echo(r)));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> assertTrue(
        endpointFailure(e, Code.INVALID_RESPONSE_FROM_DESTINATION).errorMessage().contains("Content-Type"),
        e.getMessage()));
  }

  @Test
  void a_response_over_one_mib_is_too_large(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(req -> req.response().putHeader("Content-Type", "application/json").setStatusCode(200)
        .end(Buffer.buffer(new byte[HttpEndpointSender.MAX_RESPONSE_BYTES + 1])));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> assertEquals("HttpEndpoint.ResponseTooLarge",
        endpointFailure(e, Code.RESPONSE_TOO_LARGE).errorCode()));
  }

  @Test
  void a_chunked_response_growing_past_one_mib_is_too_large(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(req -> {
      req.response().setChunked(true).putHeader("Content-Type", "application/json").setStatusCode(200);
      for (int i = 0; i < 17; i++) {
        req.response().write(Buffer.buffer(new byte[64 * 1024]));
      }
      req.response().end();
    });
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> endpointFailure(e, Code.RESPONSE_TOO_LARGE));
  }

  // ---- failures of the connection ----

  @Test
  void an_endpoint_that_never_answers_times_out(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer.set(req -> { }); // never answers
    expectFailure(sender(vertx, config, SHORT_REQUEST_TIMEOUT).send(r), test, e -> assertEquals(
        "HttpEndpoint.RequestTimeout", endpointFailure(e, Code.REQUEST_TIMEOUT).errorCode()));
  }

  @Test
  void a_closed_port_is_a_connection_failure(Vertx vertx, VertxTestContext test) throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    server.close().compose(closed -> sender(vertx, config, FAST).send(r)).onComplete(test.failing(e ->
        test.verify(() -> {
          assertEquals("HttpEndpoint.ConnectionFailed", endpointFailure(e, Code.CONNECTION_FAILED).errorCode());
          test.completeNow();
        })));
  }

  @Test
  void a_connection_closed_before_the_response_is_a_connection_reset(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    answer(req -> req.connection().close());
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> endpointFailure(e, Code.CONNECTION_RESET));
  }

  @Test
  void https_to_an_endpoint_that_does_not_speak_tls_is_an_ssl_handshake_failure(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("https://127.0.0.1:" + port + "/", null, "NONE", null);
    StagedRequest r = stage(config, "x");
    answer(status(200, "application/json", "{}"));
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> endpointFailure(e, Code.SSL_HANDSHAKE_FAILURE));
  }

  @Test
  void a_staged_file_that_is_gone_fails_the_send_without_blaming_the_endpoint(Vertx vertx, VertxTestContext test)
      throws IOException {
    HttpEndpointDestinationConfiguration config = destination("NONE");
    StagedRequest r = stage(config, "x");
    r.delete();
    expectFailure(sender(vertx, config, FAST).send(r), test, e -> assertEquals("InternalError",
        HttpEndpointException.of(e).errorCode()));
  }

  // ---- configuration ----

  @Test
  void only_absolute_http_and_https_urls_are_accepted(Vertx vertx) {
    for (String bad : List.of("ftp://host/", "/relative", "http://", "not a url")) {
      assertThrows(IllegalArgumentException.class,
          () -> new HttpEndpointSender(vertx, destination(bad, null, null, null), ARN, FAST), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new HttpEndpointSender.Settings(0, 1, 1));
  }

  @Test
  void common_attributes_become_one_ascii_json_header_value() {
    assertNull(HttpEndpointSender.commonAttributes(null));
    assertNull(HttpEndpointSender.commonAttributes(List.of()));
    assertEquals("{\"commonAttributes\":{\"a\":\"1\",\"b\":\"caf\\u00E9\"}}", HttpEndpointSender.commonAttributes(
        List.of(new HttpEndpointCommonAttribute("a", "0"), new HttpEndpointCommonAttribute("b", "café"),
            new HttpEndpointCommonAttribute("a", "1"))));
  }
}
