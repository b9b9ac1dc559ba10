package io.millrace.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Deterministic records for storage tests: content is derived from the offset, so reads can be verified. */
final class TestRecords {
  private TestRecords() {}

  /** A record whose data is {@code dataBytes} bytes derived from the offset and which arrived at 1000 * offset. */
  static LogRecord record(long offset, int dataBytes) {
    return record(offset, 1_000 * offset, dataBytes);
  }

  static LogRecord record(long offset, long arrivalMillis, int dataBytes) {
    byte[] data = new byte[dataBytes];
    for (int i = 0; i < dataBytes; i++) {
      data[i] = (byte) (offset * 31 + i);
    }
    byte[] hashKey = offset % 3 == 0 ? null : ("hash-key-" + (offset % 10) + "-abcdef").substring(0, 16)
        .getBytes(StandardCharsets.US_ASCII);
    return new LogRecord(offset, arrivalMillis, "key-" + offset, hashKey, (int) (offset % 2), data);
  }

  /** Records {@code fromOffset .. fromOffset+count-1}, each with {@code dataBytes} of data. */
  static List<LogRecord> batch(long fromOffset, int count, int dataBytes) {
    List<LogRecord> records = new ArrayList<>(count);
    for (long offset = fromOffset; offset < fromOffset + count; offset++) {
      records.add(record(offset, dataBytes));
    }
    return records;
  }

  /**
   * {@code report} without its byte counts (bytesTrusted, bytesScanned), for tests that check only the counts of
   * records and segments and whether the active segment came from its checkpoint.
   */
  static RecoveryReport countsOf(RecoveryReport report) {
    return new RecoveryReport(report.recordsRecovered(), report.recordsDropped(), report.bytesDropped(),
        report.detail(), report.segmentsFromIndex(), report.segmentsScanned(), report.indexesWritten(),
        report.activeFromCheckpoint(), 0, 0);
  }
}
