package io.millrace.api.codec;

import io.millrace.error.KinesisException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * Kinesis's reading of a base64 blob in JSON, with its messages: the length must be a multiple of 4, every character
 * from the alphabet ({@code =} only as the last one or two), and the bits a padded group leaves over must be zero.
 * Well-formed text, nearly all of it, takes the JDK's decoder (straight from the request's bytes: this runs for every
 * record put) and one look at the last group; only text the decoder refuses is scanned character by character, to
 * name the first offending one as Kinesis does. Stateless.
 */
final class Base64Check {

  private Base64Check() {}

  /** The bytes {@code bytes[offset, offset + length)} (ASCII text) encode, or a SerializationException. */
  static byte[] decode(byte[] bytes, int offset, int length) {
    byte[] decoded = null;
    if (length % 4 == 0) {
      try {
        ByteBuffer out = Base64.getDecoder().decode(ByteBuffer.wrap(bytes, offset, length));
        decoded = out.remaining() == out.array().length ? out.array() : Arrays.copyOf(out.array(), out.remaining());
      } catch (IllegalArgumentException e) {
        decoded = null;
      }
    }
    if (decoded == null || length > 0 && unusedBitsSet(bytes[offset + length - 1], bytes[offset + length - 2],
        bytes[offset + length - 3])) {
      return decode(new String(bytes, offset, length, StandardCharsets.UTF_8)); // refused, in Kinesis's words
    }
    return decoded;
  }

  /** Whether the last group ({@code ..c2 c1 c0}) is padded and leaves bits over that are not zero. */
  private static boolean unusedBitsSet(byte c0, byte c1, byte c2) {
    if (c0 != '=') {
      return false;
    }
    return c1 == '=' ? (value((char) c2) & 0b1111) != 0 : (value((char) c1) & 0b11) != 0;
  }

  /** The bytes {@code text} encodes, or a SerializationException in Kinesis's words. */
  static byte[] decode(String text) {
    if (text.length() % 4 != 0) {
      throw refused(text, "Base64 encoded length is expected a multiple of 4 bytes but found: " + text.length());
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw refused(text, firstBadCharacter(text));
    }
    int pads = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    if (pads > 0) {
      int last = value(text.charAt(text.length() - pads - 1));
      int unusedBits = pads == 1 ? 0b11 : 0b1111;
      if ((last & unusedBits) != 0) {
        throw refused(text, "Invalid last non-pad Base64 character dectected"); // sic: Kinesis's spelling
      }
    }
    return bytes;
  }

  /** Why the decoder refused {@code text}: its first character outside the alphabet or out of place. */
  private static String firstBadCharacter(String text) {
    int pads = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    int dataChars = text.length() - pads;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '=' ? i < dataChars : value(c) < 0) {
        return "Invalid Base64 character: '" + c + "'";
      }
    }
    return "Invalid Base64 text"; // not reached: the decoder refuses only what the scan finds
  }

  private static int value(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  }

  private static KinesisException refused(String text, String why) {
    String shown = text.length() <= 64 ? text : text.substring(0, 64) + "...";
    return new KinesisException.Serialization("'" + shown + "' can not be converted to a Blob: " + why);
  }
}
