package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.Property;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShardIteratorTest {

  private static final TokenSigner SIGNER =
      new TokenSigner("an iterator secret of 32 bytes!!".getBytes(StandardCharsets.US_ASCII));
  private static final ShardIterator ITERATOR =
      new ShardIterator("123456789012", "eu-west-1", "orders", 1_700_000_000_000L, 3, 42, 1_700_000_100_000L);
  private static final String ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  @Test
  void an_encoded_iterator_decodes_to_itself() {
    record Input(String name, long created, int shard, long offset, long issued) {}
    Property.forAll(
        g -> new Input(g.string(1, 128, ALPHA), g.longIn(0, Long.MAX_VALUE), g.intIn(0, Integer.MAX_VALUE),
            g.longIn(0, Long.MAX_VALUE), g.anyLong()),
        input -> {
          ShardIterator it = new ShardIterator("000000000000", "us-east-1", input.name(), input.created(),
              input.shard(), input.offset(), input.issued());
          assertEquals(Optional.of(it), ShardIterator.decode(it.encode(SIGNER), SIGNER));
        });
  }

  @Test
  void every_single_character_change_is_rejected() {
    String token = ITERATOR.encode(SIGNER);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < token.length(); i++) {
      for (char c : alphabet.toCharArray()) {
        if (c == token.charAt(i)) {
          continue;
        }
        String changed = token.substring(0, i) + c + token.substring(i + 1);
        assertEquals(Optional.empty(), ShardIterator.decode(changed, SIGNER), "accepted " + changed);
      }
    }
  }

  @Test
  void every_single_byte_change_is_rejected() {
    byte[] raw = Base64.getDecoder().decode(ITERATOR.encode(SIGNER));
    for (int i = 0; i < raw.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] changed = raw.clone();
        changed[i] ^= (byte) (1 << bit);
        assertEquals(Optional.empty(),
            ShardIterator.decode(Base64.getEncoder().encodeToString(changed), SIGNER), "byte " + i + " bit " + bit);
      }
    }
  }

  @Test
  void an_iterator_signed_with_another_secret_is_rejected() {
    TokenSigner other = new TokenSigner("another deployment's secret 32b!".getBytes(StandardCharsets.US_ASCII));
    assertEquals(Optional.empty(), ShardIterator.decode(ITERATOR.encode(other), SIGNER));
  }

  @Test
  void a_genuinely_signed_payload_that_is_not_an_iterator_is_rejected() {
    assertEquals(Optional.empty(), ShardIterator.decode(SIGNER.sign(new byte[] {1, 2, 3}), SIGNER));
    assertEquals(Optional.empty(), ShardIterator.decode(SIGNER.sign(new byte[40]), SIGNER));
  }

  @Test
  void an_iterator_is_valid_for_exactly_300_seconds() {
    long issued = ITERATOR.issuedMillis();
    assertFalse(ITERATOR.expiredAt(issued));
    assertFalse(ITERATOR.expiredAt(issued + 300_000));
    assertTrue(ITERATOR.expiredAt(issued + 300_001));
  }

  @Test
  void moving_an_iterator_keeps_the_shard_and_renews_its_issue_time() {
    ShardIterator moved = ITERATOR.at(99, 1_800_000_000_000L);
    assertEquals(new ShardIterator("123456789012", "eu-west-1", "orders", 1_700_000_000_000L, 3, 99,
        1_800_000_000_000L), moved);
    assertFalse(moved.expiredAt(1_800_000_000_000L + ShardIterator.TTL_MILLIS));
  }
}
