package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.Property;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenSignerTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OTHER_SECRET = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
  private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

  private final TokenSigner signer = new TokenSigner(SECRET);

  @Test
  void a_signed_payload_verifies_to_itself() {
    Property.forAll(g -> g.bytes(1, 300),
        payload -> assertArrayEquals(payload, bytes(signer.verify(signer.sign(payload)).orElseThrow())));
  }

  @Test
  void any_single_changed_character_is_rejected() {
    record Input(byte[] payload, int where, int shift) {
      @Override
      public String toString() {
        return "Input[payload=" + Arrays.toString(payload) + ", where=" + where + ", shift=" + shift + "]";
      }
    }
    Property.forAll(g -> new Input(g.bytes(1, 64), g.intIn(0, 10_000), g.intIn(1, 64)), input -> {
      String token = signer.sign(input.payload());
      int i = input.where() % token.length();
      char replaced = BASE64.charAt((BASE64.indexOf(token.charAt(i)) + input.shift()) % BASE64.length());
      String changed = token.substring(0, i) + replaced + token.substring(i + 1);
      assertEquals(Optional.empty(), signer.verify(changed), "accepted " + changed + " for " + token);
    });
  }

  @Test
  void any_single_changed_byte_is_rejected() {
    record Input(byte[] payload, int where, int xor) {
      @Override
      public String toString() {
        return "Input[payload=" + Arrays.toString(payload) + ", where=" + where + ", xor=" + xor + "]";
      }
    }
    Property.forAll(g -> new Input(g.bytes(1, 64), g.intIn(0, 10_000), g.intIn(1, 255)), input -> {
      byte[] raw = Base64.getDecoder().decode(signer.sign(input.payload()));
      raw[input.where() % raw.length] ^= (byte) input.xor();
      assertEquals(Optional.empty(), signer.verify(Base64.getEncoder().encodeToString(raw)));
    });
  }

  @Test
  void a_token_signed_with_another_secret_is_rejected() {
    String token = new TokenSigner(OTHER_SECRET).sign("position 42".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), signer.verify(token));
  }

  @Test
  void malformed_tokens_are_rejected_without_throwing() {
    assertEquals(Optional.empty(), signer.verify(null));
    assertEquals(Optional.empty(), signer.verify(""));
    assertEquals(Optional.empty(), signer.verify("not base64 at all!"));
    assertEquals(Optional.empty(), signer.verify(Base64.getEncoder().encodeToString(new byte[16])));
  }

  @Test
  void truncated_and_extended_tokens_are_rejected() {
    String token = signer.sign(new byte[] {1, 2, 3, 4, 5, 6});
    byte[] raw = Base64.getDecoder().decode(token);
    byte[] shorter = java.util.Arrays.copyOf(raw, raw.length - 1);
    byte[] longer = java.util.Arrays.copyOf(raw, raw.length + 1);
    assertEquals(Optional.empty(), signer.verify(Base64.getEncoder().encodeToString(shorter)));
    assertEquals(Optional.empty(), signer.verify(Base64.getEncoder().encodeToString(longer)));
  }

  @Test
  void a_secret_shorter_than_16_bytes_is_refused() {
    assertThrows(IllegalArgumentException.class, () -> new TokenSigner(new byte[15]));
  }

  @Test
  void the_same_signer_verifies_from_several_threads() throws Exception {
    String token = signer.sign(new byte[] {9, 9, 9});
    Thread other = new Thread(() -> assertTrue(signer.verify(token).isPresent()));
    other.setUncaughtExceptionHandler((t, e) -> { throw new AssertionError(e); });
    other.start();
    other.join();
    assertTrue(signer.verify(token).isPresent());
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
