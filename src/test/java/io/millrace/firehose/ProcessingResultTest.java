package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessingResultTest {

  @Test
  void processors_chain_in_order_and_their_failures_add_up() {
    List<FirehoseRecord> in = List.of(record("{\"c\":\"x\"}{\"c\":\"y\"}{\"d\":1}"), record("[broken"),
        record("{\"c\":\"z\"}"));
    ProcessingResult r = ProcessingResult.of(in)
        .then(RecordDeaggregator.json())
        .then(new MetadataExtractor(JqQuery.compile("{c: .c}")))
        .then(AppendDelimiter.INSTANCE);
    assertEquals(List.of("{\"c\":\"x\"}\n", "{\"c\":\"y\"}\n", "{\"c\":\"z\"}\n"),
        r.delivered().stream().map(f -> new String(f.data(), UTF_8)).toList());
    assertEquals(List.of(Map.of("c", "x"), Map.of("c", "y"), Map.of("c", "z")),
        r.delivered().stream().map(FirehoseRecord::partitionKeys).toList());
    assertEquals(List.of("RecordDeAggregation.InvalidJson", "DynamicPartitioning.MetadataExtractionFailed"),
        r.failed().stream().map(FailedRecord::errorCode).toList());
    assertEquals(List.of("[broken", "{\"d\":1}"), r.failed().stream().map(f -> new String(f.rawData(), UTF_8))
        .toList());
  }

  @Test
  void a_processor_is_not_called_once_no_record_is_left() {
    ProcessingResult none = new ProcessingResult(List.of(), List.of());
    assertEquals(none, none.then(records -> {
      throw new AssertionError("called with " + records);
    }));
  }

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), 5L);
  }
}
