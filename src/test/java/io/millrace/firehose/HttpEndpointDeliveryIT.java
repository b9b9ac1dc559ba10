package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.ContentEncoding;
import software.amazon.awssdk.services.firehose.model.HttpEndpointCommonAttribute;
import software.amazon.awssdk.services.firehose.model.HttpEndpointS3BackupMode;
import software.amazon.awssdk.services.firehose.model.Record;

/**
 * Delivery to an HTTP endpoint end to end, as protocol.md D.5 describes it: a real HTTP server on 127.0.0.1 plays the
 * customer's endpoint, answering as each test scripts it, and keeps every request it received. Failures are retried
 * with back-off under one request id until RetryOptions.DurationInSeconds; a 413, or a request still failing then,
 * has its records written under {@code http-endpoint-failed/} in the backup bucket.
 */
class HttpEndpointDeliveryIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final String ACCESS_KEY = "endpoint-key-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private TestServer server;
  private FirehoseClient firehose;
  private LocalBuckets buckets;
  private Endpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    endpoint = Endpoint.start();
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
  }

  @AfterEach
  void stop() throws Exception {
    firehose.close();
    server.close();
    endpoint.close();
  }

  /** One request the endpoint received: its headers and its body (gunzipped when it came gzip-encoded). */
  record Received(MultiMap headers, JsonNode body) {

    String header(String name) {
      return headers.get(name);
    }

    List<String> records() {
      List<String> out = new ArrayList<>();
      body.get("records").forEach(r -> out.add(new String(Base64.getDecoder().decode(r.get("data").asText()),
          UTF_8)));
      return out;
    }
  }

  /**
   * The customer's endpoint: answers the n-th request (from 0) with the status {@code statusFor} gives; a 200 echoes
   * the request id as Firehose requires.
   */
  static final class Endpoint implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile IntUnaryOperator statusFor = n -> 200;
    private HttpServer http;

    static Endpoint start() throws Exception {
      Endpoint e = new Endpoint();
      e.http = e.vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
          .requestHandler(req -> req.body().onSuccess(body -> {
            boolean gzip = "gzip".equals(req.getHeader("Content-Encoding"));
            int n;
            synchronized (e.received) {
              n = e.received.size();
              e.received.add(new Received(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
                  parse(body.getBytes(), gzip)));
            }
            int status = e.statusFor.applyAsInt(n);
            req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(status == 200 ? "{\"requestId\":\"" + req.getHeader("X-Amz-Firehose-Request-Id")
                    + "\",\"timestamp\":" + System.currentTimeMillis() + "}"
                    : "{\"errorMessage\":\"scripted failure " + status + "\"}");
          }))
          .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return e;
    }

    private static JsonNode parse(byte[] body, boolean gzip) {
      try {
        return JSON.readTree(gzip ? new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes() : body);
      } catch (IOException e) {
        throw new UncheckedIOException("the endpoint received a body that is not JSON", e);
      }
    }

    String url() {
      return "http://127.0.0.1:" + http.actualPort() + "/ingest";
    }

    void answer(IntUnaryOperator statusForRequest) {
      statusFor = statusForRequest;
    }

    List<Received> received() {
      return List.copyOf(received);
    }

    @Override
    public void close() throws Exception {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private void create(String name, int retrySeconds, HttpEndpointS3BackupMode backupMode, ContentEncoding encoding) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(name).httpEndpointDestinationConfiguration(h -> h
        .endpointConfiguration(e -> e.url(endpoint.url()).name("test endpoint").accessKey(ACCESS_KEY))
        .requestConfiguration(r -> r.contentEncoding(encoding).commonAttributes(
            HttpEndpointCommonAttribute.builder().attributeName("team").attributeValue("data").build()))
        .bufferingHints(x -> x.sizeInMBs(1).intervalInSeconds(0))
        .retryOptions(r -> r.durationInSeconds(retrySeconds))
        .roleARN(ROLE)
        .s3BackupMode(backupMode)
        .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::" + name + "-backup"))));
  }

  private static List<String> put(FirehoseClient firehose, String name, int count) {
    List<String> texts = IntStream.range(0, count).mapToObj(i -> name + "-record-" + i).toList();
    firehose.putRecordBatch(b -> b.deliveryStreamName(name).records(texts.stream()
        .map(t -> Record.builder().data(SdkBytes.fromUtf8String(t)).build()).toList()));
    return texts;
  }

  private List<Received> awaitRequests(int count) throws InterruptedException {
    return Poll.until(count + " requests at the endpoint", endpoint::received, r -> r.size() >= count);
  }

  /** The failure records under {@code http-endpoint-failed/} in the backup bucket, once there are {@code count}. */
  private List<JsonNode> awaitFailureRecords(String bucket, int count) throws Exception {
    return Poll.until(count + " failure records in " + bucket, () -> failureRecords(bucket), f -> f.size() == count);
  }

  private List<JsonNode> failureRecords(String bucket) {
    List<JsonNode> failures = new ArrayList<>();
    for (String key : buckets.keys(bucket)) {
      assertTrue(key.startsWith("http-endpoint-failed/"), key);
      for (String line : buckets.readString(bucket, key).split("\n")) {
        try {
          failures.add(JSON.readTree(line));
        } catch (java.io.IOException e) {
          throw new AssertionError("not a JSON failure record: " + line, e);
        }
      }
    }
    return failures;
  }

  private double metric(String name, String deliveryStream) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name, "DeliveryStreamName",
        deliveryStream);
  }

  @Test
  void an_endpoint_that_fails_a_few_times_receives_the_batch_under_one_request_id_with_firehose_s_headers()
      throws Exception {
    create("orders", 120, HttpEndpointS3BackupMode.FAILED_DATA_ONLY, ContentEncoding.GZIP);
    endpoint.answer(n -> n < 3 ? 500 : 200);
    long before = System.currentTimeMillis();
    List<String> sent = put(firehose, "orders", 25);

    awaitMetric("firehose_DeliveryToHttpEndpoint_Records_total", "orders", 25);
    List<Received> requests = endpoint.received();
    assertEquals(4, requests.size(), "three failures, then the success, and nothing after it");
    String requestId = requests.get(0).header("X-Amz-Firehose-Request-Id");
    String arn = firehose.describeDeliveryStream(b -> b.deliveryStreamName("orders")).deliveryStreamDescription()
        .deliveryStreamARN();
    for (Received r : requests) {
      assertEquals(requestId, r.header("X-Amz-Firehose-Request-Id"), "the same id on every retry");
      assertEquals(requestId, r.body().get("requestId").asText());
      assertTrue(r.body().get("timestamp").isIntegralNumber());
      assertEquals("1.0", r.header("X-Amz-Firehose-Protocol-Version"));
      assertEquals(arn, r.header("X-Amz-Firehose-Source-Arn"));
      assertEquals(ACCESS_KEY, r.header("X-Amz-Firehose-Access-Key"));
      assertEquals("{\"commonAttributes\":{\"team\":\"data\"}}", r.header("X-Amz-Firehose-Common-Attributes"));
      assertEquals("application/json", r.header("Content-Type"));
      assertEquals("gzip", r.header("Content-Encoding"));
      assertEquals(sent, r.records(), "every record, in order, in every attempt");
    }
    assertEquals(List.of(), buckets.keys("orders-backup"), "FailedDataOnly: nothing delivered is backed up");
    assertEquals(1, metric("firehose_DeliveryToHttpEndpoint_Success_total", "orders"));
    assertEquals(25, metric("firehose_IncomingRecords_total", "orders"));
    assertEquals(3, metric("millrace_firehose_delivery_failures_total", "orders"), "each failed attempt");
    double last = metric("millrace_firehose_last_delivery_timestamp_seconds", "orders") * 1000;
    assertTrue(last >= before && last <= System.currentTimeMillis(), "the last delivery's time: " + last);
  }

  @Test
  void a_413_sends_the_batch_straight_to_the_backup_bucket_without_a_retry() throws Exception {
    create("too-big", 120, HttpEndpointS3BackupMode.FAILED_DATA_ONLY, ContentEncoding.NONE);
    endpoint.answer(n -> 413);
    List<String> sent = put(firehose, "too-big", 5);

    List<JsonNode> failures = awaitFailureRecords("too-big-backup", 5);
    assertEquals(1, endpoint.received().size(), "a 413 is not retried");
    assertEquals(sent, failures.stream().map(f -> new String(Base64.getDecoder().decode(f.get("rawData").asText()),
        UTF_8)).toList());
    for (JsonNode f : failures) {
      assertEquals("HttpEndpoint.DestinationException", f.get("errorCode").asText(), f.toString());
      assertTrue(f.get("errorMessage").asText().contains("413"), f.toString());
      assertEquals(1, f.get("attemptsMade").asInt());
      assertTrue(f.get("arrivalTimestamp").isIntegralNumber());
    }
    awaitMetric("firehose_BackupToS3_Records_total", "too-big", 5);
  }

  @Test
  void an_endpoint_still_failing_when_the_retry_duration_ends_has_its_records_backed_up() throws Exception {
    create("down", 2, HttpEndpointS3BackupMode.FAILED_DATA_ONLY, ContentEncoding.NONE);
    endpoint.answer(n -> 503);
    List<String> sent = put(firehose, "down", 3);

    List<JsonNode> failures = awaitFailureRecords("down-backup", 3);
    int attempts = endpoint.received().size();
    assertTrue(attempts >= 2, "retried within the 2 s of RetryOptions: " + attempts + " attempts");
    for (JsonNode f : failures) {
      assertEquals(attempts, f.get("attemptsMade").asInt(), f.toString());
      assertEquals("HttpEndpoint.DestinationException", f.get("errorCode").asText());
    }
    assertEquals(sent, failures.stream().map(f -> new String(Base64.getDecoder().decode(f.get("rawData").asText()),
        UTF_8)).toList());
    assertEquals(0, metric("firehose_DeliveryToHttpEndpoint_Records_total", "down"));
  }

  @Test
  void all_data_backup_keeps_every_record_sent_in_the_backup_bucket_too() throws Exception {
    create("everything", 120, HttpEndpointS3BackupMode.ALL_DATA, ContentEncoding.NONE);
    List<String> sent = put(firehose, "everything", 10);

    assertEquals(sent, awaitRequests(1).get(0).records());
    List<String> keys = buckets.awaitKeys("everything-backup", 1);
    assertEquals(String.join("", sent), buckets.readString("everything-backup", keys.get(0)),
        "the records as sent, back to back, under the default yyyy/MM/dd/HH/ prefix: " + keys);
    assertTrue(keys.get(0).matches("\\d{4}/\\d{2}/\\d{2}/\\d{2}/everything-1-.*"), keys.get(0));
    awaitMetric("firehose_BackupToS3_Records_total", "everything", 10);
  }

  private void awaitMetric(String name, String deliveryStream, double expected) throws InterruptedException {
    Poll.until(name + " reaching " + expected, () -> metric(name, deliveryStream), v -> v == expected);
  }
}
