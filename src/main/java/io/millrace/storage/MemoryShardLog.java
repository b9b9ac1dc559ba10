package io.millrace.storage;

import java.util.Arrays;
import java.util.List;

/**
 * The in-memory {@link ShardLog} for {@code --in-memory} and tests: same semantics as {@link FileShardLog},
 * nothing survives the process, {@link #sync()} is a no-op and the recovery report is always clean.
 *
 * <p><b>Threading.</b> One appender and any number of concurrent readers, without locks: records live in an
 * array that the appender fills beyond the published count and then publishes with a new volatile snapshot
 * (growing means copying into a larger array first). A published slot is never written again, so a reader
 * working from one snapshot sees exactly the records of appends that had returned.
 */
public final class MemoryShardLog implements ShardLog {

  private record Snapshot(LogRecord[] records, int count) {}

  private volatile Snapshot snapshot = new Snapshot(new LogRecord[64], 0);
  private volatile boolean closed;

  @Override
  public long nextOffset() {
    return snapshot.count();
  }

  @Override
  public long startOffset() {
    return 0;
  }

  /** Rejects what the file log would reject (non-dense offsets, oversize records), so both behave alike. */
  @Override
  public void append(List<LogRecord> records) {
    if (closed) {
      throw new IllegalStateException("memory shard log is closed");
    }
    Snapshot current = snapshot;
    DenseOffsets.require(records, current.count());
    records.forEach(RecordCodec::requireEncodable);
    LogRecord[] slots = current.records();
    int count = current.count();
    if (count + records.size() > slots.length) {
      slots = Arrays.copyOf(slots, Math.max(slots.length * 2, count + records.size()));
    }
    for (LogRecord record : records) {
      slots[count++] = record;
    }
    snapshot = new Snapshot(slots, count);
  }

  @Override
  public void sync() {
    // nothing to make durable
  }

  @Override
  public List<LogRecord> read(long fromOffset, int maxRecords, long maxBytes) {
    ReadBatch batch = new ReadBatch(maxRecords, maxBytes);
    Snapshot current = snapshot;
    for (long offset = Math.max(fromOffset, 0); offset < current.count(); offset++) {
      if (!batch.tryAdd(current.records()[(int) offset]) || batch.full()) {
        break;
      }
    }
    return batch.records();
  }

  /** Binary search over arrival times, which are non-decreasing. */
  @Override
  public long offsetForTime(long epochMillis) {
    Snapshot current = snapshot;
    int low = 0;
    int high = current.count();
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (current.records()[middle].arrivalMillis() < epochMillis) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  @Override
  public long trimOlderThan(long cutoffMillis) {
    throw new UnsupportedOperationException("retention is not implemented yet");
  }

  @Override
  public RecoveryReport recoveryReport() {
    return RecoveryReport.clean(0);
  }

  @Override
  public void close() {
    closed = true;
  }
}
