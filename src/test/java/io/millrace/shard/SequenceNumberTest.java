package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.Property;
import java.math.BigInteger;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SequenceNumberTest {

  private static final long MAX_SECONDS = 0xF_FFFF_FFFFL;
  /** 2026-11-26, a realistic creation and arrival time. */
  private static final long NOW_SECONDS = 1_795_651_200L;

  @Test
  void every_sequence_number_parses_back_to_itself() {
    record Input(long createdSeconds, int shardIndex, long offset, long recordSeconds) {}
    Property.forAll(
        g -> new Input(g.longIn(0, MAX_SECONDS), g.intIn(0, Integer.MAX_VALUE), g.longIn(0, Long.MAX_VALUE),
            g.longIn(0, MAX_SECONDS)),
        input -> {
          SequenceNumber n =
              new SequenceNumber(input.createdSeconds(), input.shardIndex(), input.offset(), input.recordSeconds());
          assertEquals(Optional.of(n), SequenceNumber.parse(n.toDecimal()));
        });
  }

  @Test
  void realistic_numbers_have_56_decimal_digits() {
    record Input(long createdSeconds, int shardIndex, long offset) {}
    Property.forAll(
        g -> new Input(g.longIn(1_400_000_000L, 4_000_000_000L), g.intIn(0, 1_000_000), g.longIn(0, 1L << 40)),
        input -> {
          long createdSeconds = input.createdSeconds();
          String decimal =
              new SequenceNumber(createdSeconds, input.shardIndex(), input.offset(), createdSeconds + 5).toDecimal();
          assertEquals(56, decimal.length(), decimal);
          assertTrue(decimal.chars().allMatch(Character::isDigit), decimal);
        });
  }

  @Test
  void within_a_shard_numbers_order_by_offset() {
    record Input(long a, long b, long secondsLater) {}
    Property.forAll(
        g -> {
          long a = g.longIn(0, Long.MAX_VALUE);
          long b = g.longIn(0, Long.MAX_VALUE);
          while (b == a) {
            b = g.longIn(0, Long.MAX_VALUE);
          }
          return new Input(a, b, g.longIn(0, 1000));
        },
        input -> {
          long a = input.a();
          long b = input.b();
          // Arrival time never decreases as the offset grows.
          long earlier = NOW_SECONDS;
          long later = NOW_SECONDS + input.secondsLater();
          SequenceNumber first = new SequenceNumber(NOW_SECONDS, 3, a, a < b ? earlier : later);
          SequenceNumber second = new SequenceNumber(NOW_SECONDS, 3, b, a < b ? later : earlier);
          int byOffset = Long.compare(a, b);
          int byWire = new BigInteger(first.toDecimal()).compareTo(new BigInteger(second.toDecimal()));
          assertEquals(Integer.signum(byOffset), Integer.signum(byWire));
          assertEquals(Integer.signum(byOffset), Integer.signum(first.compareTo(second)));
        });
  }

  @Test
  void a_child_created_a_second_later_numbers_above_any_parent_record() {
    record Input(int parentIndex, long parentOffset, long parentRecordSeconds, int childIndex) {}
    Property.forAll(
        g -> new Input(g.intIn(0, Integer.MAX_VALUE), g.longIn(0, Long.MAX_VALUE), g.longIn(0, MAX_SECONDS),
            g.intIn(0, Integer.MAX_VALUE)),
        input -> {
          SequenceNumber parent =
              new SequenceNumber(NOW_SECONDS, input.parentIndex(), input.parentOffset(), input.parentRecordSeconds());
          SequenceNumber childStart = new SequenceNumber(NOW_SECONDS + 1, input.childIndex(), 0, NOW_SECONDS + 1);
          assertTrue(new BigInteger(childStart.toDecimal()).compareTo(new BigInteger(parent.toDecimal())) > 0);
        });
  }

  @Test
  void zero_is_not_a_sequence_number_of_this_layout() {
    assertEquals(Optional.empty(), SequenceNumber.parse("0"));
  }

  @Test
  void text_that_is_not_decimal_digits_is_refused() {
    String valid = new SequenceNumber(NOW_SECONDS, 1, 42, NOW_SECONDS).toDecimal();
    assertEquals(Optional.empty(), SequenceNumber.parse(valid.substring(0, 20) + "x" + valid.substring(21)));
    assertEquals(Optional.empty(), SequenceNumber.parse(""));
    assertEquals(Optional.empty(), SequenceNumber.parse(null));
    assertEquals(Optional.empty(), SequenceNumber.parse("-" + valid));
    assertEquals(Optional.empty(), SequenceNumber.parse(" " + valid));
  }

  @Test
  void random_56_digit_numbers_outside_the_layout_are_refused() {
    Random random = new Random(56);
    int refused = 0;
    for (int i = 0; i < 1000; i++) {
      StringBuilder digits = new StringBuilder().append(1 + random.nextInt(9));
      while (digits.length() < 56) {
        digits.append(random.nextInt(10));
      }
      Optional<SequenceNumber> parsed = SequenceNumber.parse(digits.toString());
      // A random number fits the layout only by chance (marker nibbles, zero byte, index nibble all right):
      // then it must round-trip exactly.
      if (parsed.isEmpty()) {
        refused++;
      } else {
        assertEquals(digits.toString(), parsed.get().toDecimal());
      }
    }
    assertTrue(refused > 990, "refused only " + refused + " of 1000");
  }

  @Test
  void a_number_whose_marker_digit_or_zero_byte_is_wrong_is_refused() {
    BigInteger valid = new BigInteger(new SequenceNumber(NOW_SECONDS, 5, 7, NOW_SECONDS).toDecimal());
    // Low nibble 2 -> 3.
    assertEquals(Optional.empty(), SequenceNumber.parse(valid.add(BigInteger.ONE).toString()));
    // The 00 byte between the offset and the record time.
    BigInteger zeroByteSet = valid.or(BigInteger.ONE.shiftLeft(4 + 32 + 36));
    assertEquals(Optional.empty(), SequenceNumber.parse(zeroByteSet.toString()));
    // Shard index nibble disagreeing with the full index.
    BigInteger nibbleChanged = valid.flipBit(4 + 32 + 36 + 8 + 64);
    assertEquals(Optional.empty(), SequenceNumber.parse(nibbleChanged.toString()));
  }

  @Test
  void matches_the_documented_hex_layout() {
    SequenceNumber n = new SequenceNumber(0x123456789L, 0x1A, 0x42, 0x987654321L);
    String hex = new BigInteger(n.toDecimal()).toString(16);
    assertEquals("2" + "123456789" + "a" + "0000000000000042" + "00" + "987654321" + "0000001a" + "2", hex);
  }

  /** The documented layout, computed with BigInteger: what toDecimal must print. */
  private static String reference(long created, int index, long offset, long recordSeconds) {
    return BigInteger.valueOf(2).shiftLeft(184)
        .or(BigInteger.valueOf(created).shiftLeft(148))
        .or(BigInteger.valueOf(index & 0xF).shiftLeft(144))
        .or(BigInteger.valueOf(offset).shiftLeft(80))
        .or(BigInteger.valueOf(recordSeconds).shiftLeft(36))
        .or(BigInteger.valueOf(index & 0xFFFF_FFFFL).shiftLeft(4))
        .or(BigInteger.valueOf(2)).toString();
  }

  @Test
  void runs_of_consecutive_offsets_print_as_each_number_alone_would() {
    long[] starts = {0, 9, 999_999, Long.MAX_VALUE - 300};
    for (long start : starts) {
      for (long offset = start; offset < start + 200; offset++) {
        long second = NOW_SECONDS + (offset - start) / 50; // a new second every 50 records
        SequenceNumber a = new SequenceNumber(NOW_SECONDS, 7, offset, second);
        SequenceNumber b = new SequenceNumber(NOW_SECONDS - 5, 123_456, offset, NOW_SECONDS);
        assertEquals(reference(NOW_SECONDS, 7, offset, second), a.toDecimal(), "offset " + offset);
        if (offset % 3 == 0) { // interleaved: another shard breaks the run now and then
          assertEquals(reference(NOW_SECONDS - 5, 123_456, offset, NOW_SECONDS), b.toDecimal(), "offset " + offset);
        }
      }
    }
    assertEquals(reference(0, 0, 0, 0), new SequenceNumber(0, 0, 0, 0).toDecimal());
    assertEquals(reference(0, 0, 1, 0), new SequenceNumber(0, 0, 1, 0).toDecimal());
  }
}
