package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceNumberFormatTest {

  @Test
  void a_number_millrace_issues_reads_as_version_two_with_its_shard_and_times() {
    SequenceNumber s = new SequenceNumber(1_700_000_000L, 42, 12_345, 1_700_000_100L);
    SequenceNumberFormat.Inspected i = SequenceNumberFormat.inspect(s.toDecimal()).orElseThrow();
    assertEquals(2, i.version());
    assertEquals(42, i.shardIndex());
    assertEquals(1_700_000_000L, i.shardCreatedSeconds());
    assertEquals(1_700_000_100L, i.recordSeconds());
  }

  @Test
  void a_small_number_reads_as_version_zero_naming_the_shard_in_its_low_digits() {
    SequenceNumberFormat.Inspected i = SequenceNumberFormat.inspect("12345").orElseThrow();
    assertEquals(0, i.version());
    assertEquals(12345, i.shardIndex());
    assertEquals(-1, i.recordSeconds());
  }

  @Test
  void numbers_of_no_layout_kinesis_issues_are_not_sequence_numbers() {
    List<String> invalid = List.of(
        "-1", "abc", "",
        BigInteger.TWO.pow(186).toString(),                                // above every layout
        "49039857307708443467467104868809893875799651909875269632",        // ends in 0: version 0 in the long layout
        "49039857307708443467467104868809893875799651909875269635",        // version 3
        "73559785961562665201200657303214840813699477864812904449",        // just past the long layout
        "26227199374822427428162556223570313216",                          // version 0 created after year 2477
        "73559785961551514828601391991642864028743539089244946418");       // all f: created too late
    for (String n : invalid) {
      assertTrue(SequenceNumberFormat.inspect(n).isEmpty(), n);
    }
  }

  @Test
  void a_shard_id_is_printed_with_twelve_digits_and_its_sign() {
    assertEquals("shardId-000000000007", SequenceNumberFormat.shardId(7));
    assertEquals("shardId--02147483648", SequenceNumberFormat.shardId(Integer.MIN_VALUE));
  }
}
