package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.ProcessorParameter;
import io.millrace.firehose.RecordDeaggregator.KplRecord;
import io.millrace.testing.KplAggregate;
import io.millrace.testing.KplAggregate.Sub;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordDeaggregatorTest {

  private static final long ARRIVAL = 1_700_000_000_123L;

  // ---- JSON ----

  @Test
  void concatenated_json_objects_become_one_record_each() {
    ProcessingResult r = RecordDeaggregator.json().process(List.of(record("{\"a\":1}{\"a\":2}{\"b\":{\"c\":[1,2]}}")));
    assertEquals(List.of("{\"a\":1}", "{\"a\":2}", "{\"b\":{\"c\":[1,2]}}"), texts(r.delivered()));
    assertEquals(List.of(), r.failed());
  }

  @Test
  void newline_separated_json_objects_lose_the_whitespace_between_them_but_keep_their_own() {
    ProcessingResult r = RecordDeaggregator.json()
        .process(List.of(record("{\"a\": 1}\n{\"a\":2}\r\n  \t{ \"s\" : \"x y\" }\n\n")));
    assertEquals(List.of("{\"a\": 1}", "{\"a\":2}", "{ \"s\" : \"x y\" }"), texts(r.delivered()));
  }

  @Test
  void json_objects_with_multibyte_characters_are_cut_at_byte_offsets() {
    ProcessingResult r = RecordDeaggregator.json().process(List.of(record("{\"s\":\"é€\"}\n{\"s\":\"😀\"}")));
    assertEquals(List.of("{\"s\":\"é€\"}", "{\"s\":\"😀\"}"), texts(r.delivered()));
  }

  @Test
  void sub_records_keep_the_arrival_time_and_partition_keys_of_their_record() {
    FirehoseRecord in = new FirehoseRecord("{\"a\":1}{\"a\":2}".getBytes(UTF_8), ARRIVAL, Map.of("k", "v"));
    for (FirehoseRecord out : RecordDeaggregator.json().process(List.of(in)).delivered()) {
      assertEquals(ARRIVAL, out.arrivalMillis());
      assertEquals(Map.of("k", "v"), out.partitionKeys());
    }
  }

  @Test
  void a_record_that_is_not_json_objects_fails_and_the_others_go_on() {
    List<String> bad = List.of("[{\"a\":1},{\"a\":2}]", "{\"a\":1}{\"a\":", "{\"a\":1} 42", "not json", "", " \n");
    for (String b : bad) {
      ProcessingResult r = RecordDeaggregator.json().process(List.of(record("{\"ok\":1}"), record(b),
          record("{\"ok\":2}")));
      assertEquals(List.of("{\"ok\":1}", "{\"ok\":2}"), texts(r.delivered()), b);
      assertEquals(1, r.failed().size(), b);
      FailedRecord f = r.failed().get(0);
      assertEquals("RecordDeAggregation.InvalidJson", f.errorCode());
      assertTrue(f.errorMessage().startsWith(ProcessingError.DEAGGREGATION_FAILED.message()), f.errorMessage());
      assertEquals(b, new String(f.rawData(), UTF_8));
      assertEquals(ARRIVAL, f.arrivalMillis());
      assertEquals(1, f.attemptsMade());
      assertNull(f.lambdaArn());
    }
  }

  @Test
  void a_record_of_500_json_objects_is_split_and_one_of_501_passes_whole() {
    String five = "{\"i\":0}\n".repeat(500);
    assertEquals(500, RecordDeaggregator.json().process(List.of(record(five))).delivered().size());
    String six = five + "{\"i\":1}";
    ProcessingResult r = RecordDeaggregator.json().process(List.of(record(six)));
    assertEquals(List.of(six), texts(r.delivered()));
    assertEquals(List.of(), r.failed());
  }

  // ---- DELIMITED ----

  @Test
  void delimited_records_are_split_at_the_base64_delimiter() {
    RecordDeaggregator d = RecordDeaggregator.from(processor("DELIMITED", "IyMjIw=="));
    ProcessingResult r = d.process(List.of(record("a####bb####c c"), record("no delimiter")));
    assertEquals(List.of("a", "bb", "c c", "no delimiter"), texts(r.delivered()));
  }

  @Test
  void delimited_splitting_drops_empty_pieces_and_passes_a_record_of_only_delimiters_whole() {
    RecordDeaggregator d = RecordDeaggregator.delimited("##".getBytes(UTF_8));
    assertEquals(List.of("a", "b"), texts(d.process(List.of(record("##a######b##"))).delivered()));
    assertEquals(List.of("####"), texts(d.process(List.of(record("####"))).delivered()));
    assertEquals(List.of(""), texts(d.process(List.of(record(""))).delivered()));
  }

  @Test
  void delimited_records_of_more_than_500_pieces_pass_whole() {
    RecordDeaggregator d = RecordDeaggregator.delimited("\n".getBytes(UTF_8));
    assertEquals(500, d.process(List.of(record("x\n".repeat(500)))).delivered().size());
    assertEquals(List.of("x\n".repeat(501)), texts(d.process(List.of(record("x\n".repeat(501)))).delivered()));
  }

  @Test
  void the_processor_configuration_names_json_or_delimited_with_a_base64_delimiter() {
    assertEquals(List.of("{}", "{}"), texts(RecordDeaggregator.from(processor("JSON", null))
        .process(List.of(record("{}{}"))).delivered()));
    assertThrows(IllegalArgumentException.class, () -> RecordDeaggregator.from(processor("KPL", null)));
    assertThrows(IllegalArgumentException.class, () -> RecordDeaggregator.from(processor("DELIMITED", null)));
    assertThrows(IllegalArgumentException.class, () -> RecordDeaggregator.from(processor("DELIMITED", "!!")));
    assertThrows(IllegalArgumentException.class, () -> RecordDeaggregator.from(processor("DELIMITED", "")));
  }

  // ---- KPL ----

  @Test
  void a_kpl_aggregate_gives_back_its_records_with_their_keys() {
    byte[] aggregate = KplAggregate.of(List.of("pk-a", "pk-b"), List.of("170141183460469231731687303715884105728"),
        Sub.of("one"), new Sub(1, 0, "two"), Sub.of(""), new Sub(1, -1, "four"));
    assertTrue(RecordDeaggregator.hasKplMagic(aggregate));
    List<KplRecord> records = RecordDeaggregator.deaggregateKpl(aggregate, "outer");
    assertEquals(4, records.size());
    assertEquals(List.of("pk-a", "pk-b", "pk-a", "pk-b"), records.stream().map(KplRecord::partitionKey).toList());
    assertEquals(List.of("one", "two", "", "four"), records.stream().map(k -> new String(k.data(), UTF_8)).toList());
    assertNull(records.get(0).explicitHashKey());
    assertEquals("170141183460469231731687303715884105728", records.get(1).explicitHashKey());
    assertEquals(List.of(0L, 1L, 2L, 3L), records.stream().map(KplRecord::subSequenceNumber).toList());
  }

  @Test
  void a_kpl_aggregate_in_a_delivery_stream_record_keeps_its_arrival_time() {
    byte[] aggregate = KplAggregate.of(List.of("p"), List.of(), Sub.of("x"), Sub.of("y"));
    List<FirehoseRecord> out = RecordDeaggregator.deaggregateKpl(new FirehoseRecord(aggregate, ARRIVAL));
    assertEquals(List.of("x", "y"), texts(out));
    assertTrue(out.stream().allMatch(r -> r.arrivalMillis() == ARRIVAL));
  }

  @Test
  void a_kpl_aggregate_with_a_corrupted_md5_passes_unchanged() {
    byte[] aggregate = KplAggregate.of(List.of("p"), List.of(), Sub.of("x"));
    aggregate[aggregate.length - 1] ^= 1;
    List<KplRecord> records = RecordDeaggregator.deaggregateKpl(aggregate, "outer");
    assertEquals(1, records.size());
    assertSame(aggregate, records.get(0).data());
    assertEquals("outer", records.get(0).partitionKey());
    FirehoseRecord in = new FirehoseRecord(aggregate, ARRIVAL);
    assertEquals(List.of(in), RecordDeaggregator.deaggregateKpl(in));
  }

  @Test
  void records_that_are_not_kpl_aggregates_pass_unchanged() {
    byte[] plain = "just a record, long enough to hold a digest".getBytes(UTF_8);
    assertSame(plain, RecordDeaggregator.deaggregateKpl(plain, "k").get(0).data());
    byte[] shortOne = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    assertSame(shortOne, RecordDeaggregator.deaggregateKpl(shortOne, "k").get(0).data());
    byte[] badIndex = KplAggregate.of(List.of("p"), List.of(), new Sub(1, -1, "x"));
    assertSame(badIndex, RecordDeaggregator.deaggregateKpl(badIndex, "k").get(0).data());
    byte[] empty = KplAggregate.of(List.of("p"), List.of());
    assertSame(empty, RecordDeaggregator.deaggregateKpl(empty, "k").get(0).data());
    byte[] garbage = KplAggregate.withMagicAndMd5(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    assertSame(garbage, RecordDeaggregator.deaggregateKpl(garbage, "k").get(0).data());
  }

  // ---- helpers ----

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), ARRIVAL);
  }

  private static List<String> texts(List<FirehoseRecord> records) {
    return records.stream().map(r -> new String(r.data(), UTF_8)).toList();
  }

  private static Processor processor(String subRecordType, String delimiter) {
    return new Processor("RecordDeAggregation", delimiter == null
        ? List.of(new ProcessorParameter("SubRecordType", subRecordType))
        : List.of(new ProcessorParameter("SubRecordType", subRecordType),
            new ProcessorParameter("Delimiter", delimiter)));
  }
}
