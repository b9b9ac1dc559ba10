package io.millrace.storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The in-memory sparse index of one segment: for the segment's first record and then for one record about every
 * {@value #INTERVAL_BYTES} bytes, its offset, file position and arrival time. Rebuilt by scanning the segment
 * when no index file can be trusted.
 *
 * <p><b>Threading.</b> One writer ({@link #maybeAdd}) and any number of concurrent readers. Entries are
 * published through a volatile snapshot; a slot is written before the snapshot that first includes it and
 * never changed afterwards, so readers need no lock. Readers may see entries for records appended after the
 * log state they are working from and must ignore entries at or beyond their visible end offset.
 *
 * <p>Sealed segments persist their index in a {@link SegmentIndexFile}, and the active one in checkpoints of the
 * same format, so that opening the log can {@link #load} it instead of scanning the segment; the file carries its
 * own CRC (a wrong entry would misplace reads).
 */
final class SparseIndex {

  /**
   * Aim for one entry per this many bytes of records: 16 KiB, about 16 MB of heap (24 bytes an entry) per 10 GiB of
   * data. Design note: it was 4 KiB (about 63 MB per 10 GiB); random single-record reads measured the same at both
   * (JMH randomRead, 200 MB log of 1 KiB records: 77.8k ops/s at 4 KiB, 78.2k at 16 KiB), because a read fetches a
   * 64 KiB buffer from the index entry anyway and checks a few more frames in memory. See README.
   */
  static final int INTERVAL_BYTES = 16 * 1024;

  /** An index entry, or a starting point for a scan. */
  record Entry(long offset, long position, long arrivalMillis) {}

  private record Entries(long[] offsets, long[] positions, long[] arrivalMillis, int count) {}

  private volatile Entries published = new Entries(new long[16], new long[16], new long[16], 0);
  /** Writer only. Starts one interval before position 0 so the first record is always indexed. */
  private long lastIndexedPosition = -INTERVAL_BYTES;

  /** Writer only: indexes the record at {@code position} if it is the first or far enough from the last entry. */
  void maybeAdd(long offset, long position, long arrivalMillis) {
    if (position - lastIndexedPosition < INTERVAL_BYTES) {
      return;
    }
    Entries current = published;
    int count = current.count();
    long[] offsets = current.offsets();
    long[] positions = current.positions();
    long[] arrivals = current.arrivalMillis();
    if (count == offsets.length) {
      offsets = Arrays.copyOf(offsets, count * 2);
      positions = Arrays.copyOf(positions, count * 2);
      arrivals = Arrays.copyOf(arrivals, count * 2);
    }
    offsets[count] = offset;
    positions[count] = position;
    arrivals[count] = arrivalMillis;
    lastIndexedPosition = position;
    published = new Entries(offsets, positions, arrivals, count + 1);
  }

  /** The first indexed record (the segment's first record), if it is below {@code visibleEndOffset}. */
  Entry first(long visibleEndOffset) {
    Entries entries = published;
    if (entries.count() == 0 || entries.offsets()[0] >= visibleEndOffset) {
      return null;
    }
    return entry(entries, 0);
  }

  /** The last entry with an offset at or below {@code offset}, or null if there is none. */
  Entry floor(long offset) {
    Entries entries = published;
    int low = 0;
    int high = entries.count() - 1;
    int found = -1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      if (entries.offsets()[middle] <= offset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? null : entry(entries, found);
  }

  /**
   * The last entry below {@code visibleEndOffset} that arrived before {@code epochMillis}, or null. Relies on
   * arrival times being non-decreasing.
   */
  Entry lastArrivedBefore(long epochMillis, long visibleEndOffset) {
    Entries entries = published;
    int low = 0;
    int high = entries.count() - 1;
    int found = -1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      if (entries.arrivalMillis()[middle] < epochMillis && entries.offsets()[middle] < visibleEndOffset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? null : entry(entries, found);
  }

  int size() {
    return published.count();
  }

  /** Every entry, in offset order. */
  List<Entry> entries() {
    Entries entries = published;
    List<Entry> all = new ArrayList<>(entries.count());
    for (int i = 0; i < entries.count(); i++) {
      all.add(entry(entries, i));
    }
    return all;
  }

  /**
   * Writer only, on an empty index not yet visible to readers: takes entries read from an index file. The arrays
   * are handed over (not copied) and must be equally long.
   */
  void load(long[] offsets, long[] positions, long[] arrivalMillis) {
    if (published.count() != 0) {
      throw new IllegalStateException("load into an index that already has " + published.count() + " entries");
    }
    int count = offsets.length;
    if (count == 0) {
      return;
    }
    published = new Entries(offsets, positions, arrivalMillis, count);
    lastIndexedPosition = positions[count - 1];
  }

  private static Entry entry(Entries entries, int index) {
    return new Entry(entries.offsets()[index], entries.positions()[index], entries.arrivalMillis()[index]);
  }
}
