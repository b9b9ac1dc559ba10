package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable {@link ShardLog}: a directory of segment files, each named by its base offset and holding
 * records back to back in the format of {@link RecordCodec} after the header of {@link SegmentFormat}.
 *
 * <p><b>Threading.</b> Blocking; call off the event loop. One appender thread at a time calls {@link #append},
 * {@link #sync} and {@link #close}; {@link #read} and {@link #offsetForTime} may run on any threads concurrently.
 * After each append the log publishes an immutable {@code State} (segment list, end position of the active
 * segment, next offset) through a volatile field; readers work from one such snapshot and use positional
 * reads only, so they see exactly the records of appends that have returned.
 *
 * <p><b>Writing.</b> Each {@link #append} encodes the batch into one buffer and writes it with one positional
 * write (looped until complete) at the end of the active segment. Before the write, if the active segment
 * already holds records and the batch would take it past {@code maxSegmentBytes}, the log rolls: it fsyncs
 * the active segment, writes its {@link SegmentIndexFile} (fsynced, renamed into place), creates the next
 * segment (named by the next offset, header fsynced) and fsyncs the directory. Failing to write the index file
 * does not fail the roll: the segment is then scanned on the next open, and {@link #indexWriteFailures()} counts
 * it.
 * A batch is never split across segments, so a batch larger than {@code maxSegmentBytes} gets a segment alone.
 *
 * <p><b>Durability.</b> An appended record is durable once {@link #sync()} (fdatasync of the active segment)
 * has returned; earlier segments were fsynced when they were rolled.
 *
 * <p><b>Checkpoints.</b> The active segment's {@link SegmentIndexFile} is written as a checkpoint on a clean
 * {@link #close()} and by {@link #sync()} once {@code checkpointBytes} have been appended to the active segment
 * since the last one, always after the fsync and covering only what that fsync made durable, so a checkpoint
 * never claims unsynced data. It is written like a sealed index (temporary name, fsync, rename) without a
 * directory fsync: losing the rename in a crash leaves the previous checkpoint or none, both still true. Opening
 * the log then trusts the checkpointed prefix and scans only what follows it. A failed checkpoint does not fence
 * the log (the data is synced; the next open just scans more) and is counted by {@link #indexWriteFailures()}.
 * Rolling overwrites the checkpoint with the sealed index.
 *
 * <p><b>Failures.</b> An IOException from a write, fsync or roll fences the log: that call and every later
 * {@link #append} or {@link #sync} throws IOException, while reads of what was published keep working. Nothing
 * is retried onto a half-written file. The appender then calls {@link #discardFrom} with the first offset it never
 * acknowledged, which cuts the file back (or, if even that fails, leaves a marker for recovery), so that records a
 * producer was told had failed never come back; reopening the log runs recovery, which truncates any torn tail.
 *
 * <p><b>Retention.</b> {@link #trimOlderThan} (appender thread) deletes the leading segments whose last record
 * arrived before the cutoff; arrival times are non-decreasing within a log, so those are exactly the segments
 * holding nothing newer. If the active segment itself has records and all of them are expired, the log first
 * rolls to a fresh, empty segment named by the next offset, so the next offset survives a reopen and appends go
 * on. The trimmed state is published before any file is touched; then each removed segment is marked retired,
 * closed and deleted (oldest first, so a crash part-way leaves no gap), and the directory is fsynced. A reopened
 * log starts at its first remaining segment's base offset.
 *
 * <p><b>Reads racing retention.</b> A reader working from a snapshot taken before a trim may find the file it
 * reads closed under it. If that segment is retired, the read returns the records it already collected or, if
 * it has none, starts again from the new state, which clamps it to the new start offset; a time lookup starts
 * again likewise. Any other I/O error is thrown as before.
 *
 * <p><b>Opening.</b> {@link #open} runs {@link SegmentRecovery}, which opens sealed segments from their index
 * files and scans the rest; {@link #recoveryReport()} tells what it found.
 */
public final class FileShardLog implements ShardLog {

  /** Default size past which the active segment is rolled: 128 MiB. */
  public static final long DEFAULT_MAX_SEGMENT_BYTES = 128L * 1024 * 1024;

  /**
   * Default bytes appended to the active segment after which {@link #sync()} writes a checkpoint: 16 MiB, so that
   * a crash costs at most about that much scanning per shard while checkpoint writes stay under 1% of the data.
   */
  public static final long DEFAULT_CHECKPOINT_BYTES = 16L * 1024 * 1024;

  /**
   * How far ahead of the last record the active segment is extended with zeros, written after a batch that reaches
   * the extended end: 1 MiB. An fdatasync of data written inside the file's size writes the data alone; one
   * that covers a size change must also commit the filesystem's journal, which (ext4, ordered mode) waits for every
   * dirty page of the filesystem and makes the durable put's latency hostage to any other writer on the disk.
   */
  static final int PREALLOCATE_BYTES = 1024 * 1024;

  /** {@link #PREALLOCATE_BYTES} zeros, shared read-only (direct: written without a copy). */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(PREALLOCATE_BYTES).asReadOnlyBuffer();

  /** What readers see. {@code segments} is immutable; its last element is the active segment. */
  private record State(List<Segment> segments, long activeEndPosition, long nextOffset) {
    Segment active() {
      return segments.get(segments.size() - 1);
    }

    long endPosition(int segmentIndex) {
      return segmentIndex == segments.size() - 1 ? activeEndPosition : segments.get(segmentIndex).sealedEndPosition;
    }

    long endOffset(int segmentIndex) {
      return segmentIndex == segments.size() - 1 ? nextOffset : segments.get(segmentIndex + 1).baseOffset;
    }

    long startOffset() {
      return segments.get(0).baseOffset;
    }
  }

  private final Path directory;
  private final long maxSegmentBytes;
  private final long checkpointBytes;
  private final SegmentIo segmentIo;
  private final RecoveryReport recoveryReport;
  private volatile State state;
  /** Appender only: the failure that fenced this log, or null. */
  private IOException fencedBy;
  private boolean closed;
  /** Appender only: end position covered by the active segment's checkpoint on disk, -1 if it has none. */
  private long checkpointPosition;
  /**
   * Appender only: how far the active segment file has been written, records then zeros ({@link #PREALLOCATE_BYTES});
   * the zeros past the last record are cut off when the segment is sealed or the log closed, and read by recovery as
   * a clean end.
   */
  private long allocatedEnd;
  /** Written by the appender, read by any thread: index files (sealed or checkpoints) that could not be written. */
  private volatile long indexWriteFailures;

  private FileShardLog(Path directory, long maxSegmentBytes, long checkpointBytes, SegmentIo segmentIo,
                       SegmentRecovery.Recovered recovered) {
    this.directory = directory;
    this.maxSegmentBytes = maxSegmentBytes;
    this.checkpointBytes = checkpointBytes;
    this.segmentIo = segmentIo;
    this.recoveryReport = recovered.report();
    this.state = new State(recovered.segments(), recovered.activeEndPosition(), recovered.nextOffset());
    this.checkpointPosition = recovered.activeCheckpointPosition();
    this.allocatedEnd = recovered.activeEndPosition(); // recovery cut any zeros off
  }

  /** Opens (recovering) or creates the log in {@code directory} with 128 MiB segments and real file I/O. */
  public static FileShardLog open(Path directory) throws IOException {
    return open(directory, DEFAULT_MAX_SEGMENT_BYTES, SegmentIo.standard());
  }

  /** Opens (recovering) or creates the log in {@code directory} with real file I/O. */
  public static FileShardLog open(Path directory, long maxSegmentBytes) throws IOException {
    return open(directory, maxSegmentBytes, SegmentIo.standard());
  }

  /** Opens (recovering) or creates the log in {@code directory} with 16 MiB checkpoints. */
  public static FileShardLog open(Path directory, long maxSegmentBytes, SegmentIo segmentIo) throws IOException {
    return open(directory, maxSegmentBytes, DEFAULT_CHECKPOINT_BYTES, segmentIo);
  }

  /**
   * Opens (recovering) or creates the log in {@code directory}. Blocking: reads every segment's index file (or
   * scans the segment) and scans the last one after its checkpoint.
   *
   * @param maxSegmentBytes size past which the active segment is rolled, at least one header plus one byte
   * @param checkpointBytes bytes appended to the active segment after which {@link #sync()} writes a checkpoint;
   *                        0 writes checkpoints only on {@link #close()}
   * @param segmentIo       the file operations to use; {@link SegmentIo#standard()} outside fault tests
   * @throws CorruptSegmentException if damage is found that truncating the tail cannot repair
   */
  public static FileShardLog open(Path directory, long maxSegmentBytes, long checkpointBytes, SegmentIo segmentIo)
      throws IOException {
    if (maxSegmentBytes <= SegmentFormat.HEADER_BYTES) {
      throw new IllegalArgumentException("maxSegmentBytes must exceed the " + SegmentFormat.HEADER_BYTES
          + "-byte segment header, was " + maxSegmentBytes);
    }
    if (checkpointBytes < 0) {
      throw new IllegalArgumentException("checkpointBytes must be 0 (on close only) or positive, was "
          + checkpointBytes);
    }
    SegmentRecovery.Recovered recovered = SegmentRecovery.recover(directory, segmentIo);
    return new FileShardLog(directory, maxSegmentBytes, checkpointBytes, segmentIo, recovered);
  }

  @Override
  public long nextOffset() {
    return state.nextOffset();
  }

  @Override
  public long startOffset() {
    return state.startOffset();
  }

  /** Index files that could not be written when a segment was sealed or checkpointed, for metrics. */
  public long indexWriteFailures() {
    return indexWriteFailures;
  }

  /** Number of segment files, for metrics and tests. */
  public int segmentCount() {
    return state.segments().size();
  }

  @Override
  public void append(List<LogRecord> records) throws IOException {
    requireWritable();
    State current = state;
    DenseOffsets.require(records, current.nextOffset());
    if (records.isEmpty()) {
      return;
    }
    ByteBuffer encoded = RecordCodec.encode(records); // may refuse oversize records: before any I/O
    long writePosition;
    try {
      if (rolls(current, encoded.remaining())) {
        current = roll(current);
      }
      writePosition = current.activeEndPosition();
      current.active().file.writeFully(encoded.duplicate(), writePosition);
      long end = writePosition + encoded.remaining();
      int zeros = end <= allocatedEnd ? 0 : (int) Math.max(0, Math.min(PREALLOCATE_BYTES, maxSegmentBytes - end));
      if (zeros > 0) {
        current.active().file.writeFully(ZEROS.duplicate().limit(zeros), end);
      }
      allocatedEnd = Math.max(allocatedEnd, end + zeros);
    } catch (IOException e) {
      throw fence(e);
    }
    Segment active = current.active();
    long position = writePosition;
    for (LogRecord record : records) {
      active.index.maybeAdd(record.offset(), position, record.arrivalMillis());
      position += RecordCodec.FRAME_OVERHEAD_BYTES + encoded.getInt((int) (position - writePosition));
    }
    active.lastArrivalMillis = records.get(records.size() - 1).arrivalMillis();
    state = new State(current.segments(), position, current.nextOffset() + records.size());
  }

  /** Whether a batch of {@code bytes} opens a new segment: the active one has records and would outgrow the limit. */
  private boolean rolls(State current, long bytes) {
    return current.activeEndPosition() > SegmentFormat.HEADER_BYTES
        && current.activeEndPosition() + bytes > maxSegmentBytes;
  }

  /** Cuts the zeros written past the active segment's last record ({@link #PREALLOCATE_BYTES}); not forced. */
  private void releasePreallocation(State current) throws IOException {
    if (allocatedEnd > current.activeEndPosition()) {
      current.active().file.truncate(current.activeEndPosition());
      allocatedEnd = current.activeEndPosition();
    }
  }

  /** Fsyncs the active segment, then writes a checkpoint if {@code checkpointBytes} were appended since the last. */
  @Override
  public void sync() throws IOException {
    requireWritable();
    State synced = state; // the appender's own state: everything in it is covered by the force below
    try {
      synced.active().file.force();
    } catch (IOException e) {
      throw fence(e);
    }
    long checkpointedUpTo = Math.max(checkpointPosition, SegmentFormat.HEADER_BYTES);
    if (checkpointBytes > 0 && synced.activeEndPosition() - checkpointedUpTo >= checkpointBytes) {
      maybeCheckpoint(synced);
    }
  }

  /**
   * Cuts the active segment back to where the record at {@code offset} begins (or the write that failed began) and
   * fsyncs it, so the unacknowledged records are gone on disk too. If the cut or its fsync fails, leaves an empty
   * marker file naming the position ({@link SegmentFormat#discardMarkerName}), which the next recovery obeys before
   * anything else; only if that fails too does this throw. Allowed while fenced; the log stays fenced.
   */
  @Override
  public void discardFrom(long offset) throws IOException {
    State current = state;
    Segment active = current.active();
    DiscardRange.require(offset, active.baseOffset, current.nextOffset());
    long position = positionOf(current, offset);
    try {
      if (active.file.size() > position) {
        active.file.truncate(position);
        active.file.force();
      }
      allocatedEnd = position;
    } catch (IOException cutFailed) {
      try {
        segmentIo.create(directory.resolve(SegmentFormat.discardMarkerName(active.baseOffset, position))).close();
        segmentIo.forceDirectory(directory);
      } catch (IOException markFailed) {
        cutFailed.addSuppressed(markFailed);
        throw cutFailed;
      }
    }
    state = new State(current.segments(), position, offset);
  }

  /** Where the record at {@code offset} of the active segment begins; the end of its records for the next offset. */
  private long positionOf(State current, long offset) throws IOException {
    if (offset == current.nextOffset()) {
      return current.activeEndPosition();
    }
    Segment active = current.active();
    SparseIndex.Entry start = active.index.floor(offset);
    SegmentReader reader = new SegmentReader(active.file, start == null ? SegmentFormat.HEADER_BYTES
        : start.position(), current.activeEndPosition());
    while (reader.hasMore()) {
      long position = reader.position();
      if (checkWhileReading(reader, active).offset() == offset) {
        return position;
      }
      reader.skip();
    }
    throw new CorruptSegmentException("offset " + offset + " not found in segment " + active.name() + " of "
        + directory);
  }

  @Override
  public List<LogRecord> read(long fromOffset, int maxRecords, long maxBytes) throws IOException {
    ReadBatch batch = new ReadBatch(maxRecords, maxBytes);
    while (!readInto(batch, state, fromOffset) && batch.records().isEmpty()) {
      // retention deleted a segment under this read before it found anything: read the new state instead
    }
    return batch.records();
  }

  /** Fills {@code batch} from {@code current}; returns false if a segment it needed was retired meanwhile. */
  private boolean readInto(ReadBatch batch, State current, long fromOffset) throws IOException {
    long offset = Math.max(fromOffset, current.startOffset());
    for (int i = segmentIndexOf(current, offset); i < current.segments().size()
        && offset < current.nextOffset(); i++) {
      Segment segment = current.segments().get(i);
      try {
        SparseIndex.Entry start = segment.index.floor(offset);
        long position = start == null ? SegmentFormat.HEADER_BYTES : start.position();
        SegmentReader reader = new SegmentReader(segment.file, position, current.endPosition(i));
        while (reader.hasMore()) {
          RecordCodec.Frame frame = checkWhileReading(reader, segment);
          if (frame.offset() < offset) {
            reader.skip();
            continue;
          }
          if (!batch.tryAdd(reader.decode()) || batch.full()) {
            return true;
          }
        }
      } catch (IOException e) {
        if (segment.retired) {
          return false;
        }
        throw e;
      }
      offset = current.endOffset(i);
    }
    return true;
  }

  /**
   * Walks segments from the newest to the oldest to find the last one holding a record that arrived before
   * {@code epochMillis}, binary-searches its index, then scans forward from the index entry. Starts again from the
   * new state if retention deleted the segment it was reading.
   */
  @Override
  public long offsetForTime(long epochMillis) throws IOException {
    while (true) {
      long found = offsetForTime(state, epochMillis);
      if (found >= 0) {
        return found;
      }
    }
  }

  /** The offset for the time in {@code current}, or -1 if a segment it needed was retired meanwhile. */
  private long offsetForTime(State current, long epochMillis) throws IOException {
    for (int i = current.segments().size() - 1; i >= 0; i--) {
      Segment segment = current.segments().get(i);
      SparseIndex.Entry before = segment.index.lastArrivedBefore(epochMillis, current.nextOffset());
      if (before == null) {
        continue; // no visible record of this segment arrived before the time: look further back
      }
      try {
        SegmentReader reader = new SegmentReader(segment.file, before.position(), current.endPosition(i));
        while (reader.hasMore()) {
          RecordCodec.Frame frame = checkWhileReading(reader, segment);
          if (frame.arrivalMillis() >= epochMillis) {
            return frame.offset();
          }
          reader.skip();
        }
      } catch (IOException e) {
        if (segment.retired) {
          return -1;
        }
        throw e;
      }
      return current.endOffset(i);
    }
    return current.startOffset(); // every record arrived at or after the time, or there are none
  }

  /**
   * Deletes the leading segments whose last record arrived before {@code cutoffMillis}; see the class note on
   * retention. A failed roll fences the log like any write failure. A failed delete does not (the data is intact
   * and no longer part of the log): the remaining segments are still deleted and the first failure is thrown;
   * a file left behind reappears on reopen and is trimmed again then.
   */
  @Override
  public long trimOlderThan(long cutoffMillis) throws IOException {
    requireWritable();
    State current = state;
    int sealedCount = current.segments().size() - 1;
    int expired = 0;
    while (expired < sealedCount && current.segments().get(expired).lastArrivalMillis < cutoffMillis) {
      expired++;
    }
    if (expired == sealedCount && current.activeEndPosition() > SegmentFormat.HEADER_BYTES
        && current.active().lastArrivalMillis < cutoffMillis) {
      try {
        current = roll(current);
      } catch (IOException e) {
        throw fence(e);
      }
      expired++;
    }
    if (expired == 0) {
      return current.startOffset();
    }
    List<Segment> segments = current.segments();
    State trimmed = new State(List.copyOf(segments.subList(expired, segments.size())), current.activeEndPosition(),
        current.nextOffset());
    state = trimmed;
    delete(segments.subList(0, expired));
    return trimmed.startOffset();
  }

  @Override
  public RecoveryReport recoveryReport() {
    return recoveryReport;
  }

  /**
   * Unless fenced: fsyncs the active segment and writes its checkpoint (a failed checkpoint is only counted), so
   * that the next open reads none of its records. Then closes every segment file. Idempotent.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException failure = null;
    State current = state;
    if (fencedBy == null) {
      try {
        releasePreallocation(current); // a clean segment ends at its last record, where its checkpoint says
        current.active().file.force();
        maybeCheckpoint(current);
      } catch (IOException e) {
        failure = e;
      }
    }
    for (Segment segment : current.segments()) {
      try {
        segment.file.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "FileShardLog[" + directory + ", nextOffset=" + nextOffset() + "]";
  }

  /**
   * Writes the checkpoint of the active segment at {@code synced}'s end position, which the caller has just fsynced,
   * unless the one on disk already says as much. A failure is counted, not thrown.
   */
  private void maybeCheckpoint(State synced) {
    Segment active = synced.active();
    if (synced.activeEndPosition() == checkpointPosition) {
      return;
    }
    try {
      SegmentIndexFile.write(segmentIo, active, synced.nextOffset() - active.baseOffset, synced.activeEndPosition());
      checkpointPosition = synced.activeEndPosition();
    } catch (IOException e) {
      indexWriteFailures++; // not fatal: the next open scans from the previous checkpoint, or the whole segment
    }
  }

  /** Seals the active segment and publishes a state with a fresh, empty active segment. */
  private State roll(State current) throws IOException {
    Segment sealed = current.active();
    releasePreallocation(current);
    sealed.file.force();
    sealed.sealedEndPosition = current.activeEndPosition();
    try {
      SegmentIndexFile.write(segmentIo, sealed, current.nextOffset() - sealed.baseOffset,
          current.activeEndPosition());
    } catch (IOException e) {
      indexWriteFailures++; // not fatal: the next open scans this segment instead
    }
    checkpointPosition = -1; // the new segment has none yet
    Segment next = Segment.create(directory, current.nextOffset(), segmentIo);
    allocatedEnd = SegmentFormat.HEADER_BYTES;
    List<Segment> segments = new ArrayList<>(current.segments());
    segments.add(next);
    State rolled = new State(List.copyOf(segments), SegmentFormat.HEADER_BYTES, current.nextOffset());
    state = rolled; // publish before the directory fsync, so close() can release the new file if it fails
    segmentIo.forceDirectory(directory);
    return rolled;
  }

  /** Retires, closes and deletes {@code removed} (already unpublished), oldest first, then fsyncs the directory. */
  private void delete(List<Segment> removed) throws IOException {
    IOException failure = null;
    for (Segment segment : removed) {
      segment.retired = true;
      try {
        segment.file.close();
        segmentIo.delete(segment.path);
        segmentIo.delete(directory.resolve(SegmentFormat.indexFileName(segment.baseOffset)));
      } catch (IOException e) {
        failure = firstOf(failure, e);
      }
    }
    try {
      segmentIo.forceDirectory(directory);
    } catch (IOException e) {
      failure = firstOf(failure, e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static IOException firstOf(IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private RecordCodec.Frame checkWhileReading(SegmentReader reader, Segment segment) throws IOException {
    long position = reader.position();
    RecordCodec.Frame frame = reader.check();
    if (!frame.ok()) {
      throw new CorruptSegmentException("segment " + segment.name() + " of " + directory + " is unreadable at "
          + "position " + position + ": " + frame.outcome() + ", " + frame.problem());
    }
    return frame;
  }

  /** The index of the segment holding {@code offset}: the last one whose base offset is at or below it. */
  private static int segmentIndexOf(State current, long offset) {
    List<Segment> segments = current.segments();
    int low = 0;
    int high = segments.size() - 1;
    while (low < high) {
      int middle = (low + high + 1) >>> 1;
      if (segments.get(middle).baseOffset <= offset) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return low;
  }

  private void requireWritable() throws IOException {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    if (fencedBy != null) {
      throw new IOException("shard log " + directory + " is fenced after an earlier write or fsync failure; "
          + "reopen it to recover", fencedBy);
    }
  }

  private IOException fence(IOException failure) {
    fencedBy = failure;
    return new IOException("write or fsync failed, shard log " + directory + " is now fenced: "
        + failure.getMessage(), failure);
  }
}
