package io.millrace.storage;

import java.io.IOException;

/**
 * A segment holds bytes that recovery cannot repair by truncating a tail: a bad record in a segment that is not
 * the last, a header of the wrong format, a gap between segments, or a CRC failure found while reading. The
 * edge maps it to InternalFailure; an operator has to look at the files.
 */
public final class CorruptSegmentException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorruptSegmentException(String message) {
    super(message);
  }
}
