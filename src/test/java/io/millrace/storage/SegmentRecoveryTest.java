package io.millrace.storage;

import static io.millrace.storage.TestRecords.batch;
import static io.millrace.storage.TestRecords.countsOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FaultySegmentIo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery with index files. With 4 KiB segments and 500-byte records appended in batches of 3, 30 records fill
 * segments 0, 6, 12, 18 (sealed, indexed) and 24 (active).
 */
class SegmentRecoveryTest {

  private static final long SEGMENT_BYTES = 4096;

  @TempDir
  Path directory;

  private void writeThirtyRecords() throws IOException {
    try (FileShardLog log = FileShardLog.open(directory, SEGMENT_BYTES)) {
      for (int offset = 0; offset < 30; offset += 3) {
        log.append(batch(offset, 3, 500));
      }
    }
  }

  private FileShardLog reopen(SegmentIo segmentIo) throws IOException {
    return FileShardLog.open(directory, SEGMENT_BYTES, segmentIo);
  }

  private Path index(long baseOffset) {
    return directory.resolve(SegmentFormat.indexFileName(baseOffset));
  }

  private Path segment(long baseOffset) {
    return directory.resolve(SegmentFormat.fileName(baseOffset));
  }

  @Test
  void sealed_segments_are_opened_from_their_index_files_without_reading_their_records() throws Exception {
    writeThirtyRecords();
    FaultySegmentIo counting = new FaultySegmentIo();
    try (FileShardLog log = reopen(counting)) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 4, 0, 0, true, 0, 0), countsOf(log.recoveryReport()));
      for (long base : new long[] {0, 6, 12, 18}) {
        assertEquals(SegmentFormat.HEADER_BYTES, counting.bytesReadFrom(SegmentFormat.fileName(base)),
            "segment " + base + " was read beyond its header");
      }
      // the active segment 24 was closed cleanly: its checkpoint vouches for all of it
      assertEquals(SegmentFormat.HEADER_BYTES, counting.bytesReadFrom(SegmentFormat.fileName(24)));
      assertEquals(batch(0, 30, 500), log.read(0, 100, Long.MAX_VALUE));
      assertEquals(7, log.offsetForTime(6_001));
      assertEquals(12, log.trimOlderThan(12_000)); // last arrivals came from the index files too
    }
  }

  @Test
  void a_corrupt_record_in_a_sealed_segment_with_a_trusted_index_is_found_when_read_not_when_opened()
      throws Exception {
    writeThirtyRecords();
    flipByte(segment(6), SegmentFormat.HEADER_BYTES + 40);
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(4, log.recoveryReport().segmentsFromIndex());
      assertEquals(batch(0, 6, 500), log.read(0, 6, Long.MAX_VALUE));
      assertThrows(CorruptSegmentException.class, () -> log.read(6, 1, Long.MAX_VALUE));
    }
    Files.delete(index(6));
    assertThrows(CorruptSegmentException.class, () -> reopen(SegmentIo.standard())); // scanned now
  }

  @Test
  void a_deleted_index_is_rebuilt_by_scanning_its_segment_and_written_again() throws Exception {
    writeThirtyRecords();
    byte[] written = Files.readAllBytes(index(12));
    Files.delete(index(12));
    FaultySegmentIo counting = new FaultySegmentIo();
    try (FileShardLog log = reopen(counting)) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 3, 1, 1, true, 0, 0), countsOf(log.recoveryReport()));
      // the header is read twice: once before looking for the index, once by the scan
      assertEquals(SegmentFormat.HEADER_BYTES + Files.size(segment(12)),
          counting.bytesReadFrom(SegmentFormat.fileName(12)));
      assertEquals(batch(0, 30, 500), log.read(0, 100, Long.MAX_VALUE));
    }
    assertArrayEquals(written, Files.readAllBytes(index(12)));
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 4, 0, 0, true, 0, 0), countsOf(log.recoveryReport()));
    }
  }

  @Test
  void a_corrupt_index_is_rebuilt() throws Exception {
    writeThirtyRecords();
    byte[] written = Files.readAllBytes(index(6));
    flipByte(index(6), SegmentIndexFile.HEADER_BYTES + 3); // inside an entry's offset: only the CRC notices
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 3, 1, 1, true, 0, 0), countsOf(log.recoveryReport()));
      assertEquals(batch(0, 30, 500), log.read(0, 100, Long.MAX_VALUE));
    }
    assertArrayEquals(written, Files.readAllBytes(index(6)));
  }

  @Test
  void a_torn_index_is_rebuilt() throws Exception {
    writeThirtyRecords();
    try (RandomAccessFile file = new RandomAccessFile(index(0).toFile(), "rw")) {
      file.setLength(file.length() - 5);
    }
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 3, 1, 1, true, 0, 0), countsOf(log.recoveryReport()));
    }
  }

  @Test
  void a_stale_index_whose_end_position_differs_from_the_segment_size_is_rebuilt() throws Exception {
    writeThirtyRecords();
    byte[] written = Files.readAllBytes(index(18));
    rewriteIndexWithEndPosition(18, Files.size(segment(18)) - 1);
    SegmentIndexFile.Loaded stale = SegmentIndexFile.read(SegmentIo.standard(), index(18), 18,
        Files.size(segment(18)), 24);
    assertFalse(stale.trusted());
    assertTrue(stale.problem().startsWith("stale: index says the segment ends at"), stale.problem());

    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(new RecoveryReport(30, 0, 0, "", 3, 1, 1, true, 0, 0), countsOf(log.recoveryReport()));
      assertEquals(batch(0, 30, 500), log.read(0, 100, Long.MAX_VALUE));
    }
    assertArrayEquals(written, Files.readAllBytes(index(18)));
  }

  @Test
  void an_index_that_disagrees_with_where_the_next_segment_begins_is_not_trusted() throws Exception {
    writeThirtyRecords();
    SegmentIndexFile.Loaded loaded = SegmentIndexFile.read(SegmentIo.standard(), index(0), 0,
        Files.size(segment(0)), 7);
    assertFalse(loaded.trusted());
    assertTrue(loaded.problem().contains("the next segment begins at 7"), loaded.problem());
  }

  @Test
  void a_last_segment_with_an_index_is_trusted_up_to_it_and_its_tail_after_it_is_scanned_and_truncated() throws Exception {
    writeThirtyRecords();
    Files.delete(segment(24)); // as if the crash came after sealing 18 but before creating 24
    byte[] garbage = new byte[10];
    Arrays.fill(garbage, (byte) 0x7F); // a torn record: bytes that are not the zeros a writer extends with
    Files.write(segment(18), garbage, StandardOpenOption.APPEND);
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      RecoveryReport report = log.recoveryReport();
      assertEquals(new RecoveryReport(24, 1, 10, report.detail(), 3, 0, 0, true, 0, 0), countsOf(report));
      assertEquals(24, log.nextOffset());
      for (int offset = 24; offset < 36; offset += 3) {
        log.append(batch(offset, 3, 500)); // seals 18 (rewriting its index) and fills 24 and 30
      }
    }
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(new RecoveryReport(36, 0, 0, "", 5, 0, 0, true, 0, 0), countsOf(log.recoveryReport()));
      assertEquals(batch(0, 36, 500), log.read(0, 100, Long.MAX_VALUE));
    }
  }

  @Test
  void index_files_without_a_segment_and_temporary_ones_are_deleted_on_open() throws Exception {
    writeThirtyRecords();
    Files.delete(segment(0));
    Files.delete(segment(6));
    Path temporary = directory.resolve(SegmentFormat.temporaryIndexFileName(12));
    Files.write(temporary, new byte[] {1, 2, 3});
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(12, log.startOffset());
      assertEquals(new RecoveryReport(18, 0, 0, "", 2, 0, 0, true, 0, 0), countsOf(log.recoveryReport()));
    }
    assertFalse(Files.exists(index(0)));
    assertFalse(Files.exists(index(6)));
    assertFalse(Files.exists(temporary));
    assertTrue(Files.exists(index(12)));
  }

  @Test
  void retention_deletes_the_index_files_of_the_segments_it_deletes() throws Exception {
    writeThirtyRecords();
    try (FileShardLog log = reopen(SegmentIo.standard())) {
      assertEquals(12, log.trimOlderThan(12_000));
    }
    assertFalse(Files.exists(index(0)));
    assertFalse(Files.exists(index(6)));
    assertTrue(Files.exists(index(12)));
    assertNotEquals(0, Files.size(index(12)));
  }

  private void rewriteIndexWithEndPosition(long baseOffset, long endPosition) throws IOException {
    byte[] bytes = Files.readAllBytes(index(baseOffset));
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    buffer.putLong(21, endPosition);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    buffer.putInt(bytes.length - 4, (int) crc.getValue());
    Files.write(index(baseOffset), bytes);
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
