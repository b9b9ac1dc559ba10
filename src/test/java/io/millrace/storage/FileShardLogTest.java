package io.millrace.storage;

import static io.millrace.storage.TestRecords.batch;
import static io.millrace.storage.TestRecords.countsOf;
import static io.millrace.storage.TestRecords.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FaultySegmentIo;
import io.millrace.testing.FaultySegmentIo.Fault;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileShardLogTest extends ShardLogContractTest {

  /** Small enough that the contract tests roll across segments too. */
  private static final long SMALL_SEGMENT_BYTES = 16 * 1024;

  @TempDir
  Path directory;

  @Override
  protected ShardLog createLog() throws IOException {
    return FileShardLog.open(directory, SMALL_SEGMENT_BYTES);
  }

  private FileShardLog reopen() throws IOException {
    log.close();
    FileShardLog reopened = FileShardLog.open(directory, SMALL_SEGMENT_BYTES);
    log = reopened;
    return reopened;
  }

  /** Closes the log and deletes the active segment's checkpoint, as if the log had crashed before taking one. */
  private void closeAsIfCrashed() throws IOException {
    log.close();
    Files.delete(lastSegment().resolveSibling(SegmentFormat.indexFileName(
        SegmentFormat.baseOffsetOf(lastSegment()))));
  }

  @Test
  void readsBackEveryRecordInOrderAfterReopen() throws Exception {
    List<LogRecord> written = new ArrayList<>();
    for (int offset = 0; offset < 120; offset += 12) {
      List<LogRecord> records = batch(offset, 12, 400);
      log.append(records);
      written.addAll(records);
    }
    log.sync();
    FileShardLog reopened = reopen();
    assertEquals(new RecoveryReport(120, 0, 0, "", 3, 0, 0, true, 0, 0), countsOf(reopened.recoveryReport()));
    assertEquals(120, reopened.nextOffset());
    assertEquals(written, reopened.read(0, Integer.MAX_VALUE, Long.MAX_VALUE));
    assertEquals(96, reopened.offsetForTime(96_000));
    reopened.append(batch(120, 1, 10));
    assertEquals(batch(120, 1, 10), reopened.read(120, 10, Long.MAX_VALUE));
  }

  @Test
  void rollsIntoSeveralSegmentsNamedByBaseOffsetAndReadsAcrossTheirBoundaries() throws Exception {
    log.close();
    log = FileShardLog.open(directory, 4096);
    List<LogRecord> written = new ArrayList<>();
    for (int offset = 0; offset < 90; offset += 3) {
      List<LogRecord> records = batch(offset, 3, 500);
      log.append(records);
      written.addAll(records);
    }
    List<String> names = segmentNames();
    assertTrue(names.size() >= 10, "expected many segments, got " + names);
    assertEquals("00000000000000000000.log", names.get(0));
    assertEquals(names.size(), ((FileShardLog) log).segmentCount());
    for (int from = 0; from < 90; from += 5) {
      assertEquals(written.subList(from, Math.min(90, from + 7)), log.read(from, 7, Long.MAX_VALUE));
    }
    assertEquals(written, log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE));
    for (long offset = 0; offset < 90; offset += 4) {
      assertEquals(offset, log.offsetForTime(1_000 * offset));
    }
    log.close();
    log = FileShardLog.open(directory, 4096);
    assertEquals(new RecoveryReport(90, 0, 0, "", 14, 0, 0, true, 0, 0), countsOf(log.recoveryReport()));
    assertEquals(written, log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE));
    assertEquals(names, segmentNames());
  }

  @Test
  void givesABatchLargerThanASegmentASegmentOfItsOwn() throws Exception {
    log.append(batch(0, 1, 10));
    log.append(batch(1, 40, 1_000)); // ~41 KB, more than the 16 KiB segment size
    log.append(batch(41, 1, 10));
    assertEquals(List.of("00000000000000000000.log", "00000000000000000001.log", "00000000000000000041.log"),
        segmentNames());
    assertEquals(42, log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE).size());
  }

  @Test
  void truncatesATornLastRecordAndContinuesAtItsOffset() throws Exception {
    log.append(batch(0, 10, 100));
    log.close();
    Path segment = lastSegment();
    long sizeBytes = Files.size(segment);
    truncate(segment, sizeBytes - 20);

    FileShardLog reopened = reopen();
    RecoveryReport report = reopened.recoveryReport();
    assertEquals(9, report.recordsRecovered());
    assertEquals(1, report.recordsDropped());
    assertEquals(RecordCodec.encodedBytes(record(9, 100)) - 20, report.bytesDropped());
    assertTrue(report.detail().contains("offset 9"), report.detail());
    assertEquals(9, reopened.nextOffset());
    assertEquals(sizeBytes - RecordCodec.encodedBytes(record(9, 100)), Files.size(segment));

    reopened.append(batch(9, 2, 100));
    assertEquals(new RecoveryReport(11, 0, 0, "", 0, 0, 0, true, 0, 0), countsOf(reopen().recoveryReport()));
    assertEquals(batch(0, 11, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void dropsALastRecordWhoseCrcNoLongerMatches() throws Exception {
    log.append(batch(0, 10, 100));
    closeAsIfCrashed();
    Path segment = lastSegment();
    long sizeBytes = Files.size(segment);
    flipByte(segment, sizeBytes - 30); // inside the data of offset 9

    RecoveryReport report = reopen().recoveryReport();
    assertEquals(9, report.recordsRecovered());
    assertEquals(1, report.recordsDropped());
    assertEquals(RecordCodec.encodedBytes(record(9, 100)), report.bytesDropped());
    assertTrue(report.detail().contains("CRC32C mismatch"), report.detail());
    assertEquals(batch(0, 9, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void dropsACorruptRecordAndEverythingAfterItInTheLastSegment() throws Exception {
    log.append(batch(0, 10, 100));
    closeAsIfCrashed();
    long offset5Position = SegmentFormat.HEADER_BYTES + encodedBytes(batch(0, 5, 100));
    flipByte(lastSegment(), offset5Position + 40);

    RecoveryReport report = reopen().recoveryReport();
    assertEquals(new RecoveryReport(5, 5, encodedBytes(batch(5, 5, 100)), report.detail(), 0, 1, 0, false, 0, 0),
        countsOf(report));
    assertTrue(report.detail().contains("position " + offset5Position), report.detail());
    assertEquals(5, log.nextOffset());
  }

  @Test
  void truncatesGarbageAfterTheLastRecord() throws Exception {
    log.append(batch(0, 4, 100));
    log.close();
    Path segment = lastSegment();
    byte[] garbage = new byte[100];
    Arrays.fill(garbage, (byte) 0xFF);
    Files.write(segment, garbage, StandardOpenOption.APPEND);

    RecoveryReport report = reopen().recoveryReport();
    assertEquals(new RecoveryReport(4, 1, 100, report.detail(), 0, 0, 0, true, 0, 0), countsOf(report));
    assertTrue(report.detail().contains("body length -1"), report.detail());
    assertEquals(batch(0, 4, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void zeros_after_the_last_record_are_a_clean_end_cut_off_with_nothing_reported_dropped() throws Exception {
    log.append(batch(0, 4, 100));
    log.close();
    long end = Files.size(lastSegment());
    Files.write(lastSegment(), new byte[3], StandardOpenOption.APPEND);

    RecoveryReport report = reopen().recoveryReport();
    assertEquals(new RecoveryReport(4, 0, 0, "", 0, 0, 0, true, 0, 0), countsOf(report));
    assertEquals(end, Files.size(lastSegment()));
  }

  @Test
  void the_active_segment_is_written_ahead_with_zeros_which_a_crash_leaves_and_recovery_reads_as_its_end(
      @TempDir Path crashed) throws Exception {
    log.append(batch(0, 4, 100));
    log.sync();
    long recordsEnd = SegmentFormat.HEADER_BYTES
        + batch(0, 4, 100).stream().mapToLong(RecordCodec::encodedBytes).sum();
    assertTrue(Files.size(lastSegment()) > recordsEnd, "the segment is extended past its records");
    byte[] torn = new byte[10];
    Arrays.fill(torn, (byte) 0x7F);
    try (FileChannel file = FileChannel.open(lastSegment(), StandardOpenOption.WRITE)) {
      file.write(ByteBuffer.wrap(torn), recordsEnd); // an unacknowledged write, torn, inside the zeros
    }
    try (var files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.copy(file, crashed.resolve(file.getFileName()));
      }
    }

    try (FileShardLog reopened = FileShardLog.open(crashed, SMALL_SEGMENT_BYTES)) {
      RecoveryReport report = reopened.recoveryReport();
      assertEquals(1, report.recordsDropped(), report.toString());
      assertEquals(10, report.bytesDropped(), report.toString());
      assertEquals(batch(0, 4, 100), reopened.read(0, 100, Long.MAX_VALUE));
      assertEquals(recordsEnd, Files.size(crashed.resolve(SegmentFormat.fileName(0))));
      reopened.append(batch(4, 2, 100));
      assertEquals(batch(0, 6, 100), reopened.read(0, 100, Long.MAX_VALUE));
    }
  }

  /** The length of {@code bytes[from, to)} up to its last byte that is not zero. */
  private static long nonZeroLength(byte[] bytes, int from, int to) {
    int end = to;
    while (end > from && bytes[end - 1] == 0) {
      end--;
    }
    return end - from;
  }

  @Test
  void recoversExactlyTheCompleteRecordsBeforeACrashAtAnyByte() throws Exception {
    List<LogRecord> records = batch(0, 4, 40);
    log.append(records);
    log.close();
    Path segment = lastSegment();
    byte[] intact = Files.readAllBytes(segment);
    long[] recordEnds = new long[records.size() + 1];
    recordEnds[0] = SegmentFormat.HEADER_BYTES;
    for (int i = 0; i < records.size(); i++) {
      recordEnds[i + 1] = recordEnds[i] + RecordCodec.encodedBytes(records.get(i));
    }
    Path checkpoint = segment.resolveSibling(SegmentFormat.indexFileName(0));
    for (int cut = SegmentFormat.HEADER_BYTES; cut <= intact.length; cut += 3) {
      Files.deleteIfExists(checkpoint); // a crash, not a clean close: no checkpoint to start from
      Files.write(segment, Arrays.copyOf(intact, cut));
      int complete = 0;
      while (complete < records.size() && recordEnds[complete + 1] <= cut) {
        complete++;
      }
      long tornBytes = nonZeroLength(intact, (int) recordEnds[complete], cut); // zeros are a clean end
      try (FileShardLog reopened = FileShardLog.open(directory, SMALL_SEGMENT_BYTES)) {
        assertEquals(new RecoveryReport(complete, tornBytes > 0 ? 1 : 0, tornBytes,
            reopened.recoveryReport().detail(), 0, 1, 0, false, 0, 0), countsOf(reopened.recoveryReport()),
            "cut at byte " + cut);
        assertEquals(records.subList(0, complete), reopened.read(0, 100, Long.MAX_VALUE));
        assertEquals(complete, reopened.nextOffset());
      }
    }
    log = new MemoryShardLog();
  }

  @Test
  void rewritesTheTornHeaderOfASegmentCreatedJustBeforeACrash() throws Exception {
    log.append(batch(0, 4, 100));
    log.close();
    Files.write(directory.resolve(SegmentFormat.fileName(4)), new byte[] {0x4D, 0x4C});

    FileShardLog reopened = reopen();
    assertEquals(4, reopened.recoveryReport().recordsRecovered());
    assertEquals(0, reopened.recoveryReport().recordsDropped());
    assertEquals(2, reopened.recoveryReport().bytesDropped());
    reopened.append(batch(4, 2, 100));
    assertEquals(new RecoveryReport(6, 0, 0, "", 1, 0, 0, true, 0, 0), countsOf(reopen().recoveryReport()));
    assertEquals(batch(0, 6, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void refusesToOpenWhenASegmentBeforeTheLastIsCorruptAndHasNoIndexToTrust() throws Exception {
    log.close();
    log = FileShardLog.open(directory, 4096);
    for (int offset = 0; offset < 30; offset += 3) {
      log.append(batch(offset, 3, 500));
    }
    log.close();
    flipByte(directory.resolve(segmentNames().get(0)), SegmentFormat.HEADER_BYTES + 40);
    Files.delete(directory.resolve(SegmentFormat.indexFileName(0)));
    assertThrows(CorruptSegmentException.class, () -> FileShardLog.open(directory, 4096));
    log = new MemoryShardLog(); // so the common teardown has something to close
  }

  @Test
  void refusesASegmentOfAnotherFormatVersion() throws Exception {
    log.append(batch(0, 2, 100));
    log.close();
    try (RandomAccessFile file = new RandomAccessFile(lastSegment().toFile(), "rw")) {
      file.seek(4);
      file.write(2);
    }
    IOException refused = assertThrows(CorruptSegmentException.class, () -> FileShardLog.open(directory));
    assertTrue(refused.getMessage().contains("unsupported format version 2"), refused.getMessage());
    log = new MemoryShardLog();
  }

  @Test
  void failedWriteFencesAppendsButReadsKeepWorking() throws Exception {
    log.close();
    FaultySegmentIo faulty = new FaultySegmentIo();
    log = FileShardLog.open(directory, SMALL_SEGMENT_BYTES, faulty);
    log.append(batch(0, 3, 100));
    faulty.fail(Fault.WRITE);

    assertThrows(IOException.class, () -> log.append(batch(3, 1, 100)));
    faulty.clear(Fault.WRITE);
    IOException fenced = assertThrows(IOException.class, () -> log.append(batch(3, 1, 100)));
    assertTrue(fenced.getMessage().contains("fenced"), fenced.getMessage());
    assertThrows(IOException.class, () -> log.sync());
    assertEquals(3, log.nextOffset());
    assertEquals(batch(0, 3, 100), log.read(0, 100, Long.MAX_VALUE));
    assertEquals(2, log.offsetForTime(2_000));

    RecoveryReport report = reopen().recoveryReport(); // the failed write left half a record behind
    assertEquals(new RecoveryReport(3, 1, RecordCodec.encodedBytes(record(3, 100)) / 2, report.detail(), 0, 0, 0,
        true, 0, 0), countsOf(report));
    log.append(batch(3, 1, 100));
    assertEquals(batch(0, 4, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void discarding_after_a_failed_write_cuts_its_whole_records_off_so_a_reopened_log_never_serves_them()
      throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    reopenWith(faulty);
    log.append(batch(0, 3, 100));
    log.sync();
    faulty.fail(Fault.WRITE); // half of a 6-record batch reaches the file: three whole records
    assertThrows(IOException.class, () -> log.append(batch(3, 6, 100)));
    faulty.clear();

    log.discardFrom(3);
    assertEquals(3, log.nextOffset());
    RecoveryReport report = reopen().recoveryReport();
    assertEquals(0, report.recordsDropped(), report.toString());
    assertEquals(batch(0, 3, 100), log.read(0, 100, Long.MAX_VALUE));
    log.append(batch(3, 2, 100));
    assertEquals(batch(0, 5, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void discarding_after_a_failed_fsync_cuts_the_batch_that_was_written_but_not_made_durable() throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    reopenWith(faulty);
    log.append(batch(0, 40, 100)); // several sparse index entries, so the cut is found by a scan from one
    log.sync();
    log.append(batch(40, 5, 100));
    faulty.fail(Fault.FORCE);
    assertThrows(IOException.class, () -> log.sync());
    faulty.clear();

    log.discardFrom(40);
    assertEquals(40, log.nextOffset());
    assertEquals(batch(0, 40, 100), log.read(0, 100, Long.MAX_VALUE));
    reopen();
    assertEquals(batch(0, 40, 100), log.read(0, 100, Long.MAX_VALUE));
    assertEquals(40, log.nextOffset());
  }

  @Test
  void a_cut_that_fails_leaves_a_marker_that_recovery_obeys() throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    reopenWith(faulty);
    log.append(batch(0, 3, 100));
    log.sync();
    faulty.fail(Fault.WRITE);
    assertThrows(IOException.class, () -> log.append(batch(3, 6, 100)));
    faulty.clear(Fault.WRITE);
    faulty.fail(Fault.TRUNCATE);

    log.discardFrom(3);
    assertEquals(batch(0, 3, 100), log.read(0, 100, Long.MAX_VALUE));
    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().contains(".discard-from-")).count());
    }
    faulty.clear();
    RecoveryReport report = reopen().recoveryReport();
    assertEquals(3, report.recordsDropped(), report.toString()); // half of six equal records: three whole ones
    assertTrue(report.detail().contains("never acknowledged"), report.detail());
    assertEquals(batch(0, 3, 100), log.read(0, 100, Long.MAX_VALUE));
    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(0, files.filter(p -> p.getFileName().toString().contains(".discard-from-")).count());
    }
  }

  @Test
  void a_cut_that_fails_with_no_room_for_its_marker_either_is_reported() throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    reopenWith(faulty);
    log.append(batch(0, 3, 100));
    faulty.fail(Fault.WRITE);
    assertThrows(IOException.class, () -> log.append(batch(3, 6, 100)));
    faulty.fail(Fault.TRUNCATE).fail(Fault.OPEN);
    assertThrows(IOException.class, () -> log.discardFrom(3));
    faulty.clear();
  }

  private void reopenWith(FaultySegmentIo segmentIo) throws IOException {
    log.close();
    log = FileShardLog.open(directory, SMALL_SEGMENT_BYTES, segmentIo);
  }

  @Test
  void failedFsyncFencesAppends() throws Exception {
    log.close();
    FaultySegmentIo faulty = new FaultySegmentIo();
    log = FileShardLog.open(directory, SMALL_SEGMENT_BYTES, faulty);
    log.append(batch(0, 2, 100));
    faulty.fail(Fault.FORCE);

    assertThrows(IOException.class, () -> log.sync());
    faulty.clear(Fault.FORCE);
    IOException fenced = assertThrows(IOException.class, () -> log.append(batch(2, 1, 100)));
    assertTrue(fenced.getMessage().contains("fenced"), fenced.getMessage());
    assertEquals(batch(0, 2, 100), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void failedRollFencesAppendsAndKeepsTheRecordsWrittenBefore() throws Exception {
    log.close();
    FaultySegmentIo faulty = new FaultySegmentIo();
    log = FileShardLog.open(directory, 4096, faulty);
    log.append(batch(0, 5, 500));
    faulty.fail(Fault.DIRECTORY_FORCE);

    assertThrows(IOException.class, () -> log.append(batch(5, 5, 500)));
    faulty.clear(Fault.DIRECTORY_FORCE);
    IOException fenced = assertThrows(IOException.class, () -> log.append(batch(5, 1, 500)));
    assertTrue(fenced.getMessage().contains("fenced"), fenced.getMessage());
    assertEquals(batch(0, 5, 500), log.read(0, 100, Long.MAX_VALUE));

    RecoveryReport report = reopen().recoveryReport(); // the new segment exists, with a header and no records
    assertEquals(new RecoveryReport(5, 0, 0, "", 1, 1, 0, false, 0, 0), countsOf(report));
    log.append(batch(5, 5, 500));
    assertEquals(batch(0, 10, 500), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void refusesOversizeRecordsWithoutFencing() throws Exception {
    LogRecord oversize = new LogRecord(0, 0, "k", null, 0, new byte[RecordCodec.MAX_DATA_BYTES + 1]);
    assertThrows(IllegalArgumentException.class, () -> log.append(List.of(oversize)));
    log.append(batch(0, 1, 10));
    assertEquals(1, log.nextOffset());
  }

  // Retention. With 4 KiB segments and 500-byte records in batches of 3, each segment holds two batches:
  // segments start at 0, 6, 12, ... and record N arrives at 1000 * N.

  private FileShardLog reopenWithTinySegments(FaultySegmentIo segmentIo) throws IOException {
    log.close();
    FileShardLog reopened = FileShardLog.open(directory, 4096, segmentIo);
    log = reopened;
    return reopened;
  }

  private void appendInBatchesOfThree(int records) throws IOException {
    for (int offset = 0; offset < records; offset += 3) {
      log.append(batch(offset, 3, 500));
    }
  }

  @Test
  void trimming_deletes_the_files_of_segments_whose_newest_record_arrived_before_the_cutoff() throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    appendInBatchesOfThree(30);
    assertEquals(List.of(0L, 6L, 12L, 18L, 24L), segmentBaseOffsets());

    assertEquals(12, log.trimOlderThan(17_000)); // segment 12 holds 12..17, and 17 arrived at the cutoff
    assertEquals(List.of(12L, 18L, 24L), segmentBaseOffsets());
    assertEquals(12, log.startOffset());
    assertEquals(3, ((FileShardLog) log).segmentCount());
    assertEquals(batch(12, 18, 500), log.read(0, 100, Long.MAX_VALUE));

    assertEquals(18, log.trimOlderThan(17_001));
    assertEquals(List.of(18L, 24L), segmentBaseOffsets());
  }

  @Test
  void trimming_keeps_the_active_segment_while_it_holds_an_unexpired_record() throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    appendInBatchesOfThree(30);
    assertEquals(24, log.trimOlderThan(29_000));
    assertEquals(List.of(24L), segmentBaseOffsets());
    assertEquals(batch(24, 6, 500), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void trimming_an_entirely_expired_active_segment_rolls_to_an_empty_one_named_by_the_next_offset()
      throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    appendInBatchesOfThree(30);
    assertEquals(30, log.trimOlderThan(29_001));
    assertEquals(List.of(30L), segmentBaseOffsets());
    assertEquals(SegmentFormat.HEADER_BYTES, Files.size(directory.resolve(SegmentFormat.fileName(30))));
    log.append(batch(30, 3, 500));
    assertEquals(batch(30, 3, 500), log.read(0, 100, Long.MAX_VALUE));
  }

  @Test
  void a_reopened_log_starts_at_its_first_remaining_segment() throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    appendInBatchesOfThree(30);
    log.trimOlderThan(15_000);
    FileShardLog reopened = reopenWithTinySegments(new FaultySegmentIo());
    assertEquals(12, reopened.startOffset());
    assertEquals(30, reopened.nextOffset());
    assertEquals(18, reopened.recoveryReport().recordsRecovered());
    assertEquals(batch(12, 18, 500), reopened.read(0, 100, Long.MAX_VALUE));
    assertEquals(12, reopened.offsetForTime(0));
    assertEquals(18, reopened.trimOlderThan(17_001)); // arrival times were recovered too
  }

  @Test
  void a_reopened_log_that_retention_emptied_remembers_its_next_offset() throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    appendInBatchesOfThree(30);
    log.trimOlderThan(Long.MAX_VALUE);
    FileShardLog reopened = reopenWithTinySegments(new FaultySegmentIo());
    assertEquals(30, reopened.startOffset());
    assertEquals(30, reopened.nextOffset());
    reopened.append(batch(30, 1, 10));
    assertEquals(batch(30, 1, 10), reopened.read(0, 10, Long.MAX_VALUE));
  }

  @Test
  void a_read_whose_segment_is_deleted_before_it_found_anything_is_clamped_to_the_new_start() throws Exception {
    FaultySegmentIo segmentIo = new FaultySegmentIo();
    reopenWithTinySegments(segmentIo);
    appendInBatchesOfThree(30);
    FaultySegmentIo.PausedRead paused = segmentIo.pauseNextReadOf(SegmentFormat.fileName(0));
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<List<LogRecord>> read = reader.submit(() -> log.read(0, 5, Long.MAX_VALUE));
      paused.arrived.await();
      log.trimOlderThan(15_000); // deletes segments 0 and 6 while the read waits inside segment 0
      paused.resume();
      assertEquals(batch(12, 5, 500), read.get());
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void a_read_that_loses_a_later_segment_midway_returns_the_records_it_had_read() throws Exception {
    FaultySegmentIo segmentIo = new FaultySegmentIo();
    reopenWithTinySegments(segmentIo);
    appendInBatchesOfThree(30);
    FaultySegmentIo.PausedRead paused = segmentIo.pauseNextReadOf(SegmentFormat.fileName(6));
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<List<LogRecord>> read = reader.submit(() -> log.read(0, 100, Long.MAX_VALUE));
      paused.arrived.await();
      log.trimOlderThan(15_000);
      paused.resume();
      assertEquals(batch(0, 6, 500), read.get());
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void a_time_lookup_whose_segment_is_deleted_under_it_answers_from_the_new_state() throws Exception {
    FaultySegmentIo segmentIo = new FaultySegmentIo();
    reopenWithTinySegments(segmentIo);
    appendInBatchesOfThree(30);
    FaultySegmentIo.PausedRead paused = segmentIo.pauseNextReadOf(SegmentFormat.fileName(0));
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Long> lookup = reader.submit(() -> log.offsetForTime(2_500));
      paused.arrived.await();
      log.trimOlderThan(15_000);
      paused.resume();
      assertEquals(12, lookup.get());
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void readers_running_while_retention_deletes_segments_never_fail_and_see_contiguous_records() throws Exception {
    reopenWithTinySegments(new FaultySegmentIo());
    int total = 900;
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      AtomicBoolean done = new AtomicBoolean();
      Future<?> appender = threads.submit(() -> {
        try {
          for (int offset = 0; offset < total; offset += 3) {
            log.append(batch(offset, 3, 500));
            if (offset % 12 == 0) {
              log.trimOlderThan(1_000L * (offset - 60)); // keeps about ten segments
            }
          }
        } finally {
          done.set(true);
        }
        return null;
      });
      Future<Integer> reader = threads.submit(() -> {
        int reads = 0;
        while (!done.get()) {
          List<LogRecord> records = log.read(0, 40, Long.MAX_VALUE);
          for (int i = 0; i < records.size(); i++) {
            assertEquals(record(records.get(0).offset() + i, 500), records.get(i));
          }
          long found = log.offsetForTime(0);
          assertTrue(found >= 0 && found <= log.nextOffset(), "offsetForTime gave " + found);
          reads++;
        }
        return reads;
      });
      appender.get();
      assertTrue(reader.get() > 0);
    } finally {
      threads.shutdownNow();
    }
    assertEquals(total, log.nextOffset());
    assertTrue(segmentBaseOffsets().size() <= 12, "segments left: " + segmentBaseOffsets());
  }

  @Test
  void trimming_a_fenced_log_is_refused() throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    reopenWithTinySegments(faulty);
    appendInBatchesOfThree(30);
    faulty.fail(Fault.FORCE);
    assertThrows(IOException.class, () -> log.sync());
    faulty.clear(Fault.FORCE);
    assertThrows(IOException.class, () -> log.trimOlderThan(Long.MAX_VALUE));
    assertEquals(List.of(0L, 6L, 12L, 18L, 24L), segmentBaseOffsets());
  }

  private List<Long> segmentBaseOffsets() throws IOException {
    return segmentNames().stream().map(name -> SegmentFormat.baseOffsetOf(Path.of(name))).toList();
  }

  private static long encodedBytes(List<LogRecord> records) {
    return RecordCodec.encode(records).remaining();
  }

  private List<String> segmentNames() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(path -> path.getFileName().toString()).filter(name -> name.endsWith(".log")).sorted()
          .toList();
    }
  }

  private Path lastSegment() throws IOException {
    List<String> names = segmentNames();
    return directory.resolve(names.get(names.size() - 1));
  }

  private static void truncate(Path file, long sizeBytes) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(sizeBytes);
    }
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(position);
      int value = raf.read();
      raf.seek(position);
      raf.write(value ^ 0x10);
    }
  }
}
