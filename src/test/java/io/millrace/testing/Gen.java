package io.millrace.testing;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;

/**
 * Random inputs for property tests, from one seeded {@link Random} (so a failing run can be repeated, see
 * {@link Property}). Like the property-testing libraries, it leans on the edges: about one draw in five is a boundary
 * of the range asked for (its ends, one inside each end, zero, the type's extremes) rather than a uniform pick,
 * because that is where codecs and range checks break. Not thread-safe: one per property run.
 */
public final class Gen {

  /** Characters strings are drawn from: ASCII, Latin-1, other BMP letters, and a surrogate pair (two chars). */
  private static final String[] CHARACTER_POOLS = {
      " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
      "\u00a0\u00c0\u00df\u00e9\u00ff", "\u0100\u03a9\u0416\u05d0\u4e2d\uac00\ud7ff\ufffd"};
  private static final String SURROGATE_PAIR = "\ud83d\ude00";

  private final Random random;

  Gen(long seed) {
    this.random = new Random(seed);
  }

  /** Any int. */
  public int anyInt() {
    return intIn(Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /** An int in {@code [min, max]}. */
  public int intIn(int min, int max) {
    return (int) longIn(min, max);
  }

  /** Any long. */
  public long anyLong() {
    return longIn(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** A long in {@code [min, max]}. */
  public long longIn(long min, long max) {
    if (min > max) {
      throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
    }
    if (random.nextInt(5) == 0) {
      long[] edges = {min, max, min == max ? min : min + 1, min == max ? max : max - 1, 0, -1, 1};
      long edge = edges[random.nextInt(edges.length)];
      if (edge >= min && edge <= max) {
        return edge;
      }
    }
    if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
      return random.nextLong();
    }
    BigInteger span = BigInteger.valueOf(max).subtract(BigInteger.valueOf(min)).add(BigInteger.ONE);
    BigInteger pick = new BigInteger(span.bitLength() + 8, random).mod(span);
    return BigInteger.valueOf(min).add(pick).longValueExact();
  }

  /** A BigInteger in {@code [min, max]}, edges included as for longs. */
  public BigInteger bigIn(BigInteger min, BigInteger max) {
    if (random.nextInt(5) == 0) {
      BigInteger[] edges = {min, max, min.add(BigInteger.ONE).min(max), max.subtract(BigInteger.ONE).max(min)};
      return edges[random.nextInt(edges.length)];
    }
    BigInteger span = max.subtract(min).add(BigInteger.ONE);
    return min.add(new BigInteger(span.bitLength() + 8, random).mod(span));
  }

  public boolean bool() {
    return random.nextBoolean();
  }

  /** One of {@code choices}. */
  public <T> T oneOf(List<T> choices) {
    return choices.get(random.nextInt(choices.size()));
  }

  /** How long a string or array of at most {@code max} (and at least {@code min}) elements is: often short. */
  private int length(int min, int max) {
    int roll = random.nextInt(10);
    if (roll == 0) {
      return min;
    }
    if (roll == 1) {
      return max;
    }
    int cap = roll < 6 ? Math.min(max, min + 10) : max;
    return min + random.nextInt(cap - min + 1);
  }

  /** Bytes, {@code min} to {@code max} of them. */
  public byte[] bytes(int min, int max) {
    byte[] out = new byte[length(min, max)];
    random.nextBytes(out);
    return out;
  }

  /** A string of {@code min} to {@code max} chars from ASCII and beyond, surrogate pairs kept whole. */
  public String string(int min, int max) {
    int target = length(min, max);
    StringBuilder out = new StringBuilder(target);
    while (out.length() < target) {
      if (target - out.length() >= 2 && random.nextInt(20) == 0) {
        out.append(SURROGATE_PAIR);
      } else {
        String pool = CHARACTER_POOLS[random.nextInt(10) < 7 ? 0 : 1 + random.nextInt(2)];
        out.append(pool.charAt(random.nextInt(pool.length())));
      }
    }
    return out.toString();
  }

  /** A string of {@code min} to {@code max} chars, each one of {@code alphabet}. */
  public String string(int min, int max, String alphabet) {
    int target = length(min, max);
    StringBuilder out = new StringBuilder(target);
    for (int i = 0; i < target; i++) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.toString();
  }
}
