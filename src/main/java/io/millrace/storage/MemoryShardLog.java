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
 *
 * <p><b>Retention.</b> {@link #trimOlderThan} copies the records that remain into a new array and publishes it
 * with the new start offset; the old array (and the expired records with it) becomes garbage once the readers
 * still working from older snapshots are done. A read that races a trim therefore simply returns what its
 * snapshot held.
 *
 * <p>Design note: the memory log trims record by record, as if every record were a segment of its own. The
 * contract allows it (a file log keeps expired records that share a segment with newer ones; this one keeps
 * none), and it frees memory as early as possible.
 */
public final class MemoryShardLog implements ShardLog {

  private static final int INITIAL_SLOTS = 64;

  /** Slot {@code i} of {@code records} holds the record at offset {@code startOffset + i}, for i below count. */
  private record Snapshot(LogRecord[] records, long startOffset, int count) {
    long nextOffset() {
      return startOffset + count;
    }

    /** Index of the first record that arrived at or after {@code epochMillis} (arrivals are non-decreasing). */
    int firstArrivedAtOrAfter(long epochMillis) {
      int low = 0;
      int high = count;
      while (low < high) {
        int middle = (low + high) >>> 1;
        if (records[middle].arrivalMillis() < epochMillis) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      return low;
    }
  }

  private volatile Snapshot snapshot = new Snapshot(new LogRecord[INITIAL_SLOTS], 0, 0);
  private volatile boolean closed;

  @Override
  public long nextOffset() {
    return snapshot.nextOffset();
  }

  @Override
  public long startOffset() {
    return snapshot.startOffset();
  }

  /** Rejects what the file log would reject (non-dense offsets, oversize records), so both behave alike. */
  @Override
  public void append(List<LogRecord> records) {
    if (closed) {
      throw new IllegalStateException("memory shard log is closed");
    }
    Snapshot current = snapshot;
    DenseOffsets.require(records, current.nextOffset());
    records.forEach(RecordCodec::requireEncodable);
    LogRecord[] slots = current.records();
    int count = current.count();
    if (count + records.size() > slots.length) {
      slots = Arrays.copyOf(slots, Math.max(slots.length * 2, count + records.size()));
    }
    for (LogRecord record : records) {
      slots[count++] = record;
    }
    snapshot = new Snapshot(slots, current.startOffset(), count);
  }

  @Override
  public void sync() {
    // nothing to make durable
  }

  /** Drops the records from {@code offset} on, into a fresh array (readers may still hold the old one). */
  @Override
  public void discardFrom(long offset) {
    Snapshot current = snapshot;
    DiscardRange.require(offset, current.startOffset(), current.nextOffset());
    int kept = (int) (offset - current.startOffset());
    snapshot = new Snapshot(Arrays.copyOf(current.records(), Math.max(INITIAL_SLOTS, kept)), current.startOffset(),
        kept);
  }

  @Override
  public List<LogRecord> read(long fromOffset, int maxRecords, long maxBytes) {
    ReadBatch batch = new ReadBatch(maxRecords, maxBytes);
    Snapshot current = snapshot;
    for (long offset = Math.max(fromOffset, current.startOffset()); offset < current.nextOffset(); offset++) {
      if (!batch.tryAdd(current.records()[(int) (offset - current.startOffset())]) || batch.full()) {
        break;
      }
    }
    return batch.records();
  }

  /** Binary search over arrival times, which are non-decreasing. */
  @Override
  public long offsetForTime(long epochMillis) {
    Snapshot current = snapshot;
    return current.startOffset() + current.firstArrivedAtOrAfter(epochMillis);
  }

  /** Drops every record that arrived before the cutoff; see the class note on retention. */
  @Override
  public long trimOlderThan(long cutoffMillis) {
    if (closed) {
      throw new IllegalStateException("memory shard log is closed");
    }
    Snapshot current = snapshot;
    int expired = current.firstArrivedAtOrAfter(cutoffMillis);
    if (expired == 0) {
      return current.startOffset();
    }
    int remaining = current.count() - expired;
    LogRecord[] slots = new LogRecord[Math.max(INITIAL_SLOTS, remaining * 2)];
    System.arraycopy(current.records(), expired, slots, 0, remaining);
    Snapshot trimmed = new Snapshot(slots, current.startOffset() + expired, remaining);
    snapshot = trimmed;
    return trimmed.startOffset();
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
