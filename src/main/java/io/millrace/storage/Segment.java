package io.millrace.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One open segment file of a {@link FileShardLog}: its base offset, file handle and sparse index.
 *
 * <p><b>Threading.</b> Created and sealed by the appender. {@link #sealedEndPosition} is volatile and is set
 * before the log publishes a state in which this segment is no longer the last; until then readers take the
 * active end position from the published state.
 */
final class Segment {
  final long baseOffset;
  final Path path;
  final SegmentIo.SegmentFile file;
  final SparseIndex index = new SparseIndex();
  /** The end of the last record once a newer segment exists; -1 while this is the active segment. */
  volatile long sealedEndPosition = -1;

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
