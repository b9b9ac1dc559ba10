package io.millrace.shard;

import io.millrace.error.KinesisException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A position in Kinesis's 128-bit hash key space: the MD5 of a partition key read as an unsigned big-endian integer,
 * or a producer's ExplicitHashKey. Valid by construction: {@code 0 <= value <= 2^128 - 1}.
 */
public record HashKey(BigInteger value) implements Comparable<HashKey> {

  public static final BigInteger MAX_VALUE = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
  public static final HashKey MIN = new HashKey(BigInteger.ZERO);
  public static final HashKey MAX = new HashKey(MAX_VALUE);

  private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required by the JDK", e);
    }
  });

  public HashKey {
    if (value.signum() < 0 || value.compareTo(MAX_VALUE) > 0) {
      throw new IllegalArgumentException("hash key out of range: " + value);
    }
  }

  /** The hash key Kinesis routes {@code partitionKey} by. */
  public static HashKey ofPartitionKey(String partitionKey) {
    byte[] digest = MD5.get().digest(partitionKey.getBytes(StandardCharsets.UTF_8));
    return new HashKey(new BigInteger(1, digest));
  }

  /**
   * Parses a decimal ExplicitHashKey (its syntax was validated already); values of 2^128 or more are refused with
   * AWS's message.
   */
  public static HashKey parseExplicit(String decimal) {
    BigInteger v = new BigInteger(decimal);
    if (v.signum() < 0 || v.compareTo(MAX_VALUE) > 0) {
      throw new KinesisException.InvalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
          + "[0, 2^128-1]. Specified value was " + decimal);
    }
    return new HashKey(v);
  }

  /** From the 16 big-endian bytes the log stores. */
  public static HashKey ofBytes(byte[] sixteen) {
    return new HashKey(new BigInteger(1, sixteen));
  }

  /** The 16 big-endian bytes the log stores. */
  public byte[] toBytes() {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[16];
    int copy = Math.min(raw.length, 16);
    System.arraycopy(raw, raw.length - copy, out, 16 - copy, copy);
    return out;
  }

  /**
   * The {@code i}-th of {@code n} even ranges of the key space: AWS's layout, shard i covering
   * {@code floor(i * 2^128 / n)} .. {@code floor((i+1) * 2^128 / n) - 1}.
   */
  public static HashKey[] evenRange(int i, int n) {
    BigInteger space = BigInteger.ONE.shiftLeft(128);
    BigInteger start = space.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(n));
    BigInteger end = space.multiply(BigInteger.valueOf(i + 1L)).divide(BigInteger.valueOf(n)).subtract(BigInteger.ONE);
    return new HashKey[] {new HashKey(start), new HashKey(end)};
  }

  @Override
  public int compareTo(HashKey other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value.toString();
  }
}
