package io.millrace.fanout.eventstream;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * Encodes and decodes one Amazon event-stream message ({@code application/vnd.amazon.eventstream}), the framing of
 * SubscribeToShard responses. Pure and thread-safe: no state, no I/O.
 *
 * <p><b>Byte layout</b> (integers big-endian):
 * <pre>
 * offset  size             field
 * 0       4                total_length   = 12 + headers_length + payload_length + 4
 * 4       4                headers_length
 * 8       4                prelude_crc    = CRC32 (IEEE, java.util.zip.CRC32) of bytes 0..7
 * 12      headers_length   headers, each: name_len u8 (1..255) | name UTF-8 | type u8 | value
 * ...     payload_length   payload
 * end-4   4                message_crc    = CRC32 of every byte before it (prelude CRC included)
 * </pre>
 * Header value types: 0 true (no value), 1 false (no value), 2 byte (1), 3 short (2), 4 int (4), 5 long (8),
 * 6 byte array (u16 length + bytes), 7 string (u16 length + UTF-8), 8 timestamp (i64 epoch millis), 9 uuid (16).
 * In Java: {@link Boolean}, {@link Byte}, {@link Short}, {@link Integer}, {@link Long}, {@code byte[]},
 * {@link String}, {@link Instant} (millisecond precision), {@link UUID}. Limits, as the AWS SDK decoder enforces:
 * payload at most {@value #MAX_PAYLOAD_BYTES} bytes, headers at most {@value #MAX_HEADERS_BYTES} bytes.
 */
public final class EventStreamCodec {

  public static final int PRELUDE_BYTES = 12;
  public static final int MAX_PAYLOAD_BYTES = 24 * 1024 * 1024;
  public static final int MAX_HEADERS_BYTES = 128 * 1024;

  private EventStreamCodec() {}

  /**
   * One message. Header order is kept (a {@link LinkedHashMap}); names are unique by construction.
   *
   * @param headers header name to value (types as in the class doc)
   * @param payload the payload bytes
   */
  public record Message(Map<String, Object> headers, byte[] payload) {
    public Message {
      headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** A header's value as a string, or null. */
    public String header(String name) {
      Object v = headers.get(name);
      return v == null ? null : v.toString();
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Message m) || !m.headers.keySet().equals(headers.keySet())
          || !Arrays.equals(payload, m.payload)) {
        return false;
      }
      for (Map.Entry<String, Object> e : headers.entrySet()) {
        Object other = m.headers.get(e.getKey());
        if (e.getValue() instanceof byte[] b ? !(other instanceof byte[] ob && Arrays.equals(b, ob))
            : !e.getValue().equals(other)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return headers.keySet().hashCode() * 31 + Arrays.hashCode(payload);
    }
  }

  /** A message that does not decode: a bad CRC, a bad length, an unknown header type. */
  public static final class MalformedMessageException extends RuntimeException {
    public MalformedMessageException(String message) {
      super(message);
    }
  }

  /** Encodes one message. IllegalArgumentException for an unsupported header value or a limit exceeded. */
  public static byte[] encode(Map<String, Object> headers, byte[] payload) {
    byte[] headerBytes = encodeHeaders(headers);
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD_BYTES);
    }
    int total = PRELUDE_BYTES + headerBytes.length + payload.length + 4;
    ByteBuffer out = ByteBuffer.allocate(total);
    out.putInt(total).putInt(headerBytes.length);
    out.putInt((int) crc(out.array(), 0, 8));
    out.put(headerBytes).put(payload);
    out.putInt((int) crc(out.array(), 0, total - 4));
    return out.array();
  }

  public static byte[] encode(Message message) {
    return encode(message.headers(), message.payload());
  }

  private static byte[] encodeHeaders(Map<String, Object> headers) {
    ByteBuffer out = ByteBuffer.allocate(MAX_HEADERS_BYTES);
    try {
      for (Map.Entry<String, Object> h : headers.entrySet()) {
        byte[] name = h.getKey().getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > 255) {
          throw new IllegalArgumentException("header name must be 1..255 bytes: '" + h.getKey() + "'");
        }
        out.put((byte) name.length).put(name);
        Object v = h.getValue();
        if (v instanceof Boolean b) {
          out.put((byte) (b ? 0 : 1));
        } else if (v instanceof Byte b) {
          out.put((byte) 2).put(b);
        } else if (v instanceof Short s) {
          out.put((byte) 3).putShort(s);
        } else if (v instanceof Integer i) {
          out.put((byte) 4).putInt(i);
        } else if (v instanceof Long l) {
          out.put((byte) 5).putLong(l);
        } else if (v instanceof byte[] bytes) {
          out.put((byte) 6).putShort(u16(bytes.length)).put(bytes);
        } else if (v instanceof String s) {
          byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
          out.put((byte) 7).putShort(u16(bytes.length)).put(bytes);
        } else if (v instanceof Instant t) {
          out.put((byte) 8).putLong(t.toEpochMilli());
        } else if (v instanceof UUID u) {
          out.put((byte) 9).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        } else {
          throw new IllegalArgumentException("unsupported header value type for '" + h.getKey() + "': " + v);
        }
      }
    } catch (java.nio.BufferOverflowException e) {
      throw new IllegalArgumentException("headers exceed " + MAX_HEADERS_BYTES + " bytes");
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  private static short u16(int length) {
    if (length > 0xFFFF) {
      throw new IllegalArgumentException("header value of " + length + " bytes exceeds 65535");
    }
    return (short) length;
  }

  /**
   * Decodes exactly one message occupying all of {@code bytes}. {@link MalformedMessageException} for any CRC,
   * length or header defect.
   */
  public static Message decode(byte[] bytes) {
    if (bytes.length < PRELUDE_BYTES + 4) {
      throw new MalformedMessageException("message of " + bytes.length + " bytes is shorter than 16");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    int total = in.getInt();
    int headersLength = in.getInt();
    int preludeCrc = in.getInt();
    if ((int) crc(bytes, 0, 8) != preludeCrc) {
      throw new MalformedMessageException("prelude CRC mismatch");
    }
    if (total != bytes.length) {
      throw new MalformedMessageException("total length " + total + " but " + bytes.length + " bytes given");
    }
    if (headersLength < 0 || headersLength > MAX_HEADERS_BYTES || headersLength > total - PRELUDE_BYTES - 4) {
      throw new MalformedMessageException("bad headers length " + headersLength);
    }
    int messageCrc = ByteBuffer.wrap(bytes, total - 4, 4).getInt();
    if ((int) crc(bytes, 0, total - 4) != messageCrc) {
      throw new MalformedMessageException("message CRC mismatch");
    }
    Map<String, Object> headers = new LinkedHashMap<>();
    ByteBuffer h = ByteBuffer.wrap(bytes, PRELUDE_BYTES, headersLength).slice();
    try {
      while (h.hasRemaining()) {
        int nameLength = h.get() & 0xFF;
        if (nameLength == 0) {
          throw new MalformedMessageException("empty header name");
        }
        String name = new String(take(h, nameLength), StandardCharsets.UTF_8);
        int type = h.get() & 0xFF;
        Object value = switch (type) {
          case 0 -> Boolean.TRUE;
          case 1 -> Boolean.FALSE;
          case 2 -> h.get();
          case 3 -> h.getShort();
          case 4 -> h.getInt();
          case 5 -> h.getLong();
          case 6 -> take(h, h.getShort() & 0xFFFF);
          case 7 -> new String(take(h, h.getShort() & 0xFFFF), StandardCharsets.UTF_8);
          case 8 -> Instant.ofEpochMilli(h.getLong());
          case 9 -> new UUID(h.getLong(), h.getLong());
          default -> throw new MalformedMessageException("unknown header type " + type);
        };
        if (headers.put(name, value) != null) {
          throw new MalformedMessageException("header " + name + " appears twice");
        }
      }
    } catch (BufferUnderflowException e) {
      throw new MalformedMessageException("headers end inside a header");
    }
    byte[] payload = Arrays.copyOfRange(bytes, PRELUDE_BYTES + headersLength, total - 4);
    return new Message(headers, payload);
  }

  private static byte[] take(ByteBuffer buf, int n) {
    byte[] b = new byte[n];
    buf.get(b);
    return b;
  }

  private static long crc(byte[] bytes, int offset, int length) {
    CRC32 crc = new CRC32();
    crc.update(bytes, offset, length);
    return crc.getValue();
  }
}
