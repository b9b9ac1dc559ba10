package io.millrace.api.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.api.model.Requests.CreateStreamRequest;
import io.millrace.api.model.Requests.DescribeStreamSummaryRequest;
import io.millrace.api.model.Requests.GetShardIteratorRequest;
import io.millrace.api.model.Requests.PutRecordRequest;
import io.millrace.api.model.Requests.PutRecordsRequest;
import io.millrace.api.model.Requests.PutRecordsRequestEntry;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.testing.Property;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTest {

  private static final String PREFIX = " failed to satisfy constraint: Member must ";

  @Test
  void a_valid_request_passes() {
    validate(new CreateStreamRequest("orders", 2, null, null, null, null));
  }

  @Test
  void one_error_reads_as_aws_words_it() {
    assertEquals("1 validation error detected: Value null at 'streamName'" + PREFIX + "not be null",
        message(new CreateStreamRequest(null, 1, null, null, null, null)));
  }

  @Test
  void several_errors_are_counted_and_joined_in_member_order() {
    String name = "a".repeat(129);
    assertEquals("2 validation errors detected: "
        + "Value '" + name + "' at 'streamName'" + PREFIX + "have length less than or equal to 128; "
        + "Value '0' at 'shardCount'" + PREFIX + "have value greater than or equal to 1",
        message(new CreateStreamRequest(name, 0, null, null, null, null)));
  }

  @Test
  void patterns_and_enums_are_named_in_the_message() {
    assertEquals("2 validation errors detected: "
        + "Value 'bad name!' at 'streamName'" + PREFIX + "satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        + "Value 'SOMEWHERE' at 'shardIteratorType'" + PREFIX
        + "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
        message(new GetShardIteratorRequest("bad name!", "shardId-000000000000", "SOMEWHERE", null, null, null)));
  }

  @Test
  void put_records_entries_are_addressed_by_their_one_based_member_path() {
    List<PutRecordsRequestEntry> records = List.of(
        new PutRecordsRequestEntry(new byte[1], null, "ok"),
        new PutRecordsRequestEntry(new byte[1], "01", ""));
    assertEquals("2 validation errors detected: "
        + "Value '01' at 'records.2.member.explicitHashKey'" + PREFIX
        + "satisfy regular expression pattern: 0|([1-9]\\d{0,38}); "
        + "Value '' at 'records.2.member.partitionKey'" + PREFIX + "have length greater than or equal to 1",
        message(new PutRecordsRequest(records, "s", null)));
  }

  @Test
  void a_missing_record_and_a_missing_partition_key_are_reported_as_null() {
    List<PutRecordsRequestEntry> records = new ArrayList<>();
    records.add(null);
    records.add(new PutRecordsRequestEntry(null, null, null));
    assertEquals("3 validation errors detected: "
        + "Value null at 'records.1.member'" + PREFIX + "not be null; "
        + "Value null at 'records.2.member.data'" + PREFIX + "not be null; "
        + "Value null at 'records.2.member.partitionKey'" + PREFIX + "not be null",
        message(new PutRecordsRequest(records, "s", null)));
  }

  @Test
  void an_empty_stream_name_breaks_its_pattern_and_its_minimum_length() {
    assertEquals("2 validation errors detected: Value '' at 'streamName'" + PREFIX
        + "satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'streamName'" + PREFIX
        + "have length greater than or equal to 1",
        message(new DescribeStreamSummaryRequest("", null)));
  }

  @Test
  void at_most_ten_errors_are_reported_and_counted() {
    List<PutRecordsRequestEntry> records =
        Collections.nCopies(501, new PutRecordsRequestEntry(new byte[0], null, ""));
    String m = message(new PutRecordsRequest(records, "", null));
    assertEquals("10 validation errors detected: ", m.substring(0, m.indexOf(':') + 2));
    String[] parts = m.substring(m.indexOf(':') + 2).split("; ");
    assertEquals(10, parts.length);
    assertTrue(parts[0].endsWith("' at 'records'" + PREFIX + "have length less than or equal to 500"), parts[0]);
    for (int i = 1; i < 10; i++) {
      assertEquals("Value '' at 'records." + i + ".member.partitionKey'" + PREFIX
          + "have length greater than or equal to 1", parts[i]);
    }
  }

  @Test
  void the_count_matches_the_errors_shown() {
    Property.forAll(g -> g.intIn(1, 30), bad -> {
      List<PutRecordsRequestEntry> records =
          Collections.nCopies(bad, new PutRecordsRequestEntry(new byte[0], null, ""));
      String m = message(new PutRecordsRequest(records, "s", null));
      int shown = m.split("; ").length;
      assertEquals(Math.min(bad, 10), shown);
      assertEquals(shown + " validation error" + (shown == 1 ? "" : "s") + " detected: ",
          m.substring(0, m.indexOf(':') + 2));
    });
  }

  @Test
  void a_blob_is_shown_as_aws_prints_a_byte_buffer() {
    byte[] big = new byte[10 * 1024 * 1024 + 1];
    assertEquals("1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]' at "
        + "'data'" + PREFIX + "have length less than or equal to 10485760",
        message(new PutRecordRequest("s", big, "pk", null, null, null)));
  }

  @Test
  void lengths_count_code_points_not_utf16_units() {
    String emoji = "\uD83D\uDE00".repeat(256); // 256 code points, 512 chars
    validate(new PutRecordRequest("s", new byte[0], emoji, null, null, null));
  }

  @Test
  void the_errors_are_a_validation_exception() {
    KinesisException e = assertThrows(KinesisException.class,
        () -> validate(new CreateStreamRequest(null, null, null, null, null, null)));
    assertEquals(ErrorCode.VALIDATION, e.code());
  }

  private static void validate(Validated request) {
    Validator v = new Validator();
    request.validate(v);
    v.throwIfInvalid();
  }

  private static String message(Validated request) {
    return assertThrows(KinesisException.Validation.class, () -> validate(request)).getMessage();
  }
}
