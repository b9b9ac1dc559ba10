package io.millrace.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class SparseIndexTest {

  /** 1,000 records of 1 KiB each from position 13, record N arriving at 10 * (N / 2). */
  private static SparseIndex indexOfKibibyteRecords() {
    SparseIndex index = new SparseIndex();
    for (int offset = 0; offset < 1_000; offset++) {
      index.maybeAdd(offset, 13 + 1024L * offset, 10L * (offset / 2));
    }
    return index;
  }

  @Test
  void indexesTheFirstRecordAndThenOneRecordPerIntervalOfBytes() {
    SparseIndex index = indexOfKibibyteRecords();
    assertEquals(63, index.size()); // one per 16 records: offsets 0, 16, ..., 992
    assertEquals(new SparseIndex.Entry(0, 13, 0), index.first(Long.MAX_VALUE));
    assertEquals(new SparseIndex.Entry(16, 13 + 16 * 1024, 80), index.floor(16));
  }

  @Test
  void floorFindsTheEntryAtOrBelowAnOffset() {
    SparseIndex index = indexOfKibibyteRecords();
    assertEquals(new SparseIndex.Entry(0, 13, 0), index.floor(15));
    assertEquals(new SparseIndex.Entry(992, 13 + 1024L * 992, 4_960), index.floor(999));
    assertNull(index.floor(-1));
  }

  @Test
  void findsTheLastEntryThatArrivedBeforeATime() {
    SparseIndex index = indexOfKibibyteRecords();
    assertNull(index.lastArrivedBefore(0, Long.MAX_VALUE));
    assertEquals(0, index.lastArrivedBefore(1, Long.MAX_VALUE).offset());
    assertEquals(0, index.lastArrivedBefore(80, Long.MAX_VALUE).offset());
    assertEquals(16, index.lastArrivedBefore(81, Long.MAX_VALUE).offset());
  }

  @Test
  void ignoresEntriesAtOrBeyondTheVisibleEnd() {
    SparseIndex index = indexOfKibibyteRecords();
    assertEquals(96, index.lastArrivedBefore(Long.MAX_VALUE, 100).offset());
    assertNull(index.first(0));
  }
}
