package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.FirehoseConfig.HttpEndpointConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.HttpEndpointRequestConfiguration;
import io.millrace.firehose.HttpEndpointWriter.StagedRequest;
import io.millrace.testing.MutableClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpEndpointWriterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path staging;

  private final MutableClock clock = new MutableClock();

  static HttpEndpointDestinationConfiguration destination(String contentEncoding) {
    return new HttpEndpointDestinationConfiguration(new HttpEndpointConfiguration("http://127.0.0.1/", "test", null),
        null, null, new HttpEndpointRequestConfiguration(contentEncoding, List.of()), null, null, null, null, null,
        null);
  }

  private static FirehoseRecord record(String data, long arrivalMillis) {
    return new FirehoseRecord(data.getBytes(StandardCharsets.UTF_8), arrivalMillis);
  }

  /** Records "r<n>" arriving at n, from n = firstArrival. */
  private static List<FirehoseRecord> numbered(int count, long firstArrival) {
    List<FirehoseRecord> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(record("r" + (firstArrival + i), firstArrival + i));
    }
    return out;
  }

  private static byte[] body(StagedRequest r) throws IOException {
    byte[] bytes = Files.readAllBytes(r.file());
    if (!r.gzip()) {
      return bytes;
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(r.file()))) {
      return in.readAllBytes();
    }
  }

  private static List<FirehoseRecord> readBack(StagedRequest r) throws IOException {
    List<FirehoseRecord> out = new ArrayList<>();
    HttpEndpointWriter.readRecords(r, out::add);
    return out;
  }

  private long filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  @Test
  void a_request_body_is_firehose_json_with_every_record_in_base64() throws IOException {
    long now = clock.millis();
    List<StagedRequest> staged;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b1", clock)) {
      writer.add(List.of(record("hello\n", 1000), record("", 1001)));
      writer.add(List.of(new FirehoseRecord(new byte[] {(byte) 0xff, 0x00, (byte) 0xfb}, 1002)));
      staged = writer.finish();
    }
    assertEquals(1, staged.size());
    StagedRequest r = staged.get(0);
    String expected = "{\"requestId\":\"" + r.requestId() + "\",\"timestamp\":" + now + ",\"records\":["
        + "{\"data\":\"" + Base64.getEncoder().encodeToString("hello\n".getBytes(StandardCharsets.UTF_8)) + "\"},"
        + "{\"data\":\"\"},"
        + "{\"data\":\"" + Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, 0x00, (byte) 0xfb}) + "\"}]}";
    assertEquals(expected, new String(Files.readAllBytes(r.file()), StandardCharsets.UTF_8));
    assertEquals(UUID.fromString(r.requestId()).toString(), r.requestId());
    assertEquals(now, r.timestampMillis());
    assertEquals(3, r.records());
    assertEquals(9, r.dataBytes());
    assertEquals(Files.size(r.file()), r.bodyBytes());
    assertFalse(r.gzip());
    assertEquals(1000, r.oldestArrivalMillis());
    assertEquals(1002, r.newestArrivalMillis());
  }

  @Test
  void a_gzip_destination_gets_a_gzip_body_that_decompresses_to_the_same_json() throws IOException {
    StagedRequest plain;
    StagedRequest gzip;
    List<FirehoseRecord> records = numbered(50, 5000);
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "plain", clock)) {
      writer.add(records);
      plain = writer.finish().get(0);
    }
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("GZIP"), staging, "gzip", clock)) {
      writer.add(records);
      gzip = writer.finish().get(0);
    }
    assertTrue(gzip.gzip());
    byte[] raw = Files.readAllBytes(gzip.file());
    assertEquals((byte) 0x1f, raw[0]);
    assertEquals((byte) 0x8b, raw[1]);
    assertEquals(raw.length, gzip.bodyBytes());
    String expected = new String(body(plain), StandardCharsets.UTF_8).replace(plain.requestId(), gzip.requestId());
    assertEquals(expected, new String(body(gzip), StandardCharsets.UTF_8));
  }

  @Test
  void no_content_encoding_means_an_uncompressed_body() throws IOException {
    HttpEndpointDestinationConfiguration none = new HttpEndpointDestinationConfiguration(
        new HttpEndpointConfiguration("http://127.0.0.1/", null, null), null, null, null, null, null, null, null, null,
        null);
    try (HttpEndpointWriter writer = new HttpEndpointWriter(none, staging, "b", clock)) {
      writer.add(List.of(record("x", 1)));
      assertFalse(writer.finish().get(0).gzip());
    }
  }

  @Test
  void past_ten_thousand_records_the_batch_goes_on_in_a_new_request_with_its_own_id() throws IOException {
    List<StagedRequest> staged;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("GZIP"), staging, "big", clock)) {
      writer.add(numbered(7_000, 0));
      writer.add(numbered(13_001, 7_000));
      staged = writer.finish();
    }
    assertEquals(List.of(10_000, 10_000, 1), staged.stream().map(StagedRequest::records).toList());
    assertEquals(3, staged.stream().map(StagedRequest::requestId).distinct().count());
    long next = 0;
    for (StagedRequest r : staged) {
      JsonNode body = JSON.readTree(body(r));
      assertEquals(r.requestId(), body.get("requestId").asText());
      assertEquals(r.records(), body.get("records").size());
      for (JsonNode record : body.get("records")) {
        assertEquals("r" + next++, new String(record.get("data").binaryValue(), StandardCharsets.UTF_8));
      }
      assertEquals(r.oldestArrivalMillis() + r.records() - 1, r.newestArrivalMillis());
    }
    assertEquals(20_001, next);
  }

  @Test
  void exactly_ten_thousand_records_make_one_request() throws IOException {
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock)) {
      writer.add(numbered(10_000, 0));
      assertEquals(List.of(10_000), writer.finish().stream().map(StagedRequest::records).toList());
    }
  }

  @Test
  void a_request_also_ends_before_its_data_would_pass_the_byte_limit() throws IOException {
    List<StagedRequest> staged;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock, 100, 10)) {
      writer.add(List.of(record("1234", 1), record("5678", 2), record("90", 3), record("x", 4),
          record("0123456789ABC", 5)));
      staged = writer.finish();
    }
    assertEquals(List.of(3, 1, 1), staged.stream().map(StagedRequest::records).toList());
    assertEquals(List.of(10L, 1L, 13L), staged.stream().map(StagedRequest::dataBytes).toList());
  }

  @Test
  void the_request_id_and_timestamp_are_fixed_when_the_request_is_started() throws IOException {
    long started = clock.millis();
    StagedRequest r;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock)) {
      writer.add(List.of(record("a", 1)));
      clock.advance(Duration.ofMinutes(5));
      writer.add(List.of(record("b", 2)));
      r = writer.finish().get(0);
    }
    assertEquals(started, r.timestampMillis());
    byte[] first = body(r);
    byte[] again = body(r);
    assertArrayEquals(first, again);
    JsonNode json = JSON.readTree(first);
    assertEquals(r.requestId(), json.get("requestId").asText());
    assertEquals(started, json.get("timestamp").asLong());
  }

  @Test
  void two_writers_never_share_a_request_id() throws IOException {
    StagedRequest a;
    StagedRequest b;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "a", clock)) {
      writer.add(List.of(record("x", 1)));
      a = writer.finish().get(0);
    }
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock)) {
      writer.add(List.of(record("x", 1)));
      b = writer.finish().get(0);
    }
    assertNotEquals(a.requestId(), b.requestId());
  }

  @Test
  void finishing_without_records_stages_nothing() throws IOException {
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock)) {
      writer.add(List.of());
      assertEquals(List.of(), writer.finish());
    }
    assertEquals(0, filesIn(staging));
  }

  @Test
  void close_deletes_every_request_of_an_unfinished_batch() throws IOException {
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("GZIP"), staging, "b", clock)) {
      writer.add(numbered(10_001, 0));
      assertEquals(4, filesIn(staging), "two bodies and their arrival files");
    }
    assertEquals(0, filesIn(staging));
  }

  @Test
  void close_after_finish_leaves_the_staged_requests_to_the_caller() throws IOException {
    List<StagedRequest> staged;
    try (HttpEndpointWriter writer = new HttpEndpointWriter(destination("NONE"), staging, "b", clock)) {
      writer.add(numbered(3, 0));
      staged = writer.finish();
    }
    assertTrue(Files.exists(staged.get(0).file()));
    assertTrue(Files.exists(staged.get(0).arrivals()));
    staged.get(0).delete();
    assertEquals(0, filesIn(staging));
  }

  @Test
  void records_read_back_are_the_ones_staged_with_their_arrival_times() throws IOException {
    for (String encoding : List.of("NONE", "GZIP")) {
      List<FirehoseRecord> records = List.of(record("one", 10), record("", 11),
          new FirehoseRecord(new byte[] {0, 1, 2, (byte) 0xfe}, 15));
      StagedRequest r;
      try (HttpEndpointWriter writer = new HttpEndpointWriter(destination(encoding), staging, encoding, clock)) {
        writer.add(records);
        r = writer.finish().get(0);
      }
      List<FirehoseRecord> back = readBack(r);
      assertEquals(records.size(), back.size(), encoding);
      for (int i = 0; i < records.size(); i++) {
        assertArrayEquals(records.get(i).data(), back.get(i).data(), encoding);
        assertEquals(records.get(i).arrivalMillis(), back.get(i).arrivalMillis(), encoding);
      }
    }
  }
}
