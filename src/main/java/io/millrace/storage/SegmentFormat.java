package io.millrace.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Segment file names and the segment file header: the one place that knows how segment files are named and
 * what their first bytes are.
 *
 * <p><b>Threading.</b> Stateless; safe from any thread.
 *
 * <p><b>File name:</b> the segment's base offset (the offset of its first record) zero-padded to 20 decimal
 * digits, then {@value #SEGMENT_SUFFIX}, e.g. {@code 00000000000000001024.log}. Names sort like offsets. A sealed
 * segment's {@link SegmentIndexFile} has the same stem and the suffix {@value #INDEX_SUFFIX}; it is written under
 * the same name plus {@value #TEMPORARY_SUFFIX} and renamed into place. A discard marker
 * ({@link #discardMarkerName}) is the segment's name plus {@value #DISCARD_MARKER_INFIX} and a file position.
 *
 * <p><b>Header, {@value #HEADER_BYTES} bytes, big-endian:</b>
 * <pre>
 *  byte  size  field
 *  0     4     magic          ASCII "MLRS" (0x4D 0x4C 0x52 0x53): a Millrace segment
 *  4     1     formatVersion  {@value #FORMAT_VERSION}: records as documented in {@link RecordCodec}
 *  5     8     baseOffset     must equal the offset in the file name
 * </pre>
 * Records follow from byte {@value #HEADER_BYTES} to the end of the file, back to back, with dense offsets
 * starting at baseOffset. A reader that finds another version refuses the file rather than guessing.
 */
final class SegmentFormat {

  static final String SEGMENT_SUFFIX = ".log";
  static final String INDEX_SUFFIX = ".index";
  static final String TEMPORARY_SUFFIX = ".tmp";
  static final int MAGIC = 0x4D4C5253;
  static final byte FORMAT_VERSION = 1;
  static final int HEADER_BYTES = 4 + 1 + 8;

  private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{20})" + Pattern.quote(SEGMENT_SUFFIX));
  static final String DISCARD_MARKER_INFIX = ".discard-from-";
  private static final Pattern DISCARD_MARKER_NAME = Pattern.compile("(\\d{20})" + Pattern.quote(SEGMENT_SUFFIX)
      + Pattern.quote(DISCARD_MARKER_INFIX) + "(\\d+)");
  private static final Pattern INDEX_NAME = Pattern.compile("(\\d{20})" + Pattern.quote(INDEX_SUFFIX)
      + "(?:" + Pattern.quote(TEMPORARY_SUFFIX) + ")?");

  private SegmentFormat() {}

  /** The file name of the segment whose first record has {@code baseOffset}. */
  static String fileName(long baseOffset) {
    if (baseOffset < 0) {
      throw new IllegalArgumentException("baseOffset must not be negative, was " + baseOffset);
    }
    return String.format("%020d%s", baseOffset, SEGMENT_SUFFIX);
  }

  /** The file name of the index of the segment whose first record has {@code baseOffset}. */
  static String indexFileName(long baseOffset) {
    return String.format("%020d%s", baseOffset, INDEX_SUFFIX);
  }

  /** The name an index file is written under before it is renamed into place. */
  static String temporaryIndexFileName(long baseOffset) {
    return indexFileName(baseOffset) + TEMPORARY_SUFFIX;
  }

  /**
   * The name of an empty marker file saying that the records of the segment at {@code baseOffset} from file position
   * {@code position} on were never acknowledged and must be cut off when the log is next opened: left by
   * {@link FileShardLog#discardFrom} when it could not cut them off itself.
   */
  static String discardMarkerName(long baseOffset, long position) {
    return String.format("%020d%s%s%d", baseOffset, SEGMENT_SUFFIX, DISCARD_MARKER_INFIX, position);
  }

  /** The base offset and position a discard marker names, or null if {@code path} is not one. */
  static long[] discardMarkerOf(Path path) {
    Matcher matcher = DISCARD_MARKER_NAME.matcher(path.getFileName().toString());
    return matcher.matches() ? new long[] {Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))}
        : null;
  }

  /** The base offset of an index file's segment (finished or temporary), or -1 if {@code path} is not one. */
  static long indexBaseOffsetOf(Path path) {
    Matcher matcher = INDEX_NAME.matcher(path.getFileName().toString());
    return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
  }

  /** The base offset a segment file name stands for, or -1 if {@code path} is not a segment file. */
  static long baseOffsetOf(Path path) {
    Matcher matcher = SEGMENT_NAME.matcher(path.getFileName().toString());
    return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
  }

  static ByteBuffer header(long baseOffset) {
    return ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).put(FORMAT_VERSION).putLong(baseOffset).flip();
  }

  /** Why {@code header} (exactly {@value #HEADER_BYTES} bytes) is not a valid header for the base offset, or null. */
  static String headerProblem(ByteBuffer header, long expectedBaseOffset) {
    int magic = header.getInt(0);
    if (magic != MAGIC) {
      return String.format("bad magic %08x, expected %08x", magic, MAGIC);
    }
    byte version = header.get(4);
    if (version != FORMAT_VERSION) {
      return "unsupported format version " + version + ", this build reads " + FORMAT_VERSION;
    }
    long baseOffset = header.getLong(5);
    if (baseOffset != expectedBaseOffset) {
      return "header says base offset " + baseOffset + " but the file name says " + expectedBaseOffset;
    }
    return null;
  }
}
