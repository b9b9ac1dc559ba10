package io.millrace.api.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.millrace.api.model.Requests.CreateStreamRequest;
import io.millrace.api.model.Requests.GetShardIteratorRequest;
import io.millrace.api.model.Requests.PutRecordRequest;
import io.millrace.api.model.Responses;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MappersTest {

  /** The timestamp protocol.md A.3 shows: 1459799926.480 s = 0x153E2DB26D0 ms. */
  private static final Instant WHEN = Instant.ofEpochMilli(1_459_799_926_480L);

  // ---- JSON ----

  @Test
  void json_writes_timestamps_as_epoch_seconds_with_a_millisecond_fraction() throws Exception {
    String json = Mappers.json().writeValueAsString(record(WHEN));
    assertTrue(json.contains("\"ApproximateArrivalTimestamp\":1459799926.480"), json);
  }

  @Test
  void json_keeps_three_fraction_digits_on_whole_seconds() throws Exception {
    String json = Mappers.json().writeValueAsString(record(Instant.ofEpochSecond(1_459_799_926L)));
    assertTrue(json.contains("\"ApproximateArrivalTimestamp\":1459799926.000"), json);
  }

  @Test
  void json_reads_timestamps_as_int_or_float_seconds() throws Exception {
    assertEquals(Instant.ofEpochSecond(1_459_799_926L),
        Mappers.json().readValue("{\"Timestamp\":1459799926}", GetShardIteratorRequest.class).timestamp());
    assertEquals(WHEN,
        Mappers.json().readValue("{\"Timestamp\":1459799926.48}", GetShardIteratorRequest.class).timestamp());
  }

  @Test
  void json_refuses_timestamps_as_iso_strings() {
    assertThrows(JsonProcessingException.class, () -> Mappers.json()
        .readValue("{\"Timestamp\":\"2016-04-04T20:38:46Z\"}", GetShardIteratorRequest.class));
  }

  @Test
  void json_blobs_are_base64_both_ways() throws Exception {
    PutRecordRequest r = Mappers.json()
        .readValue("{\"StreamName\":\"s\",\"Data\":\"aGk=\",\"PartitionKey\":\"pk\"}", PutRecordRequest.class);
    assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), r.data());
    assertTrue(Mappers.json().writeValueAsString(record(WHEN)).contains("\"Data\":\"aGk=\""));
  }

  @Test
  void a_string_where_a_number_belongs_fails_to_bind() {
    assertThrows(JsonProcessingException.class,
        () -> Mappers.json().readValue("{\"StreamName\":\"s\",\"ShardCount\":\"1\"}", CreateStreamRequest.class));
    assertThrows(JsonProcessingException.class,
        () -> Mappers.json().readValue("{\"StreamName\":\"s\",\"ShardCount\":1.5}", CreateStreamRequest.class));
  }

  @Test
  void a_number_where_a_string_belongs_fails_to_bind() {
    assertThrows(JsonProcessingException.class,
        () -> Mappers.json().readValue("{\"StreamName\":7,\"ShardCount\":1}", CreateStreamRequest.class));
  }

  @Test
  void unknown_members_are_ignored() throws Exception {
    CreateStreamRequest r = Mappers.json()
        .readValue("{\"StreamName\":\"s\",\"ShardCount\":2,\"SomeFutureField\":{\"a\":[1,2]}}", CreateStreamRequest.class);
    assertEquals("s", r.streamName());
    assertEquals(2, r.shardCount());
  }

  @Test
  void null_members_are_left_out_of_the_output() throws Exception {
    String json = Mappers.json().writeValueAsString(new Responses.PutRecordResponse("shardId-000000000000", "49", null));
    assertEquals("{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"49\"}", json);
  }

  @Test
  void members_use_aws_pascal_case_names() throws Exception {
    GetShardIteratorRequest r = Mappers.json().readValue("{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000001\","
        + "\"ShardIteratorType\":\"AT_SEQUENCE_NUMBER\",\"StartingSequenceNumber\":\"1\",\"StreamARN\":\"arn\"}",
        GetShardIteratorRequest.class);
    assertEquals(new GetShardIteratorRequest("s", "shardId-000000000001", "AT_SEQUENCE_NUMBER", "1", null, "arn"), r);
  }

  // ---- CBOR ----

  @Test
  void cbor_writes_timestamps_as_tag_1_and_integer_milliseconds() throws Exception {
    byte[] bytes = Mappers.cbor().writeValueAsBytes(record(WHEN));
    String hex = HexFormat.of().formatHex(bytes);
    String key = HexFormat.of().formatHex("ApproximateArrivalTimestamp".getBytes(StandardCharsets.US_ASCII));
    // text(27) = 0x78 0x1b, then C1 1B 00000153E2DB26D0
    assertTrue(hex.contains("781b" + key + "c11b00000153e2db26d0"), hex);
  }

  @Test
  void cbor_reads_tagged_and_untagged_integer_milliseconds() throws Exception {
    byte[] tagged = cborMap("Timestamp", hex("c11b00000153e2db26d0"));
    byte[] untagged = cborMap("Timestamp", hex("1b00000153e2db26d0"));
    assertEquals(WHEN, Mappers.cbor().readValue(tagged, GetShardIteratorRequest.class).timestamp());
    assertEquals(WHEN, Mappers.cbor().readValue(untagged, GetShardIteratorRequest.class).timestamp());
  }

  @Test
  void cbor_writes_blobs_as_byte_strings() throws Exception {
    String hex = HexFormat.of().formatHex(Mappers.cbor().writeValueAsBytes(record(WHEN)));
    assertTrue(hex.contains("6444617461" + "426869"), hex); // "Data" then bytes(2) 'h' 'i'
  }

  @Test
  void cbor_reads_the_indefinite_length_map_the_aws_sdk_sends() throws Exception {
    // protocol.md A.3: bf 6a "StreamName" 61 "s" 64 "Data" 42 6869 6c "PartitionKey" 62 "pk" ff
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xBF);
    out.write(0x6A);
    out.writeBytes(ascii("StreamName"));
    out.write(0x61);
    out.writeBytes(ascii("s"));
    out.write(0x64);
    out.writeBytes(ascii("Data"));
    out.write(0x42);
    out.writeBytes(ascii("hi"));
    out.write(0x6C);
    out.writeBytes(ascii("PartitionKey"));
    out.write(0x62);
    out.writeBytes(ascii("pk"));
    out.write(0xFF);
    PutRecordRequest r = Mappers.cbor().readValue(out.toByteArray(), PutRecordRequest.class);
    assertEquals("s", r.streamName());
    assertArrayEquals(ascii("hi"), r.data());
    assertEquals("pk", r.partitionKey());
  }

  @Test
  void cbor_accepts_blobs_sent_as_base64_text() throws Exception {
    byte[] body = cborMap("Data", hex("64" + HexFormat.of().formatHex(ascii("aGk="))));
    assertArrayEquals(ascii("hi"), Mappers.cbor().readValue(body, PutRecordRequest.class).data());
  }

  @Test
  void cbor_refuses_a_text_string_where_a_number_belongs() {
    byte[] body = cborMap("ShardCount", hex("61" + "31")); // text "1"
    assertThrows(JsonProcessingException.class, () -> Mappers.cbor().readValue(body, CreateStreamRequest.class));
  }

  @Test
  void cbor_ignores_unknown_members_and_leaves_out_nulls() throws Exception {
    byte[] body = cborMap("Unknown", hex("9f0102ff")); // indefinite array [1, 2]
    assertNull(Mappers.cbor().readValue(body, CreateStreamRequest.class).streamName());
    byte[] out = Mappers.cbor().writeValueAsBytes(new Responses.GetShardIteratorResponse(null));
    assertEquals(0, Mappers.cbor().readTree(out).size(), HexFormat.of().formatHex(out));
  }

  @Test
  void the_mapper_follows_the_content_type() {
    assertSame(Mappers.cbor(), Mappers.of(WireFormat.CBOR));
    assertSame(Mappers.json(), Mappers.of(WireFormat.JSON));
  }

  private static Responses.Record record(Instant when) {
    return new Responses.Record("49590338271490256608559692538361571095921575989136588898", when, ascii("hi"), "pk",
        null);
  }

  /** An indefinite-length map with one member whose value is already encoded. */
  private static byte[] cborMap(String key, byte[] encodedValue) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xBF);
    byte[] k = ascii(key);
    out.write(0x60 + k.length);
    out.writeBytes(k);
    out.writeBytes(encodedValue);
    out.write(0xFF);
    return out.toByteArray();
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
