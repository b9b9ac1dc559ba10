package io.millrace.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.Gen;
import io.millrace.testing.Property;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  private static final String PARTITION_KEY_CHARS = charRange('\u0020', '\ud7ff');

  @Test
  void decodes_what_it_encoded_for_any_batch() {
    Property.forAll(200, RecordCodecTest::batch, records -> {
      ByteBuffer encoded = RecordCodec.encode(records);
      List<LogRecord> decoded = new ArrayList<>();
      while (encoded.hasRemaining()) {
        decoded.add(RecordCodec.decode(encoded));
      }
      assertEquals(records, decoded);
    });
  }

  @Test
  void detects_any_single_flipped_bit() {
    record Input(LogRecord record, int seed) {}
    Property.forAll(300, g -> new Input(logRecord(g), g.intIn(0, Integer.MAX_VALUE)), input -> {
      ByteBuffer encoded = RecordCodec.encode(List.of(input.record()));
      int bit = Math.floorMod(input.seed(), encoded.remaining() * 8);
      encoded.put(bit / 8, (byte) (encoded.get(bit / 8) ^ (1 << (bit % 8))));
      assertNotEquals(RecordCodec.Outcome.OK, RecordCodec.check(encoded).outcome());
    });
  }

  @Test
  void reports_every_proper_prefix_as_truncated() {
    record Input(LogRecord record, int seed) {}
    Property.forAll(100, g -> new Input(logRecord(g), g.intIn(0, Integer.MAX_VALUE)), input -> {
      ByteBuffer encoded = RecordCodec.encode(List.of(input.record()));
      int prefixBytes = Math.floorMod(input.seed(), encoded.remaining());
      RecordCodec.Frame frame = RecordCodec.check(encoded.limit(prefixBytes));
      assertEquals(RecordCodec.Outcome.TRUNCATED, frame.outcome());
    });
  }

  @Test
  void reportsOffsetArrivalAndSizeOfAValidFrameWithoutMovingTheBuffer() {
    LogRecord record = TestRecords.record(42, 7_000, 100);
    ByteBuffer encoded = RecordCodec.encode(List.of(record));
    RecordCodec.Frame frame = RecordCodec.check(encoded);
    assertEquals(new RecordCodec.Frame(RecordCodec.Outcome.OK, 42, 7_000, RecordCodec.encodedBytes(record), ""),
        frame);
    assertEquals(0, encoded.position());
    assertEquals(encoded.remaining(), frame.recordBytes());
  }

  @Test
  void laysOutTheFieldsAsDocumented() {
    byte[] hashKey = new byte[16];
    hashKey[15] = 9;
    LogRecord record = new LogRecord(5, 6, "ab", hashKey, LogRecord.FLAG_ENCRYPTED, new byte[] {1, 2, 3});
    ByteBuffer encoded = RecordCodec.encode(List.of(record));
    int bodyLength = RecordCodec.MIN_BODY_BYTES + 2 + 16 + 3;
    assertEquals(4 + bodyLength + 4, encoded.remaining());
    assertEquals(bodyLength, encoded.getInt(0));
    assertEquals(5, encoded.getLong(4));
    assertEquals(6, encoded.getLong(12));
    assertEquals(1, encoded.get(20));
    assertEquals(2, encoded.getShort(21));
    assertEquals('a', encoded.get(23));
    assertEquals(16, encoded.get(25));
    assertEquals(9, encoded.get(41));
    assertEquals(3, encoded.getInt(42));
    assertEquals(3, encoded.get(48));
  }

  @Test
  void reportsANonsensicalLengthAsCorrupt() {
    ByteBuffer garbage = ByteBuffer.allocate(64);
    garbage.putInt(0, -1);
    assertEquals(RecordCodec.Outcome.CORRUPT, RecordCodec.check(garbage).outcome());
    garbage.putInt(0, RecordCodec.MAX_BODY_BYTES + 1);
    assertEquals(RecordCodec.Outcome.CORRUPT, RecordCodec.check(garbage).outcome());
    garbage.putInt(0, RecordCodec.MIN_BODY_BYTES - 1);
    assertEquals(RecordCodec.Outcome.CORRUPT, RecordCodec.check(garbage).outcome());
  }

  @Test
  void reportsAnAllZeroRegionAsCorrupt() {
    assertEquals(RecordCodec.Outcome.CORRUPT, RecordCodec.check(ByteBuffer.allocate(4096)).outcome());
  }

  @Test
  void refusesToDecodeACorruptFrame() {
    ByteBuffer encoded = RecordCodec.encode(List.of(TestRecords.record(1, 10)));
    encoded.put(30, (byte) (encoded.get(30) ^ 1));
    assertThrows(IllegalStateException.class, () -> RecordCodec.decode(encoded));
  }

  @Test
  void refusesOversizeDataAndEmptyOrOversizePartitionKeys() {
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(List.of(
        new LogRecord(0, 0, "k", null, 0, new byte[RecordCodec.MAX_DATA_BYTES + 1]))));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(List.of(
        new LogRecord(0, 0, "", null, 0, new byte[1]))));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(List.of(
        new LogRecord(0, 0, "\u20ac".repeat(342), null, 0, new byte[1]))));
  }

  @Test
  void encodesTheLargestRecordAndDecodesItBack() {
    LogRecord largest = new LogRecord(0, 0, "\u20ac".repeat(256), new byte[16], 0,
        new byte[RecordCodec.MAX_DATA_BYTES]);
    ByteBuffer encoded = RecordCodec.encode(List.of(largest));
    assertTrue(RecordCodec.check(encoded).ok());
    assertEquals(largest, RecordCodec.decode(encoded));
  }

  private static List<LogRecord> batch(Gen g) {
    int size = g.intIn(1, 5);
    List<LogRecord> records = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      records.add(logRecord(g));
    }
    return records;
  }

  /** A record with any field values the codec accepts; about one in three has no explicit hash key. */
  private static LogRecord logRecord(Gen g) {
    long offset = g.longIn(0, Long.MAX_VALUE);
    long arrival = g.anyLong();
    String key = g.string(1, 256, PARTITION_KEY_CHARS);
    byte[] hashKey = g.intIn(1, 10) <= 3 ? null : g.bytes(16, 16);
    int flags = g.intIn(0, 255);
    byte[] data = g.bytes(0, 2_000);
    return new LogRecord(offset, arrival, key, hashKey, flags, data);
  }

  private static String charRange(char first, char last) {
    StringBuilder chars = new StringBuilder(last - first + 1);
    for (char c = first; c <= last; c++) {
      chars.append(c);
    }
    return chars.toString();
  }
}
