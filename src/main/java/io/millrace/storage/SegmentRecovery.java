package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens the segments of a shard log directory: checks every header, opens each sealed segment from its
 * {@link SegmentIndexFile} when that can be trusted, scans the records of every other segment (CRC32C and dense
 * offsets), writes the index files that were missing, stale or corrupt, and truncates a torn or corrupt tail of
 * the <em>last</em> segment at the last good record boundary. The last (active) segment is opened from its
 * checkpoint (its index file, written on a clean close and every {@code checkpointBytes} synced) when that can be
 * trusted: entirely if the checkpoint ends where the file ends, else the checkpointed prefix is trusted and only
 * the records after it are scanned (and a torn tail there truncated). Zeros after the last record are the space a
 * writer extends its segment with ahead of its records ({@link FileShardLog#PREALLOCATE_BYTES}): a clean end, cut off
 * without counting anything dropped. A checkpoint that claims more than the file
 * holds (stale) or is corrupt makes recovery scan the whole segment and delete it (fsyncing the directory), so it
 * can never vouch for bytes rewritten later. Index files without a segment, and temporary ones, are deleted. Before
 * any of that, a discard marker left by {@link FileShardLog#discardFrom} cuts the last segment where it says: the
 * records after that position were never acknowledged.
 *
 * <p><b>Threading.</b> Runs once, on the thread opening the log, before the log is published.
 *
 * <p>Design note: only the last segment can legitimately end badly, because a segment is fsynced before the
 * next one is created. A bad record in an earlier segment, or a gap between segments, would mean dropping
 * records from the middle of the log, so recovery refuses with {@link CorruptSegmentException} instead.
 *
 * <p>Counting dropped records: from the first bad frame, recovery walks the dropped region by its length
 * fields; each length-delimited frame counts as one record, and a remainder with a nonsensical length or one
 * that runs past the end of the file (a torn record, or garbage) counts as one.
 */
final class SegmentRecovery {

  /**
   * What recovery produced: the open segments (last = active), where the next record goes, the end position of
   * the active segment's trusted checkpoint on disk (-1 if it has none), and the report.
   */
  record Recovered(List<Segment> segments, long activeEndPosition, long nextOffset, long activeCheckpointPosition,
                   RecoveryReport report) {}

  /** Where the good records of a scanned segment end: file position and the offset after the last one. */
  private record Scanned(long endPosition, long endOffset) {}

  private final Path directory;
  private final SegmentIo segmentIo;
  private final List<Segment> opened = new ArrayList<>();
  private long recordsRecovered;
  private long recordsDropped;
  private long bytesDropped;
  private String detail = "";
  private int segmentsFromIndex;
  private int segmentsScanned;
  private int indexesWritten;
  private boolean activeFromCheckpoint;
  private long bytesTrusted;
  private long bytesScanned;
  private long activeCheckpointPosition = -1;

  private SegmentRecovery(Path directory, SegmentIo segmentIo) {
    this.directory = directory;
    this.segmentIo = segmentIo;
  }

  /** Recovers {@code directory}, creating it and an empty first segment (base offset 0) if there is none. */
  static Recovered recover(Path directory, SegmentIo segmentIo) throws IOException {
    return new SegmentRecovery(directory, segmentIo).run();
  }

  private Recovered run() throws IOException {
    try {
      Files.createDirectories(directory);
      List<Long> baseOffsets = listBaseOffsets();
      if (baseOffsets.isEmpty()) {
        deleteStrayIndexFiles(baseOffsets);
        opened.add(Segment.create(directory, 0, segmentIo));
        segmentIo.forceDirectory(directory);
        return new Recovered(List.copyOf(opened), SegmentFormat.HEADER_BYTES, 0, -1, RecoveryReport.clean(0));
      }
      List<Path> discardMarkers = listDiscardMarkers();
      long nextOffset = baseOffsets.get(0);
      long activeEndPosition = 0;
      for (int i = 0; i < baseOffsets.size(); i++) {
        long baseOffset = baseOffsets.get(i);
        Path path = directory.resolve(SegmentFormat.fileName(baseOffset));
        if (baseOffset != nextOffset) {
          throw new CorruptSegmentException("segment " + path.getFileName() + " starts at offset " + baseOffset
              + " but the segment before it ends at " + nextOffset);
        }
        Segment segment = new Segment(baseOffset, path, segmentIo.open(path));
        opened.add(segment);
        boolean last = i == baseOffsets.size() - 1;
        if (!last && openedFromIndex(segment, baseOffsets.get(i + 1))) {
          segmentsFromIndex++;
          nextOffset = baseOffsets.get(i + 1);
          continue;
        }
        if (last) {
          obeyDiscardMarkers(segment, discardMarkers);
          Scanned resumed = resumedFromCheckpoint(segment);
          if (resumed != null) {
            activeEndPosition = resumed.endPosition();
            nextOffset = resumed.endOffset();
            continue;
          }
        }
        Scanned scanned = scan(segment, last, SegmentFormat.HEADER_BYTES, segment.baseOffset);
        segmentsScanned++;
        activeEndPosition = scanned.endPosition();
        nextOffset = scanned.endOffset();
        if (!last) {
          segment.sealedEndPosition = scanned.endPosition();
          maybeWriteIndex(segment, scanned);
        }
      }
      for (Path marker : discardMarkers) {
        segmentIo.delete(marker); // obeyed (the cut is fsynced) or about a segment that is no longer the last
      }
      if (indexesWritten > 0 || !discardMarkers.isEmpty()) {
        segmentIo.forceDirectory(directory);
      }
      deleteStrayIndexFiles(baseOffsets);
      RecoveryReport report = new RecoveryReport(recordsRecovered, recordsDropped, bytesDropped, detail,
          segmentsFromIndex, segmentsScanned, indexesWritten, activeFromCheckpoint, bytesTrusted, bytesScanned);
      return new Recovered(List.copyOf(opened), activeEndPosition, nextOffset, activeCheckpointPosition, report);
    } catch (IOException | RuntimeException e) {
      for (Segment segment : opened) {
        Segment.closeAfterFailure(segment.file, e);
      }
      throw e;
    }
  }

  private List<Long> listBaseOffsets() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(SegmentFormat::baseOffsetOf).filter(base -> base >= 0).sorted().toList();
    }
  }

  private List<Path> listDiscardMarkers() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(path -> SegmentFormat.discardMarkerOf(path) != null).sorted().toList();
    }
  }

  /**
   * Cuts the last segment at the position a discard marker names (the records after it were never acknowledged, and
   * the server could not cut them itself), before anything else trusts its bytes.
   */
  private void obeyDiscardMarkers(Segment segment, List<Path> discardMarkers) throws IOException {
    for (Path marker : discardMarkers) {
      long[] named = SegmentFormat.discardMarkerOf(marker);
      long position = named[1];
      long sizeBytes = segment.file.size();
      if (named[0] != segment.baseOffset || position < SegmentFormat.HEADER_BYTES || position >= sizeBytes) {
        continue;
      }
      long end = endOfNonZero(segment.file, position, sizeBytes);
      long droppedRecords = countFrames(segment.file, position, end);
      segment.file.truncate(position);
      segment.file.force();
      recordsDropped += droppedRecords;
      bytesDropped += end - position;
      detail = "segment " + segment.name() + ": " + droppedRecords + " record(s) from position " + position
          + " were never acknowledged (their write failed) and are cut off as " + marker.getFileName()
          + " asks; truncated " + (end - position) + " bytes";
    }
  }

  /**
   * Opens a sealed segment from its index file if that can be trusted (see {@link SegmentIndexFile}); the header is
   * still checked. Returns false if the segment must be scanned instead.
   */
  private boolean openedFromIndex(Segment segment, long nextSegmentBaseOffset) throws IOException {
    long sizeBytes = segment.file.size();
    if (!headerIsValid(segment, false, sizeBytes)) {
      return false; // unreachable: a bad header of a sealed segment throws
    }
    SegmentIndexFile.Loaded loaded = SegmentIndexFile.read(segmentIo, indexPath(segment.baseOffset),
        segment.baseOffset, sizeBytes, nextSegmentBaseOffset);
    if (!loaded.trusted()) {
      return false;
    }
    SegmentIndexFile.Contents contents = loaded.contents();
    segment.index.load(contents.offsets(), contents.positions(), contents.arrivalMillis());
    segment.lastArrivalMillis = contents.lastArrivalMillis();
    segment.sealedEndPosition = contents.endPosition();
    recordsRecovered += contents.recordCount();
    bytesTrusted += contents.endPosition() - SegmentFormat.HEADER_BYTES;
    return true;
  }

  /**
   * Opens the last segment from its checkpoint if that can be trusted, scanning only the records after it; returns
   * where the good records end, or null if the whole segment must be scanned instead (no checkpoint, or one that
   * is stale or corrupt, which is then deleted; or a torn header, which is rewritten).
   */
  private Scanned resumedFromCheckpoint(Segment segment) throws IOException {
    Path indexPath = indexPath(segment.baseOffset);
    if (!Files.exists(indexPath)) {
      return null;
    }
    long sizeBytes = segment.file.size();
    SegmentIndexFile.Loaded loaded = headerIsValid(segment, true, sizeBytes)
        ? SegmentIndexFile.readCheckpoint(segmentIo, indexPath, segment.baseOffset, sizeBytes)
        : new SegmentIndexFile.Loaded(null, "torn header");
    if (!loaded.trusted()) {
      // A checkpoint the file no longer matches must not survive: once appends pass its end position again it
      // would vouch for bytes it never saw. The deletion is made durable before any append can happen.
      segmentIo.delete(indexPath);
      segmentIo.forceDirectory(directory);
      return null;
    }
    SegmentIndexFile.Contents contents = loaded.contents();
    segment.index.load(contents.offsets(), contents.positions(), contents.arrivalMillis());
    segment.lastArrivalMillis = contents.lastArrivalMillis();
    recordsRecovered += contents.recordCount();
    bytesTrusted += contents.endPosition() - SegmentFormat.HEADER_BYTES;
    activeFromCheckpoint = true;
    activeCheckpointPosition = contents.endPosition();
    if (contents.endPosition() == sizeBytes) {
      return new Scanned(sizeBytes, segment.baseOffset + contents.recordCount());
    }
    return scan(segment, true, contents.endPosition(), segment.baseOffset + contents.recordCount());
  }

  /**
   * Writes the index of a sealed segment recovery had to scan. A failure is not fatal (the segment is simply
   * scanned again next time), so it only goes unwritten.
   */
  private void maybeWriteIndex(Segment segment, Scanned scanned) {
    try {
      SegmentIndexFile.write(segmentIo, segment, scanned.endOffset() - segment.baseOffset, scanned.endPosition());
      indexesWritten++;
    } catch (IOException e) {
      // left unwritten: the next open scans this segment again
    }
  }

  /** Deletes index files whose segment is gone (retention crashed between the two deletes) and temporary ones. */
  private void deleteStrayIndexFiles(List<Long> baseOffsets) throws IOException {
    List<Path> stray;
    try (Stream<Path> files = Files.list(directory)) {
      stray = files.filter(path -> SegmentFormat.indexBaseOffsetOf(path) >= 0)
          .filter(path -> path.getFileName().toString().endsWith(SegmentFormat.TEMPORARY_SUFFIX)
              || !baseOffsets.contains(SegmentFormat.indexBaseOffsetOf(path)))
          .toList();
    }
    for (Path path : stray) {
      segmentIo.delete(path);
    }
  }

  private Path indexPath(long baseOffset) {
    return directory.resolve(SegmentFormat.indexFileName(baseOffset));
  }

  /**
   * Checks and indexes the records of {@code segment} from {@code startPosition}, where the record with
   * {@code startOffset} must begin, and returns where its good records end. Scanning from the first record also
   * checks the header; a later start is a checkpoint's end, whose header was checked already.
   */
  private Scanned scan(Segment segment, boolean last, long startPosition, long startOffset) throws IOException {
    long sizeBytes = segment.file.size();
    if (startPosition == SegmentFormat.HEADER_BYTES && !headerIsValid(segment, last, sizeBytes)) {
      return new Scanned(SegmentFormat.HEADER_BYTES, segment.baseOffset);
    }
    bytesScanned += sizeBytes - startPosition;
    SegmentReader reader = new SegmentReader(segment.file, startPosition, sizeBytes);
    long expectedOffset = startOffset;
    while (reader.hasMore()) {
      long position = reader.position();
      RecordCodec.Frame frame = reader.check();
      String problem = !frame.ok() ? frame.problem()
          : frame.offset() != expectedOffset ? "offset " + frame.offset() + " where " + expectedOffset + " was expected"
          : null;
      if (problem != null && endOfNonZero(segment.file, position, sizeBytes) == position) {
        // The zeros a writer extends its segment with ahead of its records (FileShardLog.PREALLOCATE_BYTES): the
        // clean end of the records, not a loss. Cut off, so that the file ends where its records do.
        segment.file.truncate(position);
        segment.file.force();
        bytesScanned -= sizeBytes - position;
        return new Scanned(position, expectedOffset);
      }
      if (problem != null) {
        if (!last) {
          throw new CorruptSegmentException("segment " + segment.name() + " is corrupt at position " + position
              + ": " + problem + "; only the last segment may have a torn tail");
        }
        truncateTail(segment, position, sizeBytes, "record at position " + position + " (offset "
            + expectedOffset + "): " + problem);
        return new Scanned(position, expectedOffset);
      }
      segment.index.maybeAdd(frame.offset(), position, frame.arrivalMillis());
      segment.lastArrivalMillis = frame.arrivalMillis();
      reader.skip();
      expectedOffset++;
      recordsRecovered++;
    }
    return new Scanned(reader.position(), expectedOffset);
  }

  /** Returns true if the header is fine; rewrites a torn header of the last segment; throws otherwise. */
  private boolean headerIsValid(Segment segment, boolean last, long sizeBytes) throws IOException {
    String problem;
    if (sizeBytes < SegmentFormat.HEADER_BYTES) {
      problem = "file is " + sizeBytes + " bytes, shorter than its header";
    } else {
      ByteBuffer header = ByteBuffer.allocate(SegmentFormat.HEADER_BYTES);
      while (header.hasRemaining() && segment.file.read(header, header.position()) >= 0) {
        // positional reads until the header is complete
      }
      problem = SegmentFormat.headerProblem(header, segment.baseOffset);
    }
    if (problem == null) {
      return true;
    }
    if (!last || sizeBytes > SegmentFormat.HEADER_BYTES) {
      throw new CorruptSegmentException("segment " + segment.name() + " has a bad header: " + problem);
    }
    // A crash while rolling can leave the newest segment with a torn header and no records: start it afresh.
    segment.file.truncate(0);
    segment.file.writeFully(SegmentFormat.header(segment.baseOffset), 0);
    segment.file.force();
    bytesDropped += sizeBytes;
    detail = "segment " + segment.name() + ": torn header rewritten (" + problem + ")";
    return false;
  }

  private void truncateTail(Segment segment, long position, long sizeBytes, String problem) throws IOException {
    long end = endOfNonZero(segment.file, position, sizeBytes);
    long droppedRecords = countFrames(segment.file, position, end);
    segment.file.truncate(position);
    segment.file.force();
    recordsDropped += droppedRecords;
    bytesDropped += end - position;
    detail = "segment " + segment.name() + ": " + problem + "; truncated " + (end - position)
        + " bytes holding " + droppedRecords + " record(s)";
  }

  /**
   * Where the bytes of [position, sizeBytes) end once the zeros after them are left out: the zeros a writer extends
   * its segment with ({@link FileShardLog#PREALLOCATE_BYTES}) hold no record, so they are neither counted nor
   * reported as dropped. {@code position} if they are all zero.
   */
  private static long endOfNonZero(SegmentIo.SegmentFile file, long position, long sizeBytes) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    long chunkEnd = sizeBytes;
    while (chunkEnd > position) {
      long chunkStart = Math.max(position, chunkEnd - chunk.capacity());
      chunk.clear().limit((int) (chunkEnd - chunkStart));
      while (chunk.hasRemaining() && file.read(chunk, chunkStart + chunk.position()) >= 0) {
        // positional reads until the chunk is complete
      }
      for (int i = chunk.position() - 1; i >= 0; i--) {
        if (chunk.get(i) != 0) {
          return chunkStart + i + 1;
        }
      }
      chunkEnd = chunkStart;
    }
    return position;
  }

  /** Counts the frames in [position, sizeBytes) by their length fields; see the class note. */
  private static long countFrames(SegmentIo.SegmentFile file, long position, long sizeBytes) throws IOException {
    long frames = 0;
    long at = position;
    ByteBuffer lengthField = ByteBuffer.allocate(RecordCodec.LENGTH_FIELD_BYTES);
    while (at < sizeBytes) {
      frames++;
      if (sizeBytes - at < RecordCodec.LENGTH_FIELD_BYTES) {
        break;
      }
      lengthField.clear();
      while (lengthField.hasRemaining() && file.read(lengthField, at + lengthField.position()) >= 0) {
        // positional reads until the length field is complete
      }
      int bodyLength = lengthField.getInt(0);
      long frameBytes = RecordCodec.FRAME_OVERHEAD_BYTES + (long) bodyLength;
      if (bodyLength < RecordCodec.MIN_BODY_BYTES || bodyLength > RecordCodec.MAX_BODY_BYTES
          || at + frameBytes > sizeBytes) {
        break;
      }
      at += frameBytes;
    }
    return frames;
  }
}
