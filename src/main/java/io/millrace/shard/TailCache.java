package io.millrace.shard;

import io.millrace.storage.LogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The newest acknowledged records of one shard, kept in memory so that readers at the tip never touch disk.
 * Holds a contiguous run of offsets {@code [firstOffset, endOffset)}, bounded by bytes per shard and by a
 * {@link TailCacheBudget} shared by all shards (oldest evicted first).
 * Owned by one shard context; not thread-safe.
 */
final class TailCache {

  private final long maxBytes;
  private final TailCacheBudget budget;
  private LogRecord[] ring = new LogRecord[64];
  private int head;
  private int size;
  private long bytes;
  private long firstOffset;

  TailCache(long maxBytes, long nextOffset, TailCacheBudget budget) {
    this.maxBytes = maxBytes;
    this.firstOffset = nextOffset;
    this.budget = budget;
  }

  /** Drops everything (the shard stops), giving its bytes back to the budget. */
  void clear() {
    while (size > 0) {
      evictOldest();
    }
  }

  private void evictOldest() {
    LogRecord old = ring[head];
    ring[head] = null;
    head = (head + 1) % ring.length;
    size--;
    bytes -= old.billedBytes();
    budget.release(old.billedBytes());
    firstOffset++;
  }

  /** Adds records that directly follow the cached run. */
  void addAll(List<LogRecord> records) {
    if (maxBytes == 0) {
      if (!records.isEmpty()) {
        firstOffset = records.get(records.size() - 1).offset() + 1;
      }
      return;
    }
    for (LogRecord r : records) {
      assert r.offset() == firstOffset + size : "tail cache offsets must be contiguous";
      if (size == ring.length) {
        grow();
      }
      ring[(head + size) % ring.length] = r;
      size++;
      bytes += r.billedBytes();
      budget.reserve(r.billedBytes());
    }
    while (size > 0 && (bytes > maxBytes || budget.exceeded())) {
      evictOldest();
    }
  }

  private void grow() {
    LogRecord[] bigger = new LogRecord[ring.length * 2];
    for (int i = 0; i < size; i++) {
      bigger[i] = ring[(head + i) % ring.length];
    }
    ring = bigger;
    head = 0;
  }

  /** Whether a read starting at {@code offset} can be served from memory. */
  boolean covers(long offset) {
    return offset >= firstOffset;
  }

  /** Records from {@code offset} on, within the limits (at least one record if any exists). */
  List<LogRecord> read(long offset, int maxRecords, long maxBytes) {
    List<LogRecord> out = new ArrayList<>(Math.min(maxRecords, Math.max(0, (int) (firstOffset + size - offset))));
    long total = 0;
    for (long o = offset; o < firstOffset + size && out.size() < maxRecords; o++) {
      LogRecord r = ring[(int) ((head + (o - firstOffset)) % ring.length)];
      if (!out.isEmpty() && total + r.billedBytes() > maxBytes) {
        break;
      }
      total += r.billedBytes();
      out.add(r);
    }
    return out;
  }
}
