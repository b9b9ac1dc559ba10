package io.millrace.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One open segment file of a {@link FileShardLog}: its base offset, file handle and sparse index.
 *
 * <p><b>Threading.</b> Created and sealed by the appender. {@link #sealedEndPosition} is volatile and is set
 * before the log publishes a state in which this segment is no longer the last; until then readers take the
 * active end position from the published state. {@link #lastArrivalMillis} belongs to the appender alone.
 * {@link #retired} is set by retention before it closes the file, so a reader whose read fails on this
 * segment can tell a deletion race from a real I/O error.
 */
final class Segment {
  final long baseOffset;
  final Path path;
  final SegmentIo.SegmentFile file;
  final SparseIndex index = new SparseIndex();
  /** The end of the last record once a newer segment exists; -1 while this is the active segment. */
  volatile long sealedEndPosition = -1;
  /** Appender only: arrival time of the segment's last record, {@link Long#MIN_VALUE} while it has none. */
  long lastArrivalMillis = Long.MIN_VALUE;
  /** Set once retention has removed this segment from the log, just before its file is closed and deleted. */
  volatile boolean retired;

  Segment(long baseOffset, Path path, SegmentIo.SegmentFile file) {
    this.baseOffset = baseOffset;
    this.path = path;
    this.file = file;
  }

  /** Creates the segment file for {@code baseOffset}, writes its header and forces it (not the directory). */
  static Segment create(Path directory, long baseOffset, SegmentIo segmentIo) throws IOException {
    Path path = directory.resolve(SegmentFormat.fileName(baseOffset));
    SegmentIo.SegmentFile file = segmentIo.create(path);
    try {
      file.writeFully(SegmentFormat.header(baseOffset), 0);
      file.force();
    } catch (IOException e) {
      closeAfterFailure(file, e);
      throw e;
    }
    return new Segment(baseOffset, path, file);
  }

  String name() {
    return path.getFileName().toString();
  }

  static void closeAfterFailure(SegmentIo.SegmentFile file, Exception failure) {
    try {
      file.close();
    } catch (IOException suppressed) {
      failure.addSuppressed(suppressed);
    }
  }
}
