package io.millrace.fanout.eventstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.millrace.fanout.eventstream.EventStreamCodec.MalformedMessageException;
import io.millrace.fanout.eventstream.EventStreamCodec.Message;
import io.millrace.testing.Gen;
import io.millrace.testing.Property;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventStreamCodecTest {

  private static final String HEADER_NAME_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-";

  @Test
  void a_message_decodes_to_what_was_encoded() {
    Property.forAll(300, EventStreamCodecTest::message,
        message -> assertEquals(message, EventStreamCodec.decode(EventStreamCodec.encode(message))));
  }

  @Test
  void any_corrupted_byte_is_detected() {
    record Input(Message message, int where, int flip) {}
    Property.forAll(300, g -> new Input(message(g), g.intIn(0, Integer.MAX_VALUE), g.intIn(1, 255)), input -> {
      byte[] bytes = EventStreamCodec.encode(input.message());
      bytes[input.where() % bytes.length] ^= (byte) input.flip();
      assertThrows(MalformedMessageException.class, () -> EventStreamCodec.decode(bytes));
    });
  }

  @Test
  void the_aws_sdk_decoder_reads_what_we_encode() {
    Property.forAll(200, EventStreamCodecTest::message, message -> {
      software.amazon.awssdk.eventstream.Message sdk =
          software.amazon.awssdk.eventstream.Message.decode(ByteBuffer.wrap(EventStreamCodec.encode(message)));
      assertArrayEquals(message.payload(), sdk.getPayload());
      assertEquals(message.headers().keySet(), sdk.getHeaders().keySet());
      message.headers().forEach((name, value) -> {
        if (value instanceof String s) {
          assertEquals(s, sdk.getHeaders().get(name).getString());
        }
      });
    });
  }

  @Test
  void an_initial_response_event_has_the_layout_of_the_spec() {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(":message-type", "event");
    headers.put(":event-type", "initial-response");
    headers.put(":content-type", "application/json");
    byte[] bytes = EventStreamCodec.encode(headers, "{}".getBytes(StandardCharsets.UTF_8));
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int headersLength = (1 + 13 + 1 + 2 + 5) + (1 + 11 + 1 + 2 + 16) + (1 + 13 + 1 + 2 + 16);
    assertEquals(12 + headersLength + 2 + 4, b.getInt(0));
    assertEquals(headersLength, b.getInt(4));
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes, 0, 8);
    assertEquals((int) crc.getValue(), b.getInt(8));
    assertEquals(13, bytes[12]);
    assertEquals(":message-type", new String(bytes, 13, 13, StandardCharsets.UTF_8));
    assertEquals(7, bytes[26]);
  }

  @Test
  void a_truncated_message_is_refused() {
    byte[] bytes = EventStreamCodec.encode(Map.of(":message-type", "event"), new byte[10]);
    assertThrows(MalformedMessageException.class,
        () -> EventStreamCodec.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1)));
  }

  /** Up to 6 headers of every value type, names unique, and a payload of 0..300 bytes. */
  private static Message message(Gen g) {
    int headerCount = g.intIn(0, 6);
    Map<String, Object> headers = new LinkedHashMap<>();
    while (headers.size() < headerCount) {
      headers.put(g.string(1, 30, HEADER_NAME_CHARS), headerValue(g));
    }
    return new Message(headers, g.bytes(0, 300));
  }

  private static Object headerValue(Gen g) {
    return switch (g.intIn(0, 8)) {
      case 0 -> Boolean.valueOf(g.bool());
      case 1 -> Byte.valueOf((byte) g.intIn(Byte.MIN_VALUE, Byte.MAX_VALUE));
      case 2 -> Short.valueOf((short) g.intIn(Short.MIN_VALUE, Short.MAX_VALUE));
      case 3 -> Integer.valueOf(g.anyInt());
      case 4 -> Long.valueOf(g.anyLong());
      case 5 -> g.bytes(1, 40);
      case 6 -> g.string(1, 40);
      case 7 -> Instant.ofEpochMilli(g.longIn(-1_000_000_000_000L, 10_000_000_000_000L));
      default -> new UUID(g.anyLong(), g.anyLong());
    };
  }
}
