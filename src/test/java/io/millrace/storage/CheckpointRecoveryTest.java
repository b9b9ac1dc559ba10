package io.millrace.storage;

import static io.millrace.storage.TestRecords.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FaultySegmentIo;
import io.millrace.testing.FaultySegmentIo.Fault;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of the active segment. Segments are large (1 MiB) so everything stays in segment 0; checkpoints are
 * taken every 1,000 bytes synced. Records of 100 data bytes take about 150 bytes each on disk (their keys vary).
 *
 * <p>A crash is simulated by copying the files of a log that is still open (and never closed) to another
 * directory, which is then opened: what was written is there, but no clean-close checkpoint.
 */
class CheckpointRecoveryTest {

  private static final long SEGMENT_BYTES = 1024 * 1024;
  private static final long CHECKPOINT_BYTES = 1_000;
  private static final int DATA_BYTES = 100;

  @TempDir
  Path directory;
  @TempDir
  Path crashed;

  private FileShardLog open(Path in, SegmentIo segmentIo) throws IOException {
    return FileShardLog.open(in, SEGMENT_BYTES, CHECKPOINT_BYTES, segmentIo);
  }

  private static Path segmentIn(Path in) {
    return in.resolve(SegmentFormat.fileName(0));
  }

  private static Path checkpointIn(Path in) {
    return in.resolve(SegmentFormat.indexFileName(0));
  }

  /** Bytes of the first {@code records} records of segment 0, header excluded. */
  private static long recordBytes(long records) {
    long total = 0;
    for (long offset = 0; offset < records; offset++) {
      total += RecordCodec.encodedBytes(TestRecords.record(offset, DATA_BYTES));
    }
    return total;
  }

