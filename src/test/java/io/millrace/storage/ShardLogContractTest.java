package io.millrace.storage;

import static io.millrace.storage.TestRecords.batch;
import static io.millrace.storage.TestRecords.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ShardLog} must have. Subclasses supply the implementation; file-specific
 * behaviour (reopening, recovery, faults) is tested in the subclass.
 */
abstract class ShardLogContractTest {

  protected ShardLog log;

  /** A new, empty log. Called once per test. */
  protected abstract ShardLog createLog() throws Exception;

  @BeforeEach
  void openLog() throws Exception {
    log = createLog();
  }

  @AfterEach
  void closeLog() throws Exception {
    log.close();
  }

  @Test
  void startsEmptyAtOffsetZero() throws Exception {
    assertEquals(0, log.nextOffset());
    assertEquals(0, log.startOffset());
    assertEquals(List.of(), log.read(0, 10, Long.MAX_VALUE));
    assertEquals(0, log.offsetForTime(0));
    assertTrue(!log.recoveryReport().droppedAnything());
  }

  @Test
  void discarding_from_an_offset_forgets_the_records_from_it_on_and_reads_stop_before_it() throws Exception {
    log.append(batch(0, 6, 40));
    log.append(batch(6, 4, 40));
    log.discardFrom(6);
    assertEquals(6, log.nextOffset());
    assertEquals(batch(0, 6, 40), log.read(0, 100, Long.MAX_VALUE));
    assertEquals(List.of(), log.read(6, 100, Long.MAX_VALUE));
    log.discardFrom(6); // nothing after the next offset: nothing to do
    assertEquals(6, log.nextOffset());
    assertThrows(IllegalArgumentException.class, () -> log.discardFrom(7));
  }

