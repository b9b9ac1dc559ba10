package io.millrace.api.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.shard.ShardIterator;
import io.millrace.shard.TokenSigner;
import io.millrace.testing.Gen;
import io.millrace.testing.Property;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The parsers of the opaque tokens clients hand back (shard iterators, NextTokens) against hostile input: random text,
 * genuine tokens mutated, and well-signed payloads of any shape. They answer "not a token" and never throw, and a
 * mutated token never reads as a different one.
 */
class TokenFuzzTest {

  private static final TokenSigner SIGNER =
      new TokenSigner("a fuzzing secret of 32 bytes....".getBytes(StandardCharsets.UTF_8));
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.|~%";

  @Test
  void random_text_is_never_a_token_and_never_an_exception() {
    Property.forAll(g -> g.string(0, 400, ALPHABET), text -> {
      assertEquals(Optional.empty(), ShardIterator.decode(text, SIGNER));
      assertEquals(Optional.empty(), PageToken.decode(text, SIGNER));
    });
  }

  @Test
  void a_mutated_iterator_is_refused_or_reads_as_the_same_iterator() {
    ShardIterator genuine = new ShardIterator("123456789012", "us-east-1", "orders", 1_700_000_000_000L, 3, 42L,
        1_700_000_100_000L);
    String token = genuine.encode(SIGNER);
    Property.forAll(g -> mutate(g, token), mutated -> ShardIterator.decode(mutated, SIGNER)
        .ifPresent(read -> assertEquals(genuine, read, "a mutated iterator read as another")));
  }

  @Test
  void a_mutated_next_token_is_refused_or_reads_as_the_same_token() {
    PageToken genuine = new PageToken(1_700_000_000_000L, "shards|123456789012|us-east-1|orders|1|FROM_TRIM_HORIZON||",
        "shardId-000000000007", 100);
    String token = genuine.encode(SIGNER);
    Property.forAll(g -> mutate(g, token), mutated -> PageToken.decode(mutated, SIGNER)
        .ifPresent(read -> assertEquals(genuine, read, "a mutated NextToken read as another")));
  }

  @Test
  void well_signed_payloads_of_any_shape_are_parsed_without_an_exception() {
    Function<Gen, byte[]> payloads = g -> {
      byte[] bytes = g.bytes(0, 120);
      if (bytes.length > 0 && g.bool()) {
        bytes[0] = 1; // the version byte both layouts start with, so parsing goes on to the lengths
      }
      return bytes;
    };
    Property.forAll(payloads, payload -> {
      String token = SIGNER.sign(payload);
      ShardIterator.decode(token, SIGNER);
      PageToken.decode(token, SIGNER);
    });
    String claimsMuch = SIGNER.sign(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 'x'});
    assertTrue(PageToken.decode(claimsMuch, SIGNER).isEmpty(), "a text that claims 64 KiB and holds one byte");
  }

  /** {@code token} with a few characters changed, inserted or removed, or cut short. */
  private static String mutate(Gen g, String token) {
    StringBuilder s = new StringBuilder(token);
    int edits = g.intIn(1, 3);
    for (int i = 0; i < edits && s.length() > 0; i++) {
      int at = g.intIn(0, s.length() - 1);
      switch (g.intIn(0, 3)) {
        case 0 -> s.setCharAt(at, ALPHABET.charAt(g.intIn(0, ALPHABET.length() - 1)));
        case 1 -> s.insert(at, ALPHABET.charAt(g.intIn(0, ALPHABET.length() - 1)));
        case 2 -> s.deleteCharAt(at);
        default -> s.setLength(at);
      }
    }
    return s.toString();
  }
}