  /** Copies every file of {@code from} to {@link #crashed}, as a crash would leave them. */
  private void copyAsIfCrashed(Path from) throws IOException {
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, crashed.resolve(file.getFileName()));
      }
    }
  }

  /** Writes records 0..29 in 3 synced batches of 10 (about 1,500 bytes each: each sync takes a checkpoint). */
  private long writeThirtyRecordsSyncingEveryTen(FileShardLog log) throws IOException {
    for (int offset = 0; offset < 30; offset += 10) {
      log.append(batch(offset, 10, DATA_BYTES));
      log.sync();
    }
    return SegmentFormat.HEADER_BYTES + recordBytes(30);
  }

  @Test
  void a_cleanly_closed_log_reopens_without_reading_any_record_of_its_active_segment() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 25, DATA_BYTES)); // never synced: close syncs, then checkpoints
    }
    FaultySegmentIo counting = new FaultySegmentIo();
    try (FileShardLog log = open(directory, counting)) {
      assertEquals(new RecoveryReport(25, 0, 0, "", 0, 0, 0, true, recordBytes(25), 0), log.recoveryReport());
      assertEquals(SegmentFormat.HEADER_BYTES, counting.bytesReadFrom(SegmentFormat.fileName(0)));
      assertEquals(25, log.nextOffset());
      assertEquals(batch(0, 25, DATA_BYTES), log.read(0, 100, Long.MAX_VALUE));
      assertEquals(12, log.offsetForTime(11_500)); // arrival times came from the checkpoint
      log.append(batch(25, 5, DATA_BYTES));
    }
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 0, 0, 0, true, recordBytes(30), 0), log.recoveryReport());
      assertEquals(batch(0, 30, DATA_BYTES), log.read(0, 100, Long.MAX_VALUE));
    }
  }

  @Test
  void a_log_that_crashed_after_a_checkpoint_scans_only_the_records_after_it_and_recovers_them_all()
      throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      writeThirtyRecordsSyncingEveryTen(log);
      long checkpointEnd = SegmentFormat.HEADER_BYTES + recordBytes(30);
      log.append(batch(30, 7, DATA_BYTES)); // written, not synced, no checkpoint
      copyAsIfCrashed(directory);
      long tailBytes = recordBytes(37) - recordBytes(30);
      // Without the zeros the log wrote ahead of its records, so that the bytes read count records only.
      try (FileChannel segment = FileChannel.open(segmentIn(crashed), StandardOpenOption.WRITE)) {
        segment.truncate(checkpointEnd + tailBytes);
      }

      FaultySegmentIo counting = new FaultySegmentIo();
      try (FileShardLog recovered = open(crashed, counting)) {
        assertEquals(new RecoveryReport(37, 0, 0, "", 0, 0, 0, true, recordBytes(30), tailBytes),
            recovered.recoveryReport());
        assertEquals(SegmentFormat.HEADER_BYTES + tailBytes, counting.bytesReadFrom(SegmentFormat.fileName(0)));
        assertEquals(checkpointEnd + tailBytes, Files.size(segmentIn(crashed)));
        assertEquals(batch(0, 37, DATA_BYTES), recovered.read(0, 100, Long.MAX_VALUE));
        recovered.append(batch(37, 1, DATA_BYTES));
        assertEquals(batch(36, 2, DATA_BYTES), recovered.read(36, 100, Long.MAX_VALUE));
      }
    }
  }

  @Test
  void a_torn_tail_after_a_checkpoint_is_truncated_there_with_an_exact_report() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      writeThirtyRecordsSyncingEveryTen(log);
      log.append(batch(30, 3, DATA_BYTES));
      copyAsIfCrashed(directory);
    }
    long goodEnd = SegmentFormat.HEADER_BYTES + recordBytes(32);
    long tornBytes = (recordBytes(33) - recordBytes(32)) / 2;
    truncate(segmentIn(crashed), goodEnd + tornBytes); // record 32 is half written

    try (FileShardLog recovered = open(crashed, SegmentIo.standard())) {
      RecoveryReport report = recovered.recoveryReport();
      assertEquals(new RecoveryReport(32, 1, tornBytes, report.detail(), 0, 0, 0, true, recordBytes(30),
          recordBytes(32) - recordBytes(30) + tornBytes), report);
      assertTrue(report.detail().contains("offset 32"), report.detail());
      assertEquals(goodEnd, Files.size(segmentIn(crashed)));
      assertEquals(batch(0, 32, DATA_BYTES), recovered.read(0, 100, Long.MAX_VALUE));
    }
  }

  @Test
  void a_stale_checkpoint_beyond_the_end_of_the_file_falls_back_to_a_full_scan_and_is_deleted() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 20, DATA_BYTES));
    }
    truncate(segmentIn(directory), SegmentFormat.HEADER_BYTES + recordBytes(15)); // below the checkpoint

    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      assertEquals(new RecoveryReport(15, 0, 0, "", 0, 1, 0, false, 0, recordBytes(15)), log.recoveryReport());
      assertFalse(Files.exists(checkpointIn(directory)), "a stale checkpoint must not outlive the scan");
      assertEquals(batch(0, 15, DATA_BYTES), log.read(0, 100, Long.MAX_VALUE));
      // once appends pass the stale end position, the old checkpoint would have vouched for different bytes
      log.append(batch(15, 10, 300));
      copyAsIfCrashed(directory);
    }
    try (FileShardLog recovered = open(crashed, SegmentIo.standard())) {
      assertFalse(recovered.recoveryReport().activeFromCheckpoint());
      assertEquals(25, recovered.recoveryReport().recordsRecovered());
      assertEquals(batch(15, 10, 300), recovered.read(15, 100, Long.MAX_VALUE));
    }
  }

  @Test
  void a_corrupt_checkpoint_falls_back_to_a_full_scan() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 20, DATA_BYTES));
    }
    flipByte(checkpointIn(directory), 30);

    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      assertEquals(new RecoveryReport(20, 0, 0, "", 0, 1, 0, false, 0, recordBytes(20)), log.recoveryReport());
      assertEquals(batch(0, 20, DATA_BYTES), log.read(0, 100, Long.MAX_VALUE));
    }
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      assertTrue(log.recoveryReport().activeFromCheckpoint(), "the clean close after the scan checkpointed again");
    }
  }

  @Test
  void a_torn_checkpoint_falls_back_to_a_full_scan() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 20, DATA_BYTES));
    }
    truncate(checkpointIn(directory), Files.size(checkpointIn(directory)) - 5);

    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      assertEquals(new RecoveryReport(20, 0, 0, "", 0, 1, 0, false, 0, recordBytes(20)), log.recoveryReport());
    }
  }

  @Test
  void no_checkpoint_is_written_when_the_fsync_before_it_fails() throws Exception {
    FaultySegmentIo faulty = new FaultySegmentIo();
    FileShardLog log = open(directory, faulty);
    log.append(batch(0, 30, DATA_BYTES)); // past the checkpoint threshold, unsynced
    faulty.fail(Fault.FORCE);
    assertThrows(IOException.class, log::sync);
    assertFalse(Files.exists(checkpointIn(directory)));
    log.close(); // fenced: no fsync, so no checkpoint either
    assertFalse(Files.exists(checkpointIn(directory)));
    faulty.clear();

    try (FileShardLog reopened = open(directory, SegmentIo.standard())) {
      assertFalse(reopened.recoveryReport().activeFromCheckpoint());
      assertEquals(1, reopened.recoveryReport().segmentsScanned());
    }
  }

  @Test
  void a_checkpoint_covers_only_what_the_sync_that_wrote_it_made_durable() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 25, DATA_BYTES)); // 25 records > 1,000 bytes
      assertFalse(Files.exists(checkpointIn(directory)), "no checkpoint without a sync");
      log.sync();
      log.append(batch(25, 5, DATA_BYTES)); // not synced: the checkpoint must not include these
      copyAsIfCrashed(directory);
    }
    SegmentIndexFile.Loaded checkpoint = SegmentIndexFile.readCheckpoint(SegmentIo.standard(),
        checkpointIn(crashed), 0, Files.size(segmentIn(crashed)));
    assertTrue(checkpoint.trusted(), checkpoint.problem());
    assertEquals(25, checkpoint.contents().recordCount());
    assertEquals(SegmentFormat.HEADER_BYTES + recordBytes(25), checkpoint.contents().endPosition());
  }

  @Test
  void syncs_write_checkpoints_only_every_checkpoint_bytes_and_zero_disables_them() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      log.append(batch(0, 5, DATA_BYTES)); // under 1,000 bytes
      log.sync();
      assertFalse(Files.exists(checkpointIn(directory)));
      log.append(batch(5, 5, DATA_BYTES));
      log.sync();
      assertTrue(Files.exists(checkpointIn(directory)));
    }
    Path other = crashed;
    try (FileShardLog log = FileShardLog.open(other, SEGMENT_BYTES, 0, SegmentIo.standard())) {
      log.append(batch(0, 50, DATA_BYTES));
      log.sync();
      assertFalse(Files.exists(checkpointIn(other)), "checkpointBytes 0 checkpoints on close only");
    }
    assertTrue(Files.exists(checkpointIn(other)));
    assertThrows(IllegalArgumentException.class,
        () -> FileShardLog.open(directory, SEGMENT_BYTES, -1, SegmentIo.standard()));
  }

  @Test
  void a_checkpointed_segment_that_is_rolled_later_gets_its_final_sealed_index() throws Exception {
    long smallSegmentBytes = 4096;
    try (FileShardLog log = FileShardLog.open(directory, smallSegmentBytes, 1_000, SegmentIo.standard())) {
      log.append(batch(0, 10, DATA_BYTES)); // about 1.5 KB
      log.sync(); // checkpoint of segment 0 at 10 records
      for (int offset = 10; offset < 40; offset += 10) {
        log.append(batch(offset, 10, DATA_BYTES)); // rolls segment 0 on the way
      }
      assertTrue(log.segmentCount() > 1);
    }
    try (FileShardLog log = FileShardLog.open(directory, smallSegmentBytes, 1_000, SegmentIo.standard())) {
      RecoveryReport report = log.recoveryReport();
      assertEquals(40, report.recordsRecovered());
      assertEquals(report.segmentsFromIndex(), log.segmentCount() - 1, "every sealed segment opened from its index");
      assertEquals(0, report.segmentsScanned());
      assertTrue(report.activeFromCheckpoint());
      assertEquals(0, report.bytesScanned());
      assertEquals(batch(0, 40, DATA_BYTES), log.read(0, 100, Long.MAX_VALUE));
    }
  }

  @Test
  void records_after_a_checkpoint_are_checked_so_a_bad_one_there_is_dropped_at_open() throws Exception {
    try (FileShardLog log = open(directory, SegmentIo.standard())) {
      writeThirtyRecordsSyncingEveryTen(log);
      log.append(batch(30, 2, DATA_BYTES));
      copyAsIfCrashed(directory);
    }
    flipByte(segmentIn(crashed), SegmentFormat.HEADER_BYTES + recordBytes(31) + 40); // inside record 31

    try (FileShardLog recovered = open(crashed, SegmentIo.standard())) {
      RecoveryReport report = recovered.recoveryReport();
      assertEquals(31, report.recordsRecovered());
      assertEquals(1, report.recordsDropped());
      assertEquals(recordBytes(32) - recordBytes(31), report.bytesDropped());
      assertTrue(report.detail().contains("CRC32C mismatch"), report.detail());
      assertEquals(List.of(), recovered.read(31, 10, Long.MAX_VALUE));
    }
  }

  private static void truncate(Path file, long sizeBytes) throws IOException {
    try (var channel = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
      channel.truncate(sizeBytes);
    }
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(position);
      int value = raf.read();
      raf.seek(position);
      raf.write(value ^ 0xFF);
    }
  }
}
