package io.millrace.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SegmentFormatTest {

  @Test
  void namesSegmentsByTheirBaseOffsetPaddedToTwentyDigits() {
    assertEquals("00000000000000000000.log", SegmentFormat.fileName(0));
    assertEquals("09223372036854775807.log", SegmentFormat.fileName(Long.MAX_VALUE));
    assertEquals(1024, SegmentFormat.baseOffsetOf(Path.of("dir", SegmentFormat.fileName(1024))));
  }

  @Test
  void ignoresFilesThatAreNotSegments() {
    assertEquals(-1, SegmentFormat.baseOffsetOf(Path.of("00000000000000000000.log.tmp")));
    assertEquals(-1, SegmentFormat.baseOffsetOf(Path.of("0000000000000000000.log")));
    assertEquals(-1, SegmentFormat.baseOffsetOf(Path.of("metadata.json")));
  }

  @Test
  void acceptsItsOwnHeaderAndNamesWhatIsWrongWithOthers() {
    assertNull(SegmentFormat.headerProblem(SegmentFormat.header(7), 7));
    assertTrue(SegmentFormat.headerProblem(SegmentFormat.header(7), 8).contains("file name says 8"));
    ByteBuffer otherVersion = SegmentFormat.header(7);
    otherVersion.put(4, (byte) 9);
    assertTrue(SegmentFormat.headerProblem(otherVersion, 7).contains("unsupported format version 9"));
    assertTrue(SegmentFormat.headerProblem(ByteBuffer.allocate(SegmentFormat.HEADER_BYTES), 7).contains("bad magic"));
  }
}
