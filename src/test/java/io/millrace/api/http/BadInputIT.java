package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Malformed, oversized, unauthenticated and otherwise wrong requests: each gets its AWS error type (in the body's
 * {@code __type} and the {@code x-amzn-ErrorType} header) and status (400, 413 for an oversized body), never a 500,
 * and the server keeps serving.
 */
class BadInputIT {

  private static final long MAX_REQUEST_BYTES = 2 * 1024 * 1024;
  private static final String JSON = "application/x-amz-json-1.1";
  private static final String CBOR = "application/x-amz-cbor-1.1";
  private static final String AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesis/"
      + "aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef";
  private static final String STREAM = "bad-input";
  private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
  private static final ObjectMapper CBOR_MAPPER = new CBORMapper();

  private static TestServer server;
  private static KinesisClient kinesis;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("maxRequestBytes", String.valueOf(MAX_REQUEST_BYTES)));
    kinesis = KinesisClients.kinesis(server.endpoint());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
        .build();
    kinesis.createStream(b -> b.streamName(STREAM).shardCount(2));
  }

  @AfterAll
  static void stop() {
    if (kinesis != null) {
      kinesis.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** After every bad request the server still answers a good one. */
  @AfterEach
  void server_still_serves() throws Exception {
    assertTrue(kinesis.listStreams().streamNames().contains(STREAM));
    Answer answer = call("ListStreams", JSON, "{}".getBytes(StandardCharsets.UTF_8), Map.of());
    assertEquals(200, answer.status(), answer::describe);
  }

  @Test
  void malformed_json_is_a_serialization_exception() throws Exception {
    for (String body : List.of("{\"StreamName\":\"s\",", "{", "not json", "{\"StreamName\":\"s\"}}", "[]", "null",
        "\"a string\"", "{\"StreamName\":\"s\"} trailing")) {
      assertError(call("DescribeStreamSummary", JSON, utf8(body), Map.of()), 400, "SerializationException");
    }
  }

  @Test
  void malformed_cbor_is_a_serialization_exception() throws Exception {
    byte[] truncated = {(byte) 0xBF, 0x6A, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x61};
    byte[] reservedInitialByte = {0x1C};
    byte[] unterminatedIndefiniteMap = {(byte) 0xBF};
    byte[] definiteMapMissingAPair = {(byte) 0xA2, 0x6A, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x61, 's'};
    for (byte[] body : List.of(truncated, reservedInitialByte, unterminatedIndefiniteMap, definiteMapMissingAPair,
        utf8("{\"StreamName\":\"s\"}"))) {
      Answer answer = call("DescribeStreamSummary", CBOR, body, Map.of());
      assertError(answer, 400, "SerializationException");
      assertEquals(CBOR, answer.contentType(), "a CBOR request gets a CBOR error");
    }
  }

  @Test
  void a_member_of_the_wrong_type_is_a_serialization_exception_in_json_and_cbor() throws Exception {
    List<Map<String, Object>> bodies = List.of(
        Map.of("StreamName", "typed", "ShardCount", "2"),
        Map.of("StreamName", Map.of("a", 1), "ShardCount", 1),
        Map.of("StreamName", List.of("a"), "ShardCount", 1),
        Map.of("StreamName", 12, "ShardCount", 1),
        Map.of("StreamName", "typed", "ShardCount", true));
    for (Map<String, Object> body : bodies) {
      assertError(call("CreateStream", JSON, JSON_MAPPER.writeValueAsBytes(body), Map.of()), 400,
          "SerializationException");
      assertError(call("CreateStream", CBOR, CBOR_MAPPER.writeValueAsBytes(body), Map.of()), 400,
          "SerializationException");
    }
    Map<String, Object> recordsNotAList = Map.of("StreamName", STREAM, "Records", Map.of("Data", "aGk="));
    assertError(call("PutRecords", JSON, JSON_MAPPER.writeValueAsBytes(recordsNotAList), Map.of()), 400,
        "SerializationException");
    Map<String, Object> dataNotBase64 = Map.of("StreamName", STREAM, "PartitionKey", "a", "Data", "not base64!");
    assertError(call("PutRecord", JSON, JSON_MAPPER.writeValueAsBytes(dataNotBase64), Map.of()), 400,
        "SerializationException");
  }

  @Test
  void a_fraction_for_an_integer_member_is_truncated_as_kinesis_reads_it() throws Exception {
    byte[] json = utf8("{\"StreamName\":\"truncated-json\",\"ShardCount\":2.9}");
    assertEquals(200, call("CreateStream", JSON, json, Map.of()).status());
    byte[] cbor = CBOR_MAPPER.writeValueAsBytes(Map.of("StreamName", "truncated-cbor", "ShardCount", 3.5));
    assertEquals(200, call("CreateStream", CBOR, cbor, Map.of()).status());
    assertEquals(2, kinesis.describeStreamSummary(r -> r.streamName("truncated-json")).streamDescriptionSummary()
        .openShardCount());
    assertEquals(3, kinesis.describeStreamSummary(r -> r.streamName("truncated-cbor")).streamDescriptionSummary()
        .openShardCount());
  }

  @Test
  void a_missing_required_member_is_a_validation_exception_in_aws_wording() throws Exception {
    String expected = "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: "
        + "Member must not be null";
    assertEquals(expected, assertError(call("CreateStream", JSON, utf8("{\"ShardCount\":1}"), Map.of()), 400,
        "ValidationException"));
    assertEquals(expected, assertError(call("CreateStream", CBOR,
        CBOR_MAPPER.writeValueAsBytes(Map.of("ShardCount", 1)), Map.of()), 400, "ValidationException"));
    String twoMissing = assertError(call("PutRecord", JSON, utf8("{\"StreamName\":\"" + STREAM + "\"}"), Map.of()),
        400, "ValidationException");
    assertTrue(twoMissing.startsWith("2 validation errors detected: "), twoMissing);
    assertTrue(twoMissing.contains("Value null at 'partitionKey' failed to satisfy constraint: Member must not be "
        + "null"), twoMissing);
  }

  @Test
  void an_oversized_record_is_refused_with_an_invalid_argument() throws Exception {
    byte[] data = new byte[1024 * 1024 + 1];
    Map<String, Object> body = Map.of("StreamName", STREAM, "PartitionKey", "a", "Data", data);
    assertError(call("PutRecord", JSON, JSON_MAPPER.writeValueAsBytes(body), Map.of()), 400,
        "InvalidArgumentException");
    assertError(call("PutRecord", CBOR, CBOR_MAPPER.writeValueAsBytes(body), Map.of()), 400,
        "InvalidArgumentException");
    assertThrows(InvalidArgumentException.class, () -> kinesis.putRecord(b -> b.streamName(STREAM)
        .partitionKey("a").data(SdkBytes.fromByteArray(data))));
  }

  @Test
  void five_hundred_and_one_records_are_a_validation_exception() throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      records.add(Map.of("PartitionKey", "k" + i, "Data", "aGk="));
    }
    String message = assertError(call("PutRecords", JSON, JSON_MAPPER.writeValueAsBytes(
        Map.of("StreamName", STREAM, "Records", records)), Map.of()), 400, "ValidationException");
    assertTrue(message.startsWith("1 validation error detected: Value '"), message);
    assertTrue(message.endsWith("' at 'records' failed to satisfy constraint: Member must have length less than or "
        + "equal to 500"), message);
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      entries.add(PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromUtf8String("x")).build());
    }
    KinesisException e = assertThrows(KinesisException.class, () -> kinesis.putRecords(b -> b.streamName(STREAM)
        .records(entries)));
    assertEquals("ValidationException", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
  }

  @Test
  void an_unknown_stream_is_a_resource_not_found() throws Exception {
    String message = assertError(call("PutRecord", JSON,
        utf8("{\"StreamName\":\"nope\",\"PartitionKey\":\"a\",\"Data\":\"aGk=\"}"), Map.of()), 400,
        "ResourceNotFoundException");
    assertEquals("Stream nope under account 000000000000 not found.", message);
    assertThrows(ResourceNotFoundException.class, () -> kinesis.describeStreamSummary(b -> b.streamName("nope")));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.getShardIterator(b -> b.streamName("nope")
        .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.LATEST)));
  }

  @Test
  void a_garbage_or_tampered_iterator_is_an_invalid_shard_iterator() throws Exception {
    for (String garbage : List.of("garbage", "AAAA", "x".repeat(512), "")) {
      String body = JSON_MAPPER.writeValueAsString(Map.of("ShardIterator", garbage));
      Answer answer = call("GetRecords", JSON, utf8(body), Map.of());
      assertNotEquals(500, answer.status(), answer::describe);
      assertTrue(answer.status() == 400, answer::describe);
    }
    assertEquals("Invalid ShardIterator.", assertError(call("GetRecords", JSON,
        utf8("{\"ShardIterator\":\"garbage\"}"), Map.of()), 400, "InvalidArgumentException"));

    String real = kinesis.getShardIterator(b -> b.streamName(STREAM).shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    assertEquals(200, call("GetRecords", JSON, JSON_MAPPER.writeValueAsBytes(Map.of("ShardIterator", real)),
        Map.of()).status());
    int tampered = 0;
    for (int position = 0; position < real.length(); position += Math.max(1, real.length() / 16)) {
      char c = real.charAt(position);
      if (c == '=') {
        continue;
      }
      char flipped = c == 'A' ? 'B' : 'A';
      String bad = real.substring(0, position) + flipped + real.substring(position + 1);
      String message = assertError(call("GetRecords", JSON, JSON_MAPPER.writeValueAsBytes(
          Map.of("ShardIterator", bad)), Map.of()), 400, "InvalidArgumentException");
      assertEquals("Invalid ShardIterator.", message, "flipped position " + position);
      tampered++;
    }
    assertTrue(tampered >= 8, "tried " + tampered + " tampered iterators");
  }

  @Test
  void a_malformed_sequence_number_is_refused() throws Exception {
    for (String sequence : List.of("abc", "-1", "01", "1.5", "1".repeat(130), "")) {
      String body = JSON_MAPPER.writeValueAsString(Map.of("StreamName", STREAM, "ShardId", "shardId-000000000000",
          "ShardIteratorType", "AT_SEQUENCE_NUMBER", "StartingSequenceNumber", sequence));
      assertError(call("GetShardIterator", JSON, utf8(body), Map.of()), 400, "ValidationException");
    }
    String notALayout = BigInteger.TWO.pow(186).toString(); // no sequence number Kinesis issues is this large
    String body = JSON_MAPPER.writeValueAsString(Map.of("StreamName", STREAM, "ShardId", "shardId-000000000000",
        "ShardIteratorType", "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber", notALayout));
    assertEquals("StartingSequenceNumber " + notALayout + " used in GetShardIterator on shard shardId-000000000000 in "
        + "stream " + STREAM + " under account 000000000000 is invalid.", assertError(call("GetShardIterator", JSON,
        utf8(body), Map.of()), 400, "InvalidArgumentException"));
  }

  @Test
  void an_explicit_hash_key_of_two_to_the_128_is_an_invalid_argument() throws Exception {
    String twoTo128 = BigInteger.TWO.pow(128).toString();
    String body = JSON_MAPPER.writeValueAsString(Map.of("StreamName", STREAM, "PartitionKey", "a", "Data", "aGk=",
        "ExplicitHashKey", twoTo128));
    assertEquals("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
        + twoTo128, assertError(call("PutRecord", JSON, utf8(body), Map.of()), 400, "InvalidArgumentException"));
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> kinesis.putRecord(b -> b
        .streamName(STREAM).partitionKey("a").explicitHashKey(twoTo128).data(SdkBytes.fromUtf8String("x"))));
    assertEquals(400, e.statusCode());
    String max = BigInteger.TWO.pow(128).subtract(BigInteger.ONE).toString();
    assertEquals("shardId-000000000001", kinesis.putRecord(b -> b.streamName(STREAM).partitionKey("a")
        .explicitHashKey(max).data(SdkBytes.fromUtf8String("x"))).shardId());
  }

  @Test
  void a_garbage_next_token_for_list_shards_is_refused() throws Exception {
    for (String token : List.of("garbage", "AAAAAAAAAAAAAAAAAAAA", "x".repeat(1000))) {
      Answer answer = call("ListShards", JSON, JSON_MAPPER.writeValueAsBytes(Map.of("NextToken", token)), Map.of());
      String type = errorType(answer);
      assertTrue(type.equals("InvalidArgumentException") || type.equals("ExpiredNextTokenException")
          || type.equals("ValidationException"), answer::describe);
      assertEquals(400, answer.status(), answer::describe);
    }
    assertEquals("Invalid NextToken.", assertError(call("ListShards", JSON, utf8("{\"NextToken\":\"garbage\"}"),
        Map.of()), 400, "InvalidArgumentException"));
  }

  @Test
  void a_body_over_max_request_bytes_is_413_by_content_length_and_the_connection_is_closed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5000);
      String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + JSON + "\r\nX-Amz-Target: "
          + "Kinesis_20131202.PutRecord\r\nAuthorization: " + AUTHORIZATION + "\r\nX-Amz-Date: 20260101T000000Z\r\n"
          + "Content-Length: " + (MAX_REQUEST_BYTES + 1) + "\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(utf8(head));
      out.flush();
      String response = readHead(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 413"), response);
      assertTrue(response.toLowerCase().contains("x-amzn-errortype: requestentitytoolargeexception"), response);
      // The unread body is never read: the server closes the connection after answering.
      InputStream in = socket.getInputStream();
      int rest = 0;
      while (rest < 64 * 1024 && in.read() >= 0) {
        rest++;
      }
      assertTrue(rest < 64 * 1024, "the server should close the connection after the 413");
    }
  }

  @Test
  void a_streamed_body_over_max_request_bytes_is_413() throws Exception {
    byte[] big = new byte[(int) MAX_REQUEST_BYTES + 64 * 1024];
    HttpRequest request = signed("PutRecord", JSON)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertError(new Answer(response), 413, "RequestEntityTooLargeException");
  }

  @Test
  void a_body_just_under_max_request_bytes_is_read() throws Exception {
    byte[] padding = new byte[(int) MAX_REQUEST_BYTES - 1024];
    java.util.Arrays.fill(padding, (byte) ' ');
    byte[] body = ("{\"StreamName\":\"nope\"}" + new String(padding, StandardCharsets.US_ASCII))
        .getBytes(StandardCharsets.US_ASCII);
    assertError(call("DescribeStreamSummary", JSON, body, Map.of()), 400, "ResourceNotFoundException");
  }

  @Test
  void an_unknown_or_missing_target_is_an_unknown_operation() throws Exception {
    for (String target : List.of("Kinesis_20131202.Nope", "Kinesis_20131202.", "Firehose_20150804.Nope",
        "KinesisAnalytics_20150814.ListApplications", "nonsense")) {
      assertError(call(null, JSON, utf8("{}"), Map.of("X-Amz-Target", target)), 400, "UnknownOperationException");
    }
    HttpRequest noTarget = HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(10))
        .header("Content-Type", JSON).header("Authorization", AUTHORIZATION)
        .header("X-Amz-Date", "20260101T000000Z").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    assertError(new Answer(http.send(noTarget, HttpResponse.BodyHandlers.ofByteArray())), 400,
        "UnknownOperationException");
  }

  @Test
  void a_missing_authorization_header_is_a_missing_authentication_token() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(10))
        .header("Content-Type", JSON).header("X-Amz-Target", "Kinesis_20131202.ListStreams")
        .header("X-Amz-Date", "20260101T000000Z").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    assertEquals("Missing Authentication Token", assertError(new Answer(http.send(request,
        HttpResponse.BodyHandlers.ofByteArray())), 400, "MissingAuthenticationTokenException"));
  }

  @Test
  void an_authorization_header_without_signature_is_an_incomplete_signature() throws Exception {
    String noSignature = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesis/aws4_request, "
        + "SignedHeaders=host";
    String message = assertError(call("ListStreams", JSON, utf8("{}"), Map.of("Authorization", noSignature)), 400,
        "IncompleteSignatureException");
    assertTrue(message.contains("Authorization header requires 'Signature' parameter."), message);
    assertTrue(message.endsWith("Authorization=" + noSignature), message);
  }

  @Test
  void an_empty_body_is_a_serialization_exception() throws Exception {
    assertError(call("ListStreams", JSON, new byte[0], Map.of()), 400, "SerializationException");
    assertError(call("PutRecord", CBOR, new byte[0], Map.of()), 400, "SerializationException");
  }

  @Test
  void an_h2c_upgrade_is_declined_and_the_request_and_the_next_are_answered_over_http_1_1() throws Exception {
    // RFC 9113 deprecated the upgrade; the JDK's client, which tries it, misreads large responses after a 101.
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5000);
      byte[] body = utf8("{\"StreamName\":\"" + STREAM + "\"}");
      String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
          + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Type: " + JSON + "\r\nX-Amz-Target: "
          + "Kinesis_20131202.DescribeStreamSummary\r\nAuthorization: " + AUTHORIZATION
          + "\r\nX-Amz-Date: 20260101T000000Z\r\nContent-Length: " + body.length + "\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      for (int i = 0; i < 2; i++) { // the head in two pieces, as slow clients send it
        out.write(utf8(head.substring(0, 40)));
        out.flush();
        out.write(utf8(head.substring(40)));
        out.write(body);
        out.flush();
        InputStream in = socket.getInputStream();
        String answer = readHead(in);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        int length = Integer.parseInt(answer.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
            .findFirst().orElseThrow().substring("content-length:".length()).trim());
        assertEquals(STREAM, JSON_MAPPER.readTree(in.readNBytes(length)).path("StreamDescriptionSummary")
            .path("StreamName").asText());
      }
    }
  }

  @Test
  void the_jdk_http_client_at_its_defaults_reads_a_large_metrics_page_whole() throws Exception {
    for (int i = 0; i < 5; i++) { // a client of its own each time: each tries the upgrade on its first request
      HttpClient defaults = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(); // HTTP/2 first
      HttpResponse<String> page = defaults.send(HttpRequest.newBuilder(server.endpoint().resolve("/metrics"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode());
      assertEquals(HttpClient.Version.HTTP_1_1, page.version(), "the upgrade declined");
      assertTrue(page.body().length() > 16 * 1024, "more than an HTTP/2 frame");
      assertTrue(page.body().contains("\nmillrace_subscriptions ") && page.body().endsWith("\n"), "a whole page");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** A response: status, headers, body. */
  record Answer(int status, Map<String, List<String>> headers, byte[] body) {
    Answer(HttpResponse<byte[]> response) {
      this(response.statusCode(), response.headers().map(), response.body());
    }

    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
          .map(e -> e.getValue().get(0)).orElse(null);
    }

    String contentType() {
      return header("Content-Type");
    }

    JsonNode json() {
      try {
        return (CBOR.equals(contentType()) ? CBOR_MAPPER : JSON_MAPPER).readTree(body);
      } catch (IOException e) {
        throw new AssertionError("unreadable error body: " + describe(), e);
      }
    }

    String describe() {
      String text = CBOR.equals(contentType()) ? "(cbor) " + safeJson() : new String(body, StandardCharsets.UTF_8);
      return status + " " + headers + " " + (text.length() > 500 ? text.substring(0, 500) + "..." : text);
    }

    private String safeJson() {
      try {
        return CBOR_MAPPER.readTree(body).toString();
      } catch (IOException e) {
        return "unreadable";
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static HttpRequest.Builder signed(String action, String contentType) {
    return HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(10))
        .header("Content-Type", contentType).header("X-Amz-Target", "Kinesis_20131202." + action)
        .header("Authorization", AUTHORIZATION).header("X-Amz-Date", "20260101T000000Z");
  }

  /** Sends {@code body} as {@code action} with SigV4-shaped headers; {@code extra} overrides headers. */
  private static Answer call(String action, String contentType, byte[] body, Map<String, String> extra)
      throws IOException, InterruptedException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", contentType);
    if (action != null) {
      headers.put("X-Amz-Target", "Kinesis_20131202." + action);
    }
    headers.put("Authorization", AUTHORIZATION);
    headers.put("X-Amz-Date", "20260101T000000Z");
    headers.putAll(extra);
    HttpRequest.Builder request = HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    return new Answer(http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()));
  }

  private static String errorType(Answer answer) {
    return answer.json().path("__type").asText();
  }

  /**
   * Asserts status, header and body type agree, and returns the message ({@code message} or {@code Message}), or
   * null when there is none.
   */
  private static String assertError(Answer answer, int status, String type) {
    assertNotEquals(500, answer.status(), answer::describe);
    assertEquals(status, answer.status(), answer::describe);
    assertEquals(type, answer.header("x-amzn-ErrorType"), answer::describe);
    JsonNode body = answer.json();
    assertEquals(type, body.path("__type").asText(), answer::describe);
    JsonNode message = body.has("message") ? body.get("message") : body.get("Message");
    return message == null ? null : message.asText();
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 64 * 1024; i++) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      out.append((char) c);
      if (out.length() >= 4 && out.substring(out.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return out.toString();
  }
}
