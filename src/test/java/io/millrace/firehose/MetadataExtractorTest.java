package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.ProcessorParameter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetadataExtractorTest {

  private static final long ARRIVAL = 1_700_000_000_000L;

  @Test
  void the_query_gives_each_record_its_partition_keys_and_leaves_its_data_alone() {
    MetadataExtractor m = extractor("{customer_id: .customer_id, device: .type.device}");
    FirehoseRecord in = record("{\"customer_id\":\"c-1\",\"type\":{\"device\":\"mobile\"},\"n\":7}\n");
    ProcessingResult r = m.process(List.of(in));
    assertEquals(1, r.delivered().size());
    FirehoseRecord out = r.delivered().get(0);
    assertEquals(Map.of("customer_id", "c-1", "device", "mobile"), out.partitionKeys());
    assertSame(in.data(), out.data());
    assertEquals(ARRIVAL, out.arrivalMillis());
  }

  @Test
  void strftime_formats_epoch_seconds_in_utc() {
    MetadataExtractor m = extractor("{year: .ts|strftime(\"%Y\"), month: .ts|strftime(\"%m\"), "
        + "day: .ts|strftime(\"%d\"), hour: .ts|strftime(\"%H\")}");
    ProcessingResult r = m.process(List.of(record("{\"ts\":1507217624}")));
    assertEquals(Map.of("year", "2017", "month", "10", "day", "05", "hour", "15"),
        r.delivered().get(0).partitionKeys());
  }

  @Test
  void numbers_and_booleans_become_their_text_and_the_record_s_earlier_keys_stay() {
    MetadataExtractor m = extractor("{n: .n, b: .b, shared: .s}");
    FirehoseRecord in = new FirehoseRecord("{\"n\":12,\"b\":true,\"s\":\"q\"}".getBytes(UTF_8), ARRIVAL,
        Map.of("fromLambda", "l", "shared", "lambda"));
    assertEquals(Map.of("n", "12", "b", "true", "shared", "q", "fromLambda", "l"),
        m.process(List.of(in)).delivered().get(0).partitionKeys());
  }

  @Test
  void a_record_that_is_not_one_json_value_fails_as_non_json() {
    MetadataExtractor m = extractor("{k: .k}");
    for (String bad : List.of("not json", "{\"k\":1}{\"k\":2}", "{\"k\":", "")) {
      ProcessingResult r = m.process(List.of(record(bad), record("{\"k\":\"ok\"}")));
      assertEquals(1, r.delivered().size(), bad);
      FailedRecord f = r.failed().get(0);
      assertEquals("DynamicPartitioning.MetadataExtractionFailed", f.errorCode());
      assertEquals("Non JSON record provided", f.errorMessage());
      assertEquals(bad, new String(f.rawData(), UTF_8));
      assertEquals(ARRIVAL, f.arrivalMillis());
      assertEquals(1, f.attemptsMade());
    }
  }

  @Test
  void a_query_that_fails_or_gives_a_null_or_empty_key_fails_the_record_with_why() {
    MetadataExtractor m = extractor("{k: .k, year: .ts|strftime(\"%Y\")}");
    ProcessingResult r = m.process(List.of(record("{\"ts\":1}"), record("{\"k\":\"\",\"ts\":1}"),
        record("{\"k\":\"a\",\"ts\":\"not a number\"}"), record("[1,2]")));
    assertEquals(List.of(), r.delivered());
    assertEquals(4, r.failed().size());
    assertTrue(r.failed().stream().allMatch(f -> f.errorCode().equals("DynamicPartitioning.MetadataExtractionFailed")));
    assertTrue(r.failed().get(0).errorMessage().contains("k is null"), r.failed().get(0).errorMessage());
    assertTrue(r.failed().get(1).errorMessage().contains("k is empty"), r.failed().get(1).errorMessage());
    assertTrue(r.failed().get(2).errorMessage().contains("strftime"), r.failed().get(2).errorMessage());
    assertTrue(r.failed().get(3).errorMessage().startsWith("jq: error"), r.failed().get(3).errorMessage());
  }

  @Test
  void the_processor_configuration_needs_a_jq_query_and_the_jq_1_6_engine() {
    Processor ok = new Processor("MetadataExtraction", List.of(
        new ProcessorParameter("MetadataExtractionQuery", "{k: .k}"),
        new ProcessorParameter("JsonParsingEngine", "JQ-1.6")));
    assertEquals(Map.of("k", "v"), MetadataExtractor.from(ok).process(List.of(record("{\"k\":\"v\"}")))
        .delivered().get(0).partitionKeys());
    assertThrows(IllegalArgumentException.class, () -> MetadataExtractor.from(new Processor("MetadataExtraction",
        List.of(new ProcessorParameter("JsonParsingEngine", "JQ-1.6")))));
    assertThrows(IllegalArgumentException.class, () -> MetadataExtractor.from(new Processor("MetadataExtraction",
        List.of(new ProcessorParameter("MetadataExtractionQuery", "{k: .k}"),
            new ProcessorParameter("JsonParsingEngine", "JQ-1.5")))));
    assertThrows(IllegalArgumentException.class, () -> MetadataExtractor.from(new Processor("MetadataExtraction",
        List.of(new ProcessorParameter("MetadataExtractionQuery", "{k: if}")))));
  }

  private static MetadataExtractor extractor(String query) {
    return new MetadataExtractor(JqQuery.compile(query));
  }

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), ARRIVAL);
  }
}
