package io.millrace.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  @Property(tries = 200)
  void decodesWhatItEncodedForAnyBatch(@ForAll("batches") List<LogRecord> records) {
    ByteBuffer encoded = RecordCodec.encode(records);
    List<LogRecord> decoded = new ArrayList<>();
    while (encoded.hasRemaining()) {
      decoded.add(RecordCodec.decode(encoded));
    }
    assertEquals(records, decoded);
  }

  @Property(tries = 300)
  void detectsAnySingleFlippedBit(@ForAll("records") LogRecord record, @ForAll @IntRange(min = 0) int seed) {
    ByteBuffer encoded = RecordCodec.encode(List.of(record));
    int bit = Math.floorMod(seed, encoded.remaining() * 8);
    encoded.put(bit / 8, (byte) (encoded.get(bit / 8) ^ (1 << (bit % 8))));
    assertNotEquals(RecordCodec.Outcome.OK, RecordCodec.check(encoded).outcome());
  }

  @Property(tries = 100)
  void reportsEveryProperPrefixAsTruncated(@ForAll("records") LogRecord record, @ForAll @IntRange(min = 0) int seed) {
    ByteBuffer encoded = RecordCodec.encode(List.of(record));
    int prefixBytes = Math.floorMod(seed, encoded.remaining());
    RecordCodec.Frame frame = RecordCodec.check(encoded.limit(prefixBytes));
    assertEquals(RecordCodec.Outcome.TRUNCATED, frame.outcome());
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

  @Provide
  Arbitrary<List<LogRecord>> batches() {
    return records().list().ofMinSize(1).ofMaxSize(5);
  }

  @Provide
  Arbitrary<LogRecord> records() {
    Arbitrary<Long> offsets = Arbitraries.longs().greaterOrEqual(0);
    Arbitrary<Long> arrivals = Arbitraries.longs();
    Arbitrary<String> keys = Arbitraries.strings().withCharRange('\u0020', '\ud7ff').ofMinLength(1).ofMaxLength(256);
    Arbitrary<byte[]> hashKeys = Arbitraries.bytes().array(byte[].class).ofSize(16).injectNull(0.3);
    Arbitrary<Integer> flags = Arbitraries.integers().between(0, 255);
    Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(2_000);
    return Combinators.combine(offsets, arrivals, keys, hashKeys, flags, data).as(LogRecord::new);
  }
}
