package io.millrace.fanout.eventstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.millrace.fanout.eventstream.EventStreamCodec.MalformedMessageException;
import io.millrace.fanout.eventstream.EventStreamCodec.Message;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class EventStreamCodecTest {

  @Property(tries = 300)
  void a_message_decodes_to_what_was_encoded(@ForAll("messages") Message message) {
    assertEquals(message, EventStreamCodec.decode(EventStreamCodec.encode(message)));
  }

  @Property(tries = 300)
  void any_corrupted_byte_is_detected(@ForAll("messages") Message message, @ForAll @IntRange(min = 0,
      max = Integer.MAX_VALUE) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] bytes = EventStreamCodec.encode(message);
    bytes[where % bytes.length] ^= (byte) flip;
    assertThrows(MalformedMessageException.class, () -> EventStreamCodec.decode(bytes));
  }

  @Property(tries = 200)
  void the_aws_sdk_decoder_reads_what_we_encode(@ForAll("messages") Message message) {
    software.amazon.awssdk.eventstream.Message sdk =
        software.amazon.awssdk.eventstream.Message.decode(ByteBuffer.wrap(EventStreamCodec.encode(message)));
    assertArrayEquals(message.payload(), sdk.getPayload());
    assertEquals(message.headers().keySet(), sdk.getHeaders().keySet());
    message.headers().forEach((name, value) -> {
      if (value instanceof String s) {
        assertEquals(s, sdk.getHeaders().get(name).getString());
      }
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

  @Provide
  Arbitrary<Message> messages() {
    Arbitrary<Object> values = Arbitraries.oneOf(
        Arbitraries.of(Boolean.TRUE, Boolean.FALSE),
        Arbitraries.bytes().map(b -> (Object) b),
        Arbitraries.shorts().map(s -> (Object) s),
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40).map(b -> (Object) b),
        Arbitraries.strings().ofMinLength(1).ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.longs().between(-1_000_000_000_000L, 10_000_000_000_000L).map(l -> (Object) Instant.ofEpochMilli(l)),
        Arbitraries.longs().tuple2().map(t -> (Object) new UUID(t.get1(), t.get2())));
    Arbitrary<Map<String, Object>> headers = Arbitraries.maps(
        Arbitraries.strings().alpha().numeric().withChars(":-").ofMinLength(1).ofMaxLength(30), values)
        .ofMaxSize(6).map(LinkedHashMap::new);
    Arbitrary<byte[]> payloads = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    return Combinators.combine(headers, payloads).as(Message::new);
  }
}
