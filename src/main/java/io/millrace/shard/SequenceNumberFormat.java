package io.millrace.shard;

import java.math.BigInteger;
import java.util.Optional;

/**
 * How Kinesis checks a sequence number a client hands it (StartingSequenceNumber, SequenceNumberForOrdering) before
 * using it: which format version it is and which shard it names. Kinesis has issued three layouts, told apart by size
 * and by the last hex digit; read as hex (numbers below 2^124 first get 2^124 added):
 * <pre>
 *   version 0: below 2^129                  digits 1-9 shard creation seconds, 28-31 shard index
 *   version 1: 2^185..1.5*2^185, ends in 1  digits 1-9 shard creation seconds, 13-21 record seconds, 38-45 shard index
 *   version 2: 2^185..1.5*2^185, ends in 2  digits 1-9 shard creation seconds, 11-26 record index (at most 2^63-1),
 *                                        29-37 record seconds, 38-45 shard index (signed 32 bits)
 * </pre>
 * Anything else, or a creation time at or past 16025175000 seconds, is not a sequence number. Millrace issues version
 * 2 ({@link SequenceNumber}); the other versions matter only for answering as Kinesis does.
 *
 * <p>Stateless.
 */
public final class SequenceNumberFormat {

  private static final BigInteger TWO_124 = BigInteger.ONE.shiftLeft(124);
  private static final BigInteger TWO_129 = BigInteger.ONE.shiftLeft(129);
  private static final BigInteger TWO_185 = BigInteger.ONE.shiftLeft(185);
  private static final BigInteger THREE_TWO_184 = BigInteger.valueOf(3).shiftLeft(184);
  private static final long MAX_CREATION_SECONDS = 16_025_175_000L;

  private SequenceNumberFormat() {}

  /**
   * What a well-formed sequence number says.
   *
   * @param recordSeconds the record's arrival time in epoch seconds, or -1 for version 0 (which has none)
   */
  public record Inspected(int version, int shardIndex, long shardCreatedSeconds, long recordSeconds) {}

  /** What {@code decimal} says, or empty if Kinesis would not take it for a sequence number. */
  public static Optional<Inspected> inspect(String decimal) {
    BigInteger n;
    try {
      n = new BigInteger(decimal);
    } catch (NumberFormatException | NullPointerException e) {
      return Optional.empty();
    }
    if (n.signum() < 0) {
      return Optional.empty();
    }
    if (n.compareTo(TWO_124) < 0) {
      n = n.add(TWO_124);
    }
    String hex = n.toString(16);
    if (n.compareTo(TWO_129) < 0) {
      long created = Long.parseLong(hex.substring(1, 10), 16);
      if (created >= MAX_CREATION_SECONDS) {
        return Optional.empty();
      }
      return Optional.of(new Inspected(0, Integer.parseInt(hex.substring(28, 32), 16), created, -1));
    }
    if (n.compareTo(TWO_185) <= 0 || n.compareTo(THREE_TWO_184) >= 0) {
      return Optional.empty();
    }
    int version = Character.digit(hex.charAt(hex.length() - 1), 16);
    long created = Long.parseLong(hex.substring(1, 10), 16);
    if (version == 1) {
      return Optional.of(new Inspected(1, (int) Long.parseLong(hex.substring(38, 46), 16), created,
          Long.parseLong(hex.substring(13, 22), 16)));
    }
    if (version != 2 || Character.digit(hex.charAt(11), 16) > 7 || created >= MAX_CREATION_SECONDS) {
      return Optional.empty();
    }
    // The shard index field is a signed 32-bit number.
    int shardIndex = (int) Long.parseLong(hex.substring(38, 46), 16);
    return Optional.of(new Inspected(2, shardIndex, created, Long.parseLong(hex.substring(29, 38), 16)));
  }

  /** A shard id as Kinesis prints it in messages, negative indices included ({@code shardId--02147483648}). */
  public static String shardId(int index) {
    return "shardId-" + String.format("%012d", index);
  }
}
