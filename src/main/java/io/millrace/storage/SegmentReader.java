package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Walks the records of one segment file between two positions through a buffer, using positional reads only:
 * the reading side of the segment seam. Used by recovery (to check and index), by reads and by time lookups.
 *
 * <p><b>Threading.</b> Not thread-safe; each read creates its own reader. Several readers may run on one
 * {@link SegmentIo.SegmentFile} concurrently with its appender, since they never touch a channel position.
 *
 * <p>Usage: while {@link #hasMore()}, {@link #check()} the next frame; if it is OK either {@link #decode()} it
 * or {@link #skip()} it; anything else means the range holds no further valid record.
 */
final class SegmentReader {

  private static final int DEFAULT_BUFFER_BYTES = 64 * 1024;

  private final SegmentIo.SegmentFile file;
  private final long endPosition;
  /** File position of {@code buffer}'s byte 0. */
  private long bufferFilePosition;
  /** Read mode: position = start of the current frame, limit = end of the bytes read so far. */
  private ByteBuffer buffer;
  private RecordCodec.Frame current;

  /** Reads records from {@code position} up to (not including) {@code endPosition}. */
  SegmentReader(SegmentIo.SegmentFile file, long position, long endPosition) {
    this.file = file;
    this.endPosition = endPosition;
    this.bufferFilePosition = position;
    int bufferBytes = (int) Math.max(RecordCodec.FRAME_OVERHEAD_BYTES,
        Math.min(DEFAULT_BUFFER_BYTES, endPosition - position));
    this.buffer = ByteBuffer.allocate(bufferBytes).limit(0);
  }

  /** The file position of the next frame. */
  long position() {
    return bufferFilePosition + buffer.position();
  }

  boolean hasMore() {
    return position() < endPosition;
  }

  /** Checks the next frame, reading more of the file as needed; TRUNCATED means the range ends inside it. */
  RecordCodec.Frame check() throws IOException {
    current = RecordCodec.check(buffer);
    while (current.outcome() == RecordCodec.Outcome.TRUNCATED && bufferFilePosition + buffer.limit() < endPosition) {
      if (!fill(Math.max(current.recordBytes(), RecordCodec.FRAME_OVERHEAD_BYTES))) {
        break; // the file is shorter than the range: the frame stays TRUNCATED
      }
      current = RecordCodec.check(buffer);
    }
    return current;
  }

  /** Decodes the frame {@link #check()} found OK and moves past it. */
  LogRecord decode() {
    requireCheckedOk();
    current = null;
    return RecordCodec.decode(buffer);
  }

  /** Moves past the frame {@link #check()} found OK. */
  void skip() {
    requireCheckedOk();
    buffer.position(buffer.position() + current.recordBytes());
    current = null;
  }

  private void requireCheckedOk() {
    if (current == null || !current.ok()) {
      throw new IllegalStateException("no checked OK frame at position " + position());
    }
  }

  /**
   * Keeps the unconsumed bytes, makes room for at least {@code requiredBytes}, and reads on towards the end
   * position. Returns false if no byte could be read.
   */
  private boolean fill(int requiredBytes) throws IOException {
    bufferFilePosition += buffer.position();
    if (requiredBytes > buffer.capacity()) {
      buffer = ByteBuffer.allocate(requiredBytes).put(buffer);
    } else {
      buffer.compact();
    }
    long wantedBytes = Math.min(buffer.remaining(), endPosition - (bufferFilePosition + buffer.position()));
    int keptBytes = buffer.position();
    buffer.limit(keptBytes + (int) wantedBytes);
    while (buffer.hasRemaining()) {
      if (file.read(buffer, bufferFilePosition + buffer.position()) < 0) {
        break;
      }
    }
    boolean progressed = buffer.position() > keptBytes;
    buffer.flip();
    return progressed;
  }
}
