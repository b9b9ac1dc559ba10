package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.testing.Gen;
import io.millrace.testing.Property;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashKeyTest {

  private static final BigInteger TWO_TO_128 = BigInteger.ONE.shiftLeft(128);
  private static final BigInteger TWO_TO_127 = BigInteger.ONE.shiftLeft(127);

  @Test
  void a_partition_key_routes_by_its_md5_as_an_unsigned_integer() {
    assertEquals(new BigInteger("157107139746365290205026809710278036035"),
        HashKey.ofPartitionKey("user-42").value());
  }

  @Test
  void partition_keys_are_hashed_as_utf8() {
    BigInteger utf8 = new BigInteger(1, md5(new byte[] {(byte) 0xC3, (byte) 0xA9}));
    BigInteger latin1 = new BigInteger(1, md5(new byte[] {(byte) 0xE9}));
    assertEquals(utf8, HashKey.ofPartitionKey("\u00e9").value());
    assertNotEquals(latin1, utf8);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7})
  void even_ranges_cover_the_key_space_without_gaps_or_overlap(int n) {
    assertCovers(n);
  }

  @Test
  void even_ranges_cover_the_key_space_for_any_shard_count() {
    Property.forAll(g -> g.intIn(1, 10_000), n -> assertCovers(n));
  }

  @Test
  void two_shards_split_at_two_to_the_127() {
    assertEquals(new BigInteger("170141183460469231731687303715884105728"), HashKey.evenRange(1, 2)[0].value());
    assertEquals(new BigInteger("340282366920938463463374607431768211455"), HashKey.evenRange(1, 2)[1].value());
  }

  @Test
  void an_explicit_hash_key_of_two_to_the_128_is_refused_with_aws_wording() {
    String tooBig = TWO_TO_128.toString();
    KinesisException e = assertThrows(KinesisException.class, () -> HashKey.parseExplicit(tooBig));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertEquals("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
        + "340282366920938463463374607431768211456", e.getMessage());
  }

  @Test
  void the_largest_and_smallest_explicit_hash_keys_are_accepted() {
    assertEquals(HashKey.MAX, HashKey.parseExplicit("340282366920938463463374607431768211455"));
    assertEquals(HashKey.MIN, HashKey.parseExplicit("0"));
  }

  @Test
  void sixteen_bytes_round_trip() {
    Property.forAll(HashKeyTest::hashKey, value -> {
      HashKey key = new HashKey(value);
      byte[] bytes = key.toBytes();
      assertEquals(16, bytes.length);
      assertEquals(key, HashKey.ofBytes(bytes));
    });
  }

  @Test
  void bytes_are_big_endian_and_zero_padded() {
    byte[] expected = new byte[16];
    expected[15] = 1;
    assertArrayEquals(expected, new HashKey(BigInteger.ONE).toBytes());
    byte[] ones = new byte[16];
    java.util.Arrays.fill(ones, (byte) 0xFF);
    assertArrayEquals(ones, HashKey.MAX.toBytes());
  }

  /** Any key; {@link Gen#bigIn} already favours 0, 1 and the maximum, this adds the first key with the top bit set. */
  private static BigInteger hashKey(Gen g) {
    return g.intIn(0, 9) == 0 ? TWO_TO_127 : g.bigIn(BigInteger.ZERO, HashKey.MAX_VALUE);
  }

  private static void assertCovers(int n) {
    BigInteger expectedStart = BigInteger.ZERO;
    for (int i = 0; i < n; i++) {
      HashKey[] range = HashKey.evenRange(i, n);
      assertEquals(expectedStart, range[0].value(), "start of range " + i + " of " + n);
      assertEquals(-1, range[0].value().compareTo(range[1].value().add(BigInteger.ONE)), "range " + i + " empty");
      expectedStart = range[1].value().add(BigInteger.ONE);
    }
    assertEquals(TWO_TO_128, expectedStart, "the last range ends at 2^128-1");
  }

  private static byte[] md5(byte[] in) {
    try {
      return java.security.MessageDigest.getInstance("MD5").digest(in);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