  @Test
  void readsBackEveryRecordInOrderAfterSeveralAppends() throws Exception {
    List<LogRecord> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      List<LogRecord> records = batch(written.size(), 1 + i * 7, 50 * i);
      log.append(records);
      written.addAll(records);
    }
    assertEquals(written.size(), log.nextOffset());
    assertEquals(written, log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE));
    assertEquals(written.subList(10, 20), log.read(10, 10, Long.MAX_VALUE));
  }

  @Test
  void stopsAtMaxRecords() throws Exception {
    log.append(batch(0, 10, 10));
    assertEquals(batch(3, 4, 10), log.read(3, 4, Long.MAX_VALUE));
  }

  @Test
  void stopsBeforeMaxBytesWouldBeExceeded() throws Exception {
    log.append(batch(0, 10, 100));
    long billedBytes = record(0, 100).billedBytes(); // "key-N" is 5 bytes for single-digit offsets
    assertEquals(batch(0, 3, 100), log.read(0, 100, 3 * billedBytes));
    assertEquals(batch(0, 2, 100), log.read(0, 100, 3 * billedBytes - 1));
  }

  @Test
  void returnsOneRecordEvenIfItAloneExceedsMaxBytes() throws Exception {
    log.append(batch(0, 3, 1_000));
    assertEquals(batch(1, 1, 1_000), log.read(1, 100, 10));
    assertEquals(batch(1, 1, 1_000), log.read(1, 100, 0));
  }

  @Test
  void returnsNothingAtOrBeyondTheTip() throws Exception {
    log.append(batch(0, 5, 10));
    assertEquals(List.of(), log.read(5, 10, Long.MAX_VALUE));
    assertEquals(List.of(), log.read(500, 10, Long.MAX_VALUE));
  }

  @Test
  void clampsAReadBelowTheStartOffsetUpToIt() throws Exception {
    log.append(batch(0, 3, 10));
    assertEquals(batch(0, 3, 10), log.read(-5, 10, Long.MAX_VALUE));
  }

  @Test
  void readsRecordsLargerThanAnyReadBufferBetweenSmallOnes() throws Exception {
    List<LogRecord> records = List.of(record(0, 10), record(1, 3 * 1024 * 1024), record(2, 10),
        record(3, 200_000), record(4, 10));
    log.append(records.subList(0, 2));
    log.append(records.subList(2, 5));
    assertEquals(records, log.read(0, 10, Long.MAX_VALUE));
    assertEquals(records.subList(1, 2), log.read(1, 10, 1_000));
    assertEquals(records.subList(3, 5), log.read(3, 10, Long.MAX_VALUE));
  }

  @Test
  void refusesOffsetsThatDoNotContinueDensely() throws Exception {
    log.append(batch(0, 2, 10));
    assertThrows(IllegalArgumentException.class, () -> log.append(batch(3, 1, 10)));
    assertThrows(IllegalArgumentException.class, () -> log.append(batch(1, 1, 10)));
    assertThrows(IllegalArgumentException.class, () -> log.append(List.of(record(2, 10), record(4, 10))));
    assertEquals(2, log.nextOffset());
    log.append(batch(2, 1, 10));
    assertEquals(batch(0, 3, 10), log.read(0, 10, Long.MAX_VALUE));
  }

  @Test
  void ignoresAnEmptyAppend() throws Exception {
    log.append(List.of());
    assertEquals(0, log.nextOffset());
  }

  @Test
  void findsTheFirstOffsetThatArrivedAtOrAfterATime() throws Exception {
    List<LogRecord> records = new ArrayList<>();
    long[] arrivals = {100, 100, 200, 200, 200, 300, 500, 500};
    for (int offset = 0; offset < arrivals.length; offset++) {
      records.add(record(offset, arrivals[offset], 2_000)); // large enough to get several index entries
    }
    log.append(records.subList(0, 4));
    log.append(records.subList(4, records.size()));
    assertEquals(0, log.offsetForTime(Long.MIN_VALUE));
    assertEquals(0, log.offsetForTime(100));
    assertEquals(2, log.offsetForTime(101));
    assertEquals(2, log.offsetForTime(200));
    assertEquals(5, log.offsetForTime(250));
    assertEquals(6, log.offsetForTime(301));
    assertEquals(6, log.offsetForTime(500));
    assertEquals(8, log.offsetForTime(501));
  }

  @Test
  void findsTimesAcrossManyRecords() throws Exception {
    for (int offset = 0; offset < 300; offset += 30) {
      log.append(batch(offset, 30, 300)); // record N arrives at 1000 * N
    }
    for (long offset = 0; offset < 300; offset += 17) {
      assertEquals(offset, log.offsetForTime(1_000 * offset));
      assertEquals(offset + 1, log.offsetForTime(1_000 * offset + 1));
    }
  }

  @Test
  void concurrentReaderSeesOnlyCompletePrefixesWhileAppendsRun() throws Exception {
    int batches = 200;
    int recordsPerBatch = 5;
    int total = batches * recordsPerBatch;
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> appender = threads.submit(() -> {
        for (int i = 0; i < batches; i++) {
          log.append(batch((long) i * recordsPerBatch, recordsPerBatch, 100 + i));
        }
        return null;
      });
      Future<Integer> reader = threads.submit(() -> {
        int reads = 0;
        long seen = 0;
        while (seen < total) {
          long visibleBefore = log.nextOffset();
          List<LogRecord> records = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE);
          assertTrue(records.size() >= visibleBefore, "a read lost records that were already visible");
          assertEquals(0, records.size() % recordsPerBatch, "a read saw part of a batch");
          for (int i = 0; i < records.size(); i++) {
            int batchIndex = i / recordsPerBatch;
            assertEquals(record(i, 100 + batchIndex), records.get(i));
          }
          seen = records.size();
          reads++;
        }
        return reads;
      });
      appender.get();
      assertTrue(reader.get() > 0);
      assertEquals(total, log.nextOffset());
    } finally {
      threads.shutdownNow();
    }
  }

  // Retention. Record N of TestRecords arrives at 1000 * N.

  @Test
  void trimming_before_the_oldest_arrival_keeps_every_record() throws Exception {
    log.append(batch(0, 20, 300));
    assertEquals(0, log.trimOlderThan(0));
    assertEquals(0, log.startOffset());
    assertEquals(batch(0, 20, 300), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void trimming_keeps_every_record_that_arrived_at_or_after_the_cutoff() throws Exception {
    for (int offset = 0; offset < 200; offset += 10) {
      log.append(batch(offset, 10, 300));
    }
    long startOffset = log.trimOlderThan(150_000);
    assertEquals(startOffset, log.startOffset());
    assertTrue(startOffset > 0 && startOffset <= 150, "start offset " + startOffset);
    assertEquals(batch(startOffset, (int) (200 - startOffset), 300), log.read(0, 1_000, Long.MAX_VALUE));
    assertEquals(200, log.nextOffset());
  }

  @Test
  void a_read_below_the_start_offset_after_a_trim_is_clamped_up_to_it() throws Exception {
    for (int offset = 0; offset < 200; offset += 10) {
      log.append(batch(offset, 10, 300));
    }
    long startOffset = log.trimOlderThan(100_000);
    assertEquals(batch(startOffset, 3, 300), log.read(0, 3, Long.MAX_VALUE));
    assertEquals(batch(startOffset, 3, 300), log.read(-1, 3, Long.MAX_VALUE));
  }

  @Test
  void a_time_lookup_after_a_trim_never_answers_below_the_start_offset() throws Exception {
    for (int offset = 0; offset < 200; offset += 10) {
      log.append(batch(offset, 10, 300));
    }
    long startOffset = log.trimOlderThan(100_000);
    assertEquals(startOffset, log.offsetForTime(Long.MIN_VALUE));
    assertEquals(startOffset, log.offsetForTime(0));
    assertEquals(150, log.offsetForTime(150_000));
  }

  @Test
  void trimming_past_every_arrival_empties_the_log_but_keeps_its_next_offset() throws Exception {
    log.append(batch(0, 10, 300));
    assertEquals(10, log.trimOlderThan(Long.MAX_VALUE));
    assertEquals(10, log.startOffset());
    assertEquals(10, log.nextOffset());
    assertEquals(List.of(), log.read(0, 10, Long.MAX_VALUE));
    assertEquals(10, log.offsetForTime(0));

    log.append(batch(10, 2, 300));
    assertEquals(batch(10, 2, 300), log.read(0, 10, Long.MAX_VALUE));
    assertEquals(10, log.startOffset());
  }

  @Test
  void trimming_an_empty_log_changes_nothing() throws Exception {
    assertEquals(0, log.trimOlderThan(Long.MAX_VALUE));
    assertEquals(0, log.nextOffset());
    log.append(batch(0, 1, 10));
    assertEquals(0, log.trimOlderThan(0));
    assertEquals(batch(0, 1, 10), log.read(0, 10, Long.MAX_VALUE));
  }

  @Test
  void trimming_again_with_a_later_cutoff_moves_the_start_further() throws Exception {
    for (int offset = 0; offset < 200; offset += 10) {
      log.append(batch(offset, 10, 300));
    }
    long first = log.trimOlderThan(60_000);
    long second = log.trimOlderThan(140_000);
    assertTrue(first <= 60 && second <= 140 && first < second, first + " then " + second);
    assertEquals(second, log.trimOlderThan(140_000));
    assertEquals(batch(second, (int) (200 - second), 300), log.read(0, 1_000, Long.MAX_VALUE));
  }
}
