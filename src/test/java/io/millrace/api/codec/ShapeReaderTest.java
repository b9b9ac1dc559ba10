package io.millrace.api.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.millrace.api.model.Requests.AddTagsToStreamRequest;
import io.millrace.api.model.Requests.CreateStreamRequest;
import io.millrace.api.model.Requests.DeleteStreamRequest;
import io.millrace.api.model.Requests.GetShardIteratorRequest;
import io.millrace.api.model.Requests.ListStreamsRequest;
import io.millrace.api.model.Requests.PutRecordRequest;
import io.millrace.api.model.Requests.PutRecordsRequest;
import io.millrace.error.KinesisException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShapeReaderTest {

  private static <T> T json(String body, Class<T> type) {
    return ShapeReader.read(body.getBytes(StandardCharsets.UTF_8), WireFormat.JSON, type);
  }

  private static String refusal(String body, Class<?> type) {
    KinesisException.Serialization e = assertThrows(KinesisException.Serialization.class, () -> json(body, type));
    return e.getMessage();
  }

  @Test
  void a_body_that_is_not_an_object_is_refused_without_a_message() {
    for (String body : List.of("", "null", "true", "[]", "\"text\"", "12", "{", "{} {}")) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      assertNull(assertThrows(KinesisException.Serialization.class,
          () -> ShapeReader.checkWellFormed(bytes, WireFormat.JSON)).getMessage(), body);
      assertNull(assertThrows(KinesisException.Serialization.class, () -> json(body, DeleteStreamRequest.class))
          .getMessage(), body);
    }
  }

  @Test
  void a_type_mismatch_is_named_as_kinesis_names_it() {
    assertEquals("class java.lang.String can not be converted to an Integer",
        refusal("{\"Limit\":\"23\"}", ListStreamsRequest.class));
    assertEquals("class java.lang.Boolean can not be converted to an Integer",
        refusal("{\"Limit\":true}", ListStreamsRequest.class));
    assertEquals("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
        refusal("{\"StreamName\":12}", DeleteStreamRequest.class));
    assertEquals("Start of structure or map found where not expected.",
        refusal("{\"StreamName\":{}}", DeleteStreamRequest.class));
    assertEquals("Start of list found where not expected", refusal("{\"StreamName\":[]}", DeleteStreamRequest.class));
    assertEquals("Expected list or null", refusal("{\"Records\":\"x\"}", PutRecordsRequest.class));
    assertEquals("Expected null", refusal("{\"Records\":[12]}", PutRecordsRequest.class));
    assertEquals("Expected map or null", refusal("{\"Tags\":\"x\"}", AddTagsToStreamRequest.class));
    assertEquals("'yes' can not be converted to an Boolean",
        refusal("{\"EnforceConsumerDeletion\":\"yes\"}", DeleteStreamRequest.class));
    assertEquals("class java.lang.String can not be converted to milliseconds since epoch",
        refusal("{\"Timestamp\":\"2020-01-01\"}", GetShardIteratorRequest.class));
  }

  @Test
  void the_first_mismatch_in_document_order_is_the_one_reported() {
    assertEquals("class java.lang.Boolean can not be converted to an String",
        refusal("{\"StreamName\":true,\"ShardCount\":\"x\"}", CreateStreamRequest.class));
    assertEquals("class java.lang.String can not be converted to an Integer",
        refusal("{\"ShardCount\":\"x\",\"StreamName\":true}", CreateStreamRequest.class));
  }

  @Test
  void a_blob_must_be_base64_as_kinesis_checks_it() {
    assertEquals("'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes "
        + "but found: 5", refusal("{\"Data\":\"23456\"}", PutRecordRequest.class));
    assertEquals("'=+/=' can not be converted to a Blob: Invalid Base64 character: '='",
        refusal("{\"Data\":\"=+/=\"}", PutRecordRequest.class));
    assertEquals("'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
        refusal("{\"Data\":\"+/+=\"}", PutRecordRequest.class));
    assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), json("{\"Data\":\"aGk=\"}", PutRecordRequest.class).data());
  }

  @Test
  void a_malformed_body_is_named_before_a_type_mismatch_ahead_of_the_fault() {
    assertNull(assertThrows(KinesisException.Serialization.class,
        () -> json("{\"Limit\":\"23\",", ListStreamsRequest.class)).getMessage());
    assertNull(assertThrows(KinesisException.Serialization.class,
        () -> json("{\"Data\":\"!!!!\"} {}", PutRecordRequest.class)).getMessage());
  }

  @Test
  void a_blob_with_json_escapes_or_a_bad_tail_is_read_as_its_text() {
    byte[] data = new byte[300];
    new Random(7).nextBytes(data);
    String base64 = Base64.getEncoder().encodeToString(data);
    assertArrayEquals(data, json("{\"Data\":\"" + base64.replace("/", "\\/") + "\"}", PutRecordRequest.class)
        .data());
    assertArrayEquals(data, json("{\"Data\":\"" + base64 + "\"}", PutRecordRequest.class).data());
    assertEquals("'AB/=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
        refusal("{\"Data\":\"AB\\/=\"}", PutRecordRequest.class));
    assertEquals("'AB==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
        refusal("{\"Data\":\"AB==\"}", PutRecordRequest.class));
    assertEquals("'a\u00e9==' can not be converted to a Blob: Invalid Base64 character: '\u00e9'",
        refusal("{\"Data\":\"a\u00e9==\"}", PutRecordRequest.class));
    assertArrayEquals(new byte[0], json("{\"Data\":\"\"}", PutRecordRequest.class).data());
  }

  @Test
  void a_long_bad_blob_is_cut_in_the_message() {
    String text = "A".repeat(101);
    assertEquals("'" + "A".repeat(64) + "...' can not be converted to a Blob: Base64 encoded length is expected a "
        + "multiple of 4 bytes but found: 101", refusal("{\"Data\":\"" + text + "\"}", PutRecordRequest.class));
  }

  @Test
  void an_integer_member_takes_any_number_truncated_and_clamped() {
    assertEquals(2, json("{\"Limit\":2.9}", ListStreamsRequest.class).limit());
    assertEquals(-2, json("{\"Limit\":-2.9}", ListStreamsRequest.class).limit());
    assertEquals(Integer.MAX_VALUE, json("{\"Limit\":100000000000}", ListStreamsRequest.class).limit());
    assertEquals(Integer.MIN_VALUE, json("{\"Limit\":-100000000000}", ListStreamsRequest.class).limit());
  }

  @Test
  void members_the_shape_does_not_know_are_ignored() {
    assertEquals("s", json("{\"StreamName\":\"s\",\"Whatever\":[1,{}]}", DeleteStreamRequest.class).streamName());
  }

  @Test
  void a_json_timestamp_is_epoch_seconds_and_a_cbor_integer_timestamp_is_epoch_milliseconds() throws Exception {
    Instant when = Instant.ofEpochMilli(1_459_799_926_480L);
    assertEquals(when, json("{\"Timestamp\":1459799926.480}", GetShardIteratorRequest.class).timestamp());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CBORGenerator g = new CBORMapper().getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeFieldName("Timestamp");
      g.writeTag(1);
      g.writeNumber(1_459_799_926_480L);
      g.writeEndObject();
    }
    GetShardIteratorRequest r = ShapeReader.read(out.toByteArray(), WireFormat.CBOR, GetShardIteratorRequest.class);
    assertEquals(when, r.timestamp());
  }
}
