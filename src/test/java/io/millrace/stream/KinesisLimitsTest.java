package io.millrace.stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.storage.RecordCodec;
import org.junit.jupiter.api.Test;

class KinesisLimitsTest {

  @Test
  void the_storage_format_holds_the_largest_record_kinesis_accepts() {
    assertTrue(KinesisLimits.MAX_RECORD_DATA_BYTES <= RecordCodec.MAX_DATA_BYTES);
  }
}
