package io.millrace.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Encodes {@link LogRecord}s into the on-disk record format and checks and decodes them back. Pure: no I/O.
 *
 * <p><b>Threading.</b> Stateless; every method is safe to call from any thread. Buffers passed in belong to
 * the caller.
 *
 * <p><b>Record format, version 1</b> (the segment header carries the version, see {@link SegmentFormat}). All
 * integers are big-endian, lengths are unsigned.
 * <pre>
 *  byte  size  field
 *  0     4     bodyLength          bytes from "offset" to the end of "data" (24 + k + h + d)
 *  4     8     offset              the record's offset in the shard log
 *  12    8     arrivalMillis       epoch milliseconds
 *  20    1     flags               {@link LogRecord#FLAG_ENCRYPTED}; other bits reserved, stored as given
 *  21    2     partitionKeyLength  k, 1..{@value #MAX_PARTITION_KEY_BYTES}
 *  23    k     partitionKey        UTF-8
 *  23+k  1     explicitHashKeyLength h, 0 (none) or 16
 *  24+k  h     explicitHashKey     unsigned 128-bit big-endian
 *  24+k+h 4    dataLength          d, 0..{@value #MAX_DATA_BYTES}
 *  28+k+h d    data
 *  4+bodyLength 4 crc32c           CRC32C over bytes [0, 4+bodyLength): the length field and the body
 * </pre>
 * A record therefore takes {@code 8 + bodyLength} bytes. A frame is {@link Outcome#CORRUPT} if its bodyLength
 * lies outside [{@value #MIN_BODY_BYTES}, {@link #MAX_BODY_BYTES}], its CRC does not match, or its inner
 * lengths do not add up to bodyLength; it is {@link Outcome#TRUNCATED} if the buffer ends before the frame does.
 *
 * <p>Design note: partition keys are encoded with {@link String#getBytes} (UTF-8), so an unpaired surrogate is
 * stored as {@code '?'}. Kinesis partition keys are Unicode strings; the API layer rejects malformed ones.
 */
public final class RecordCodec {

  /** What {@link #check} found at a buffer's position. */
  public enum Outcome {
    /** A complete frame whose CRC and lengths are valid. */
    OK,
    /** The buffer ends before the frame does (more bytes may make it OK). */
    TRUNCATED,
    /** The frame can never be valid: nonsensical length, CRC mismatch or inconsistent inner lengths. */
    CORRUPT
  }

  /**
   * The result of checking one frame.
   *
   * @param outcome       what was found
   * @param offset        the record's offset (OK only, else -1)
   * @param arrivalMillis the record's arrival time (OK only, else -1)
   * @param recordBytes   the whole frame's size in bytes if its length field could be read and was sane, else -1
   * @param problem       why the frame is not OK, empty when it is
   */
  public record Frame(Outcome outcome, long offset, long arrivalMillis, int recordBytes, String problem) {
    public boolean ok() {
      return outcome == Outcome.OK;
    }
  }

  /** The largest data payload a record may carry (10 MiB, Kinesis' maximum record size). */
  public static final int MAX_DATA_BYTES = 10 * 1024 * 1024;
  /** The largest UTF-8 partition key (256 chars take at most 768 bytes; this leaves headroom). */
  public static final int MAX_PARTITION_KEY_BYTES = 1024;
  /** Size of the length field before the body. */
  public static final int LENGTH_FIELD_BYTES = 4;
  /** Size of the CRC after the body. */
  public static final int CRC_BYTES = 4;
  /** Body bytes with an empty key, no hash key and no data: offset, arrival, flags and the three lengths. */
  public static final int MIN_BODY_BYTES = 8 + 8 + 1 + 2 + 1 + 4;
  /** The largest body a valid record can have. */
  public static final int MAX_BODY_BYTES = MIN_BODY_BYTES + MAX_PARTITION_KEY_BYTES + 16 + MAX_DATA_BYTES;
  /** Bytes a frame adds around its body. */
  public static final int FRAME_OVERHEAD_BYTES = LENGTH_FIELD_BYTES + CRC_BYTES;

  private static final int HASH_KEY_BYTES = 16;

  private RecordCodec() {}

  /**
   * Encodes a batch into one buffer, ready to be written (position 0, limit = total size).
   *
   * @throws IllegalArgumentException if a record exceeds the size limits; nothing is encoded then
   */
  public static ByteBuffer encode(List<LogRecord> records) {
    byte[][] keys = new byte[records.size()][];
    long totalBytes = 0;
    for (int i = 0; i < keys.length; i++) {
      LogRecord record = records.get(i);
      keys[i] = partitionKeyBytes(record);
      totalBytes += FRAME_OVERHEAD_BYTES + bodyLength(record, keys[i]);
    }
    if (totalBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch of " + records.size() + " records is too large to encode: "
          + totalBytes + " bytes");
    }
    ByteBuffer out = ByteBuffer.allocate((int) totalBytes);
    for (int i = 0; i < keys.length; i++) {
      encodeInto(records.get(i), keys[i], out);
    }
    return out.flip();
  }

  /** Encodes one record into {@code out} at its position, advancing it. */
  public static void encode(LogRecord record, ByteBuffer out) {
    encodeInto(record, partitionKeyBytes(record), out);
  }

  /** The number of bytes {@code record} takes on disk. */
  public static int encodedBytes(LogRecord record) {
    return FRAME_OVERHEAD_BYTES + bodyLength(record, partitionKeyBytes(record));
  }

  /**
   * Throws {@link IllegalArgumentException} if {@code record} cannot be encoded (key or data too large), so
   * callers can validate before doing anything irreversible.
   */
  public static void requireEncodable(LogRecord record) {
    partitionKeyBytes(record);
    requireDataFits(record);
  }

  /**
   * Checks the frame at {@code buffer}'s position without moving it: reads the length, verifies the CRC and the
   * inner lengths, and reports the record's offset and arrival time.
   */
  public static Frame check(ByteBuffer buffer) {
    int start = buffer.position();
    int available = buffer.remaining();
    if (available < LENGTH_FIELD_BYTES) {
      return new Frame(Outcome.TRUNCATED, -1, -1, -1, "only " + available + " bytes, length field needs 4");
    }
    int bodyLength = buffer.getInt(start);
    if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES) {
      return new Frame(Outcome.CORRUPT, -1, -1, -1, "body length " + bodyLength + " outside ["
          + MIN_BODY_BYTES + ", " + MAX_BODY_BYTES + "]");
    }
    int recordBytes = FRAME_OVERHEAD_BYTES + bodyLength;
    if (available < recordBytes) {
      return new Frame(Outcome.TRUNCATED, -1, -1, recordBytes,
          "only " + available + " of " + recordBytes + " record bytes");
    }
    int crcPosition = start + LENGTH_FIELD_BYTES + bodyLength;
    int storedCrc = buffer.getInt(crcPosition);
    int actualCrc = crc32c(buffer, start, LENGTH_FIELD_BYTES + bodyLength);
    if (storedCrc != actualCrc) {
      return new Frame(Outcome.CORRUPT, -1, -1, recordBytes, String.format(
          "CRC32C mismatch: stored %08x, computed %08x", storedCrc, actualCrc));
    }
    String lengthProblem = innerLengthProblem(buffer, start, bodyLength);
    if (lengthProblem != null) {
      return new Frame(Outcome.CORRUPT, -1, -1, recordBytes, lengthProblem);
    }
    return new Frame(Outcome.OK, buffer.getLong(start + 4), buffer.getLong(start + 12), recordBytes, "");
  }

  /**
   * Decodes the frame at {@code buffer}'s position and advances past it.
   *
   * @throws IllegalStateException if the frame is not {@link Outcome#OK}; call {@link #check} first to branch
   */
  public static LogRecord decode(ByteBuffer buffer) {
    Frame frame = check(buffer);
    if (!frame.ok()) {
      throw new IllegalStateException("cannot decode a " + frame.outcome() + " frame: " + frame.problem());
    }
    int start = buffer.position();
    buffer.position(start + 20);
    int flags = Byte.toUnsignedInt(buffer.get());
    byte[] key = new byte[Short.toUnsignedInt(buffer.getShort())];
    buffer.get(key);
    int hashKeyLength = Byte.toUnsignedInt(buffer.get());
    byte[] hashKey = null;
    if (hashKeyLength > 0) {
      hashKey = new byte[hashKeyLength];
      buffer.get(hashKey);
    }
    byte[] data = new byte[buffer.getInt()];
    buffer.get(data);
    buffer.position(start + frame.recordBytes());
    return new LogRecord(frame.offset(), frame.arrivalMillis(), new String(key, StandardCharsets.UTF_8), hashKey,
        flags, data);
  }

  /** Why the key, hash key and data lengths of a CRC-valid body are inconsistent, or null if they add up. */
  private static String innerLengthProblem(ByteBuffer buffer, int start, int bodyLength) {
    int bodyEnd = start + LENGTH_FIELD_BYTES + bodyLength;
    int keyLength = Short.toUnsignedInt(buffer.getShort(start + 21));
    if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_BYTES) {
      return "partition key length " + keyLength + " outside [1, " + MAX_PARTITION_KEY_BYTES + "]";
    }
    int hashKeyLengthPosition = start + 23 + keyLength;
    if (hashKeyLengthPosition + 5 > bodyEnd) {
      return "partition key length " + keyLength + " overruns body length " + bodyLength;
    }
    int hashKeyLength = Byte.toUnsignedInt(buffer.get(hashKeyLengthPosition));
    if (hashKeyLength != 0 && hashKeyLength != HASH_KEY_BYTES) {
      return "explicit hash key length " + hashKeyLength + " is neither 0 nor 16";
    }
    int dataLengthPosition = hashKeyLengthPosition + 1 + hashKeyLength;
    if (dataLengthPosition + 4 > bodyEnd) {
      return "explicit hash key overruns body length " + bodyLength;
    }
    long dataLength = Integer.toUnsignedLong(buffer.getInt(dataLengthPosition));
    if (MIN_BODY_BYTES + keyLength + hashKeyLength + dataLength != bodyLength) {
      return "data length " + dataLength + " does not fill body length " + bodyLength;
    }
    return null;
  }

  private static void encodeInto(LogRecord record, byte[] key, ByteBuffer out) {
    int start = out.position();
    int bodyLength = bodyLength(record, key);
    out.putInt(bodyLength)
        .putLong(record.offset())
        .putLong(record.arrivalMillis())
        .put((byte) record.flags())
        .putShort((short) key.length)
        .put(key);
    byte[] hashKey = record.explicitHashKey();
    if (hashKey == null) {
      out.put((byte) 0);
    } else {
      out.put((byte) hashKey.length).put(hashKey);
    }
    out.putInt(record.data().length).put(record.data());
    out.putInt(crc32c(out, start, LENGTH_FIELD_BYTES + bodyLength));
  }

  private static int bodyLength(LogRecord record, byte[] key) {
    requireDataFits(record);
    int hashKeyLength = record.explicitHashKey() == null ? 0 : HASH_KEY_BYTES;
    return MIN_BODY_BYTES + key.length + hashKeyLength + record.data().length;
  }

  private static byte[] partitionKeyBytes(LogRecord record) {
    byte[] key = record.partitionKey().getBytes(StandardCharsets.UTF_8);
    if (key.length == 0 || key.length > MAX_PARTITION_KEY_BYTES) {
      throw new IllegalArgumentException("partition key of record " + record.offset() + " takes " + key.length
          + " UTF-8 bytes; allowed 1.." + MAX_PARTITION_KEY_BYTES);
    }
    return key;
  }

  private static void requireDataFits(LogRecord record) {
    if (record.data().length > MAX_DATA_BYTES) {
      throw new IllegalArgumentException("data of record " + record.offset() + " is " + record.data().length
          + " bytes; allowed at most " + MAX_DATA_BYTES);
    }
  }

  private static int crc32c(ByteBuffer buffer, int from, int length) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.duplicate().limit(from + length).position(from));
    return (int) crc.getValue();
  }
}
