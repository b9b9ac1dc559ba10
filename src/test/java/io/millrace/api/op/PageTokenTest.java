package io.millrace.api.op;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.shard.TokenSigner;
import io.millrace.testing.Property;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PageTokenTest {

  private static final TokenSigner SIGNER =
      new TokenSigner("page token secret, 32 bytes long".getBytes(StandardCharsets.US_ASCII));

  @Test
  void an_encoded_token_decodes_to_itself() {
    record Input(long issued, String scope, String position, int limit) {}
    Property.forAll(g -> new Input(g.anyLong(), g.string(0, 300), g.string(0, 300), g.anyInt()), input -> {
      PageToken token = new PageToken(input.issued(), input.scope(), input.position(), input.limit());
      assertEquals(Optional.of(token), PageToken.decode(token.encode(SIGNER), SIGNER));
    });
  }

  @Test
  void every_single_character_change_is_rejected() {
    String token = sample().encode(SIGNER);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < token.length(); i++) {
      for (char c : alphabet.toCharArray()) {
        if (c != token.charAt(i)) {
          String changed = token.substring(0, i) + c + token.substring(i + 1);
          assertEquals(Optional.empty(), PageToken.decode(changed, SIGNER), "accepted " + changed);
        }
      }
    }
  }

  @Test
  void every_single_byte_change_is_rejected() {
    byte[] raw = Base64.getDecoder().decode(sample().encode(SIGNER));
    for (int i = 0; i < raw.length; i++) {
      byte[] changed = raw.clone();
      changed[i] ^= 0x01;
      assertEquals(Optional.empty(), PageToken.decode(Base64.getEncoder().encodeToString(changed), SIGNER));
    }
  }

  @Test
  void a_token_from_another_secret_or_of_another_kind_is_rejected() {
    TokenSigner other = new TokenSigner("a different secret of 32 bytes!!".getBytes(StandardCharsets.US_ASCII));
    assertEquals(Optional.empty(), PageToken.decode(sample().encode(other), SIGNER));
    assertEquals(Optional.empty(), PageToken.decode(SIGNER.sign(new byte[] {1, 0, 0}), SIGNER));
  }

  private static PageToken sample() {
    return new PageToken(1_700_000_000_000L, "arn:aws:kinesis:us-east-1:000000000000:stream/s@1700", "shardId-000000000007",
        100);
  }
}
