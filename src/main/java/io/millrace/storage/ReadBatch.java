package io.millrace.storage;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the records of one {@link ShardLog#read} under its limits, so every implementation applies the same
 * rule: stop before {@code maxRecords} records or before the billed bytes would exceed {@code maxBytes}, but
 * always take the first record.
 *
 * <p><b>Threading.</b> Confined to the reading thread.
 */
final class ReadBatch {
  private final int maxRecords;
  private final long maxBytes;
  private final List<LogRecord> records = new ArrayList<>();
  private long billedBytes;

  ReadBatch(int maxRecords, long maxBytes) {
    if (maxRecords < 1) {
      throw new IllegalArgumentException("maxRecords must be at least 1, was " + maxRecords);
    }
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
    }
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
  }

  /** Adds {@code record} unless it would break the byte limit; returns whether it was added. */
  boolean tryAdd(LogRecord record) {
    if (!records.isEmpty() && billedBytes + record.billedBytes() > maxBytes) {
      return false;
    }
    records.add(record);
    billedBytes += record.billedBytes();
    return true;
  }

  boolean full() {
    return records.size() >= maxRecords;
  }

  List<LogRecord> records() {
    return records;
  }
}
