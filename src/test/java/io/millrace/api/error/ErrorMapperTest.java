package io.millrace.api.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.WireFormat;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorMapperTest {

  @Test
  void a_kinesis_error_is_answered_as_it_is_and_not_logged() {
    try (LogCapture log = LogCapture.of(ErrorMapper.class)) {
      ErrorMapper.WireError e = ErrorMapper.map(new KinesisException.ResourceNotFound("Stream s under account 1 not "
          + "found."), "DescribeStream", "req-1");
      assertEquals(ErrorCode.RESOURCE_NOT_FOUND, e.code());
      assertEquals("Stream s under account 1 not found.", e.message());
      assertEquals(List.of(), log.lines());
    }
  }

  @Test
  void a_message_that_repeats_a_malformed_string_of_the_request_is_still_written_in_every_format() throws Exception {
    ErrorMapper.WireError e = ErrorMapper.map(new KinesisException.ResourceNotFound("Consumer arn:\uDC97x:\uD800 "
        + "not found, \uD83D\uDE00 kept"), "SubscribeToShard", "req-2");
    assertEquals("Consumer arn:\uFFFDx:\uFFFD not found, \uD83D\uDE00 kept", e.message());
    for (WireFormat format : WireFormat.values()) {
      JsonNode body = Mappers.of(format).readTree(ErrorMapper.body(e, format));
      assertEquals(e.message(), body.path("message").asText(), format.toString());
    }
  }

  @Test
  void an_unexpected_failure_is_logged_once_with_the_request_id_and_answered_internal_failure_without_internals() {
    try (LogCapture log = LogCapture.of(ErrorMapper.class)) {
      ErrorMapper.WireError e = ErrorMapper.map(new IllegalStateException("java.lang.Secret detail"), "PutRecord",
          "req-42");
      assertEquals(ErrorCode.INTERNAL_FAILURE, e.code());
      assertTrue(e.message().contains("req-42"), e.message());
      assertFalse(e.message().contains("Secret") || e.message().contains("java."), e.message());
      assertEquals(1, log.lines().size(), log.lines().toString());
      assertTrue(log.lines().get(0).contains("req-42") && log.lines().get(0).contains("PutRecord")
          && log.lines().get(0).contains("java.lang.Secret detail"), log.lines().get(0));
    }
  }

  @Test
  void an_error_body_uses_the_message_key_of_its_type_in_json_and_cbor() throws Exception {
    for (WireFormat format : WireFormat.values()) {
      JsonNode serialization = Mappers.of(format).readTree(ErrorMapper.body(
          new ErrorMapper.WireError(ErrorCode.SERIALIZATION, "Expected null"), format));
      assertEquals("SerializationException", serialization.path("__type").asText());
      assertEquals("Expected null", serialization.path("Message").asText());
      JsonNode validation = Mappers.of(format).readTree(ErrorMapper.body(
          new ErrorMapper.WireError(ErrorCode.VALIDATION, "1 validation error detected: x"), format));
      assertEquals("1 validation error detected: x", validation.path("message").asText());
      JsonNode bare = Mappers.of(format).readTree(ErrorMapper.body(
          new ErrorMapper.WireError(ErrorCode.UNKNOWN_OPERATION, null), format));
      assertEquals(1, bare.size(), bare.toString());
    }
  }

  @Test
  void connection_level_answers_are_kinesis_xml_and_coral_envelopes() {
    assertEquals("<UnknownOperationException/>\n", new String(ErrorMapper.xml(
        new ErrorMapper.WireError(ErrorCode.UNKNOWN_OPERATION, null)), StandardCharsets.UTF_8));
    assertEquals("<AccessDeniedException>\n  <Message>a &lt;b&gt; &amp; c</Message>\n</AccessDeniedException>\n",
        new String(ErrorMapper.xml(new ErrorMapper.WireError(ErrorCode.ACCESS_DENIED, "a <b> & c")),
            StandardCharsets.UTF_8));
    assertEquals("{\"Output\":{\"__type\":\"com.amazon.coral.service#SerializationException\"},\"Version\":\"1.0\"}",
        new String(ErrorMapper.coralEnvelope(ErrorCode.SERIALIZATION), StandardCharsets.UTF_8));
  }
}
