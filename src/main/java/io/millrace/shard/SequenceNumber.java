package io.millrace.shard;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A Kinesis sequence number, decodable to its shard and log offset without a lookup.
 *
 * <p>Layout (the 56-decimal-digit shape real Kinesis and the popular emulators share): 47 hex digits
 * <pre>
 *   2 | shard creation epoch seconds (9) | shard index &amp; 0xF (1) | log offset (16) | 00 | record epoch seconds (9)
 *     | shard index (8) | 2
 * </pre>
 * printed in decimal. Within a shard the offset field orders numbers; across a shard's children the creation time
 * (the most significant field) makes children's numbers greater than their parents'. A shard's
 * StartingSequenceNumber is the same layout with offset 0 and record time = creation time.
 *
 * @param shardCreatedSeconds creation time of the shard, epoch seconds
 * @param shardIndex          the number in {@code shardId-%012d}
 * @param offset              the record's log offset
 * @param recordSeconds       the record's arrival time, epoch seconds
 */
public record SequenceNumber(long shardCreatedSeconds, int shardIndex, long offset, long recordSeconds)
    implements Comparable<SequenceNumber> {

  private static final long MAX_SECONDS = 0xF_FFFF_FFFFL;

  public SequenceNumber {
    if (shardCreatedSeconds < 0 || shardCreatedSeconds > MAX_SECONDS || recordSeconds < 0
        || recordSeconds > MAX_SECONDS || shardIndex < 0 || offset < 0) {
      throw new IllegalArgumentException("sequence number fields out of range");
    }
  }

  /** The decimal wire form. */
  public String toDecimal() {
    return LAST.get().decimal(this);
  }

  /** {@code 2^80} in decimal: what the next offset adds to a number (the offset field starts at bit 80). */
  private static final byte[] NEXT_OFFSET = "1208925819614629174706176".getBytes(StandardCharsets.US_ASCII);

  private static final ThreadLocal<LastDecimal> LAST = ThreadLocal.withInitial(LastDecimal::new);

  /**
   * The last number a thread wrote in decimal, so that the next offset of the same shard and second (records are put
   * and read in runs) costs one decimal addition of {@code 2^80} instead of a conversion: this runs for every record
   * put, read or pushed.
   */
  private static final class LastDecimal {
    private final byte[] digits = new byte[60];
    private int start = digits.length;
    private SequenceNumber number;

    String decimal(SequenceNumber n) {
      SequenceNumber last = number;
      if (last != null && n.offset == last.offset + 1 && n.recordSeconds == last.recordSeconds
          && n.shardIndex == last.shardIndex && n.shardCreatedSeconds == last.shardCreatedSeconds) {
        addNextOffset();
      } else if (!n.equals(last)) {
        start = convert(n.words(), digits);
      }
      number = n;
      return new String(digits, start, digits.length - start, StandardCharsets.ISO_8859_1);
    }

    private void addNextOffset() {
      int carry = 0;
      int i = digits.length - 1;
      for (int k = NEXT_OFFSET.length - 1; k >= 0 || carry != 0; k--, i--) {
        int sum = (i >= start ? digits[i] - '0' : 0) + (k >= 0 ? NEXT_OFFSET[k] - '0' : 0) + carry;
        digits[i] = (byte) ('0' + sum % 10);
        carry = sum / 10;
      }
      start = Math.min(start, i + 1);
    }
  }

  /** The 188 bits of the layout in three 64-bit words, least significant first (the top 4 bits stay 0). */
  private long[] words() {
    long[] words = new long[3];
    int bit = 0;
    bit = put(words, bit, 4, 2);
    bit = put(words, bit, 32, shardIndex & 0xFFFF_FFFFL);
    bit = put(words, bit, 36, recordSeconds);
    bit = put(words, bit, 8, 0);
    bit = put(words, bit, 64, offset);
    bit = put(words, bit, 4, shardIndex & 0xF);
    bit = put(words, bit, 36, shardCreatedSeconds);
    put(words, bit, 4, 2);
    return words;
  }

  /**
   * Writes the unsigned 192-bit number in {@code words} (least significant first) in decimal ASCII, right-aligned in
   * {@code out} (60 bytes); returns where its first digit is. Long division by 10^9 over six 32-bit limbs, several
   * times cheaper than {@code BigInteger.toString}.
   */
  private static int convert(long[] words, byte[] out) {
    long[] limbs = new long[6];
    for (int i = 0; i < 3; i++) {
      limbs[4 - 2 * i] = words[i] >>> 32;
      limbs[5 - 2 * i] = words[i] & 0xFFFF_FFFFL;
    }
    int pos = out.length;
    boolean zero = false;
    while (!zero) {
      long remainder = 0;
      zero = true;
      for (int i = 0; i < 6; i++) {
        long current = (remainder << 32) | limbs[i];
        limbs[i] = current / 1_000_000_000L;
        remainder = current % 1_000_000_000L;
        zero &= limbs[i] == 0;
      }
      for (int d = 0; d < 9 && (!zero || remainder != 0); d++) {
        out[--pos] = (byte) ('0' + remainder % 10);
        remainder /= 10;
      }
    }
    if (pos == out.length) {
      out[--pos] = '0';
    }
    return pos;
  }

  /** Puts the low {@code bits} (at most 64) of {@code value} at bit {@code at}, counted from the least significant. */
  private static int put(long[] words, int at, int bits, long value) {
    long field = bits == 64 ? value : value & ((1L << bits) - 1);
    int word = at >>> 6;
    int shift = at & 63;
    words[word] |= field << shift;
    if (shift != 0 && shift + bits > 64) {
      words[word + 1] |= field >>> (64 - shift);
    }
    return at + bits;
  }

  @Override
  public String toString() {
    return toDecimal();
  }

  /** Decodes a decimal sequence number in this layout, or empty if it is not one (any other in-range number). */
  public static Optional<SequenceNumber> parse(String decimal) {
    if (decimal == null || decimal.isEmpty() || decimal.length() > 129) {
      return Optional.empty();
    }
    BigInteger v;
    try {
      v = new BigInteger(decimal);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (v.signum() <= 0 || v.bitLength() != 186) {
      return Optional.empty();
    }
    // Walk from the least significant end.
    if (v.and(BigInteger.valueOf(0xF)).intValue() != 2) {
      return Optional.empty();
    }
    v = v.shiftRight(4);
    long indexFull = v.and(BigInteger.valueOf(0xFFFF_FFFFL)).longValue();
    v = v.shiftRight(32);
    long recordSeconds = v.and(BigInteger.valueOf(MAX_SECONDS)).longValue();
    v = v.shiftRight(36);
    if (v.and(BigInteger.valueOf(0xFF)).signum() != 0) {
      return Optional.empty();
    }
    v = v.shiftRight(8);
    BigInteger offset = v.and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
    v = v.shiftRight(64);
    int nibble = v.and(BigInteger.valueOf(0xF)).intValue();
    v = v.shiftRight(4);
    long created = v.and(BigInteger.valueOf(MAX_SECONDS)).longValue();
    v = v.shiftRight(36);
    if (v.intValue() != 2 || (indexFull & 0xF) != nibble || indexFull > Integer.MAX_VALUE
        || offset.bitLength() > 63) {
      return Optional.empty();
    }
    return Optional.of(new SequenceNumber(created, (int) indexFull, offset.longValue(), recordSeconds));
  }

  /** Orders by the wire value, as clients do (they compare sequence numbers as big integers). */
  @Override
  public int compareTo(SequenceNumber o) {
    return new BigInteger(toDecimal()).compareTo(new BigInteger(o.toDecimal()));
  }
}
