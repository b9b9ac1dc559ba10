package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The index file of a segment: its {@link SparseIndex} entries plus what recovery would otherwise learn by
 * scanning every record (record count, end position, last arrival time), so that opening a log reads one small
 * file per segment instead of all of its records. A sealed segment's index describes the whole segment; the
 * active segment's index is a <em>checkpoint</em>: the same format, describing the records up to the end position
 * where it was taken (always data already fsynced), which the segment may have grown past since.
 *
 * <p><b>Threading.</b> Stateless; {@link #write} runs on the appender (when a segment is sealed, at a checkpoint,
 * on a clean close) or during recovery, {@link #read} and {@link #readCheckpoint} during recovery.
 *
 * <p><b>File name:</b> {@link SegmentFormat#indexFileName}, e.g. {@code 00000000000000001024.index} beside
 * {@code 00000000000000001024.log}.
 *
 * <p><b>Layout, format version 1, big-endian:</b>
 * <pre>
 *  byte     size  field
 *  0        4     magic              ASCII "MLRX" (0x4D 0x4C 0x52 0x58): a Millrace segment index
 *  4        1     formatVersion      {@value #FORMAT_VERSION}
 *  5        8     baseOffset         the segment's base offset; must equal the one in the file name
 *  13       8     recordCount        records in the segment; the next segment starts at baseOffset + recordCount
 *  21       8     endPosition        end of the segment's last record = the segment file's size when sealed
                                      (for a checkpoint: the end of the last record it covers)
 *  29       8     lastArrivalMillis  arrival time of the last record (Long.MIN_VALUE if the segment is empty)
 *  37       4     entryCount         n
 *  41       24*n  entries            per entry: offset (8), file position (8), arrivalMillis (8), in offset order
 *  41+24n   4     crc32c             CRC32C over bytes [0, 41+24n)
 * </pre>
 *
 * <p><b>Trust.</b> Recovery uses an index only if its CRC, magic, version and base offset are right, its end
 * position equals the segment file's size, its record count makes the segment end where the next one begins,
 * and its entries are ordered and inside the segment. Anything else (missing, torn, corrupt, stale) makes
 * recovery scan the segment and write the index anew. Records read through a trusted index are still checked
 * (CRC32C) when they are read. A checkpoint of the last segment is checked the same way, except that its end
 * position may lie below the file's size (the records after it are then scanned) and there is no next segment
 * to compare the record count with; a checkpoint claiming more than the file holds is stale.
 *
 * <p><b>Writing.</b> The file is written under a temporary name, fsynced and renamed into place; the caller
 * fsyncs the directory (rolling does that anyway for the new segment).
 *
 * <p>Design note: STYLE 2.4 calls the index "rebuildable, with no checksum", which holds for the in-memory
 * index. Once it is persisted and trusted instead of the records, a flipped bit would silently misplace reads,
 * so the file carries a CRC; rebuilding stays the answer to any doubt.
 */
final class SegmentIndexFile {

  static final int MAGIC = 0x4D4C5258;
  static final byte FORMAT_VERSION = 1;
  static final int HEADER_BYTES = 4 + 1 + 8 + 8 + 8 + 8 + 4;
  static final int ENTRY_BYTES = 8 + 8 + 8;
  /** Refuse (and rebuild) anything larger: a 2 GiB segment at one entry per 4 KiB needs 12 MiB (16 KiB: 3 MiB). */
  static final int MAX_FILE_BYTES = 64 * 1024 * 1024;

  /** What an index file says about its segment. */
  record Contents(long baseOffset, long recordCount, long endPosition, long lastArrivalMillis,
                  long[] offsets, long[] positions, long[] arrivalMillis) {}

  /** The outcome of {@link #read}: the contents if the file can be trusted, else why not. */
  record Loaded(Contents contents, String problem) {
    boolean trusted() {
      return contents != null;
    }
  }

  private SegmentIndexFile() {}

  /**
   * Writes, fsyncs and renames into place the index of {@code segment}, sealed or checkpointed at
   * {@code endPosition}; a checkpoint must cover only records already fsynced.
   */
  static void write(SegmentIo segmentIo, Segment segment, long recordCount, long endPosition) throws IOException {
    List<SparseIndex.Entry> entries = segment.index.entries();
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + entries.size() * ENTRY_BYTES + RecordCodec.CRC_BYTES);
    buffer.putInt(MAGIC).put(FORMAT_VERSION).putLong(segment.baseOffset).putLong(recordCount).putLong(endPosition)
        .putLong(segment.lastArrivalMillis).putInt(entries.size());
    for (SparseIndex.Entry entry : entries) {
      buffer.putLong(entry.offset()).putLong(entry.position()).putLong(entry.arrivalMillis());
    }
    buffer.putInt(crc32c(buffer.array(), buffer.position()));
    buffer.flip();

    Path directory = segment.path.getParent();
    AtomicFile.write(segmentIo, directory.resolve(SegmentFormat.indexFileName(segment.baseOffset)),
        directory.resolve(SegmentFormat.temporaryIndexFileName(segment.baseOffset)), buffer, false);
  }

  /**
   * Reads the index of the sealed segment at {@code baseOffset} and checks it against the segment file's size and
   * the offset where the next segment begins; see the class note on trust.
   */
  static Loaded read(SegmentIo segmentIo, Path indexPath, long baseOffset, long segmentSizeBytes,
                     long nextSegmentBaseOffset) throws IOException {
    return read(segmentIo, indexPath, baseOffset, segmentSizeBytes, nextSegmentBaseOffset, false);
  }

  /**
   * Reads the checkpoint of the last segment at {@code baseOffset}: trusted if it is sound and its end position
   * is at or below the segment file's size; see the class note on trust.
   */
  static Loaded readCheckpoint(SegmentIo segmentIo, Path indexPath, long baseOffset, long segmentSizeBytes)
      throws IOException {
    return read(segmentIo, indexPath, baseOffset, segmentSizeBytes, -1, true);
  }

  private static Loaded read(SegmentIo segmentIo, Path indexPath, long baseOffset, long segmentSizeBytes,
                             long nextSegmentBaseOffset, boolean checkpoint) throws IOException {
    if (!Files.exists(indexPath)) {
      return new Loaded(null, "no index file");
    }
    ByteBuffer buffer;
    try (SegmentIo.SegmentFile file = segmentIo.open(indexPath)) {
      long sizeBytes = file.size();
      if (sizeBytes < HEADER_BYTES + RecordCodec.CRC_BYTES || sizeBytes > MAX_FILE_BYTES) {
        return new Loaded(null, "index file is " + sizeBytes + " bytes");
      }
      buffer = ByteBuffer.allocate((int) sizeBytes);
      while (buffer.hasRemaining() && file.read(buffer, buffer.position()) >= 0) {
        // positional reads until the whole file is in
      }
    }
    if (buffer.hasRemaining()) {
      return new Loaded(null, "index file shrank while it was read");
    }
    String problem = problem(buffer, baseOffset, segmentSizeBytes, nextSegmentBaseOffset, checkpoint);
    if (problem != null) {
      return new Loaded(null, problem);
    }
    int count = buffer.getInt(37);
    long[] offsets = new long[count];
    long[] positions = new long[count];
    long[] arrivals = new long[count];
    for (int i = 0; i < count; i++) {
      int at = HEADER_BYTES + i * ENTRY_BYTES;
      offsets[i] = buffer.getLong(at);
      positions[i] = buffer.getLong(at + 8);
      arrivals[i] = buffer.getLong(at + 16);
    }
    return new Loaded(new Contents(baseOffset, buffer.getLong(13), buffer.getLong(21), buffer.getLong(29),
        offsets, positions, arrivals), null);
  }

  /**
   * Why the index in {@code buffer} (the whole file) cannot be trusted, or null. For a checkpoint,
   * {@code nextSegmentBaseOffset} is unknown (-1) and the end position may lie below the file's size.
   */
  private static String problem(ByteBuffer buffer, long baseOffset, long segmentSizeBytes,
                                long nextSegmentBaseOffset, boolean checkpoint) {
    int crcPosition = buffer.capacity() - RecordCodec.CRC_BYTES;
    int storedCrc = buffer.getInt(crcPosition);
    int actualCrc = crc32c(buffer.array(), crcPosition);
    if (storedCrc != actualCrc) {
      return String.format("CRC32C mismatch: stored %08x, computed %08x", storedCrc, actualCrc);
    }
    if (buffer.getInt(0) != MAGIC) {
      return String.format("bad magic %08x", buffer.getInt(0));
    }
    if (buffer.get(4) != FORMAT_VERSION) {
      return "unsupported index format version " + buffer.get(4);
    }
    if (buffer.getLong(5) != baseOffset) {
      return "index says base offset " + buffer.getLong(5) + " but the file name says " + baseOffset;
    }
    long recordCount = buffer.getLong(13);
    long endPosition = buffer.getLong(21);
    long lastArrival = buffer.getLong(29);
    int count = buffer.getInt(37);
    if (checkpoint ? endPosition > segmentSizeBytes : endPosition != segmentSizeBytes) {
      return "stale: index says the segment ends at " + endPosition + ", the file is " + segmentSizeBytes + " bytes";
    }
    if (endPosition < SegmentFormat.HEADER_BYTES
        || (recordCount == 0) != (endPosition == SegmentFormat.HEADER_BYTES)) {
      return "end position " + endPosition + " does not fit " + recordCount + " records";
    }
    if (checkpoint && recordCount >= 0) {
      nextSegmentBaseOffset = baseOffset + recordCount; // the end the checkpoint claims; checked against entries
    }
    if (recordCount < 0 || baseOffset + recordCount != nextSegmentBaseOffset) {
      return "stale: index counts " + recordCount + " records, the next segment begins at " + nextSegmentBaseOffset;
    }
    if (count < 0 || (long) HEADER_BYTES + (long) count * ENTRY_BYTES + RecordCodec.CRC_BYTES != buffer.capacity()) {
      return "entry count " + count + " does not fit a " + buffer.capacity() + "-byte file";
    }
    if ((count == 0) != (recordCount == 0)) {
      return count + " entries for " + recordCount + " records";
    }
    long previousOffset = baseOffset - 1;
    long previousPosition = SegmentFormat.HEADER_BYTES - 1;
    long previousArrival = Long.MIN_VALUE;
    for (int i = 0; i < count; i++) {
      int at = HEADER_BYTES + i * ENTRY_BYTES;
      long offset = buffer.getLong(at);
      long position = buffer.getLong(at + 8);
      long arrival = buffer.getLong(at + 16);
      boolean firstIsFirstRecord = i > 0 || (offset == baseOffset && position == SegmentFormat.HEADER_BYTES);
      if (!firstIsFirstRecord || offset <= previousOffset || offset >= nextSegmentBaseOffset
          || position <= previousPosition || position >= endPosition
          || arrival < previousArrival || arrival > lastArrival) {
        return "entry " + i + " (offset " + offset + ", position " + position + ", arrival " + arrival
            + ") is out of order or outside the segment";
      }
      previousOffset = offset;
      previousPosition = position;
      previousArrival = arrival;
    }
    return null;
  }

  private static int crc32c(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }
}
