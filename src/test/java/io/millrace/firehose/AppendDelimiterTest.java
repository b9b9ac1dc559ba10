package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppendDelimiterTest {

  @Test
  void each_record_gets_a_newline_after_its_data() {
    ProcessingResult r = AppendDelimiter.INSTANCE.process(List.of(record("a"), record(""), record("{\"x\":1}\n")));
    assertEquals(List.of("a\n", "\n", "{\"x\":1}\n\n"),
        r.delivered().stream().map(f -> new String(f.data(), UTF_8)).toList());
    assertEquals(List.of(), r.failed());
  }

  @Test
  void the_arrival_time_and_partition_keys_stay_and_the_original_bytes_are_not_changed() {
    byte[] data = "abc".getBytes(UTF_8);
    FirehoseRecord out = AppendDelimiter.appendTo(new FirehoseRecord(data, 42L, Map.of("k", "v")));
    assertEquals("abc", new String(data, UTF_8));
    assertEquals("abc\n", new String(out.data(), UTF_8));
    assertEquals(42L, out.arrivalMillis());
    assertEquals(Map.of("k", "v"), out.partitionKeys());
  }

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), 1L);
  }
}
