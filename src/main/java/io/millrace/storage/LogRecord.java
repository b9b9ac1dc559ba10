package io.millrace.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * One record as the shard log stores it.
 *
 * <p>Immutable by convention: the arrays are handed over, never copied, and nobody writes to them after
 * construction (that saves a copy of every record's bytes on the hot path). A class rather than a record only so
 * that the partition key's UTF-8 length is computed once: sizes are asked for on every hop.
 */
public final class LogRecord {

  /** The record was written while server-side encryption (KMS) was switched on for its stream. */
  public static final int FLAG_ENCRYPTED = 1;

  private final long offset;
  private final long arrivalMillis;
  private final String partitionKey;
  private final byte[] explicitHashKey;
  private final int flags;
  private final byte[] data;
  private final int partitionKeyBytes;

  /**
   * @param offset          position in the shard log, 0-based, dense and strictly increasing
   * @param arrivalMillis   arrival time in epoch milliseconds (non-decreasing within a shard)
   * @param partitionKey    the producer's partition key (1..256 chars)
   * @param explicitHashKey the producer's ExplicitHashKey as 16 big-endian bytes, or {@code null} if none was given
   * @param flags           bit field, see {@link #FLAG_ENCRYPTED}
   * @param data            the record payload
   */
  public LogRecord(long offset, long arrivalMillis, String partitionKey, byte[] explicitHashKey, int flags,
                   byte[] data) {
    Objects.requireNonNull(partitionKey, "partitionKey");
    Objects.requireNonNull(data, "data");
    if (explicitHashKey != null && explicitHashKey.length != 16) {
      throw new IllegalArgumentException("explicitHashKey must be 16 bytes, was " + explicitHashKey.length);
    }
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("flags must fit in one byte, was " + flags);
    }
    this.offset = offset;
    this.arrivalMillis = arrivalMillis;
    this.partitionKey = partitionKey;
    this.explicitHashKey = explicitHashKey;
    this.flags = flags;
    this.data = data;
    this.partitionKeyBytes = Utf8.length(partitionKey);
  }

  public long offset() {
    return offset;
  }

  public long arrivalMillis() {
    return arrivalMillis;
  }

  public String partitionKey() {
    return partitionKey;
  }

  public byte[] explicitHashKey() {
    return explicitHashKey;
  }

  public int flags() {
    return flags;
  }

  public byte[] data() {
    return data;
  }

  public boolean encrypted() {
    return (flags & FLAG_ENCRYPTED) != 0;
  }

  /** The record's size as Kinesis counts it against limits: data plus the UTF-8 partition key. */
  public long billedBytes() {
    return data.length + (long) partitionKeyBytes;
  }

  /** Equality by content, so tests can compare records read back with records written. */
  @Override
  public boolean equals(Object other) {
    return other instanceof LogRecord r && offset == r.offset && arrivalMillis == r.arrivalMillis && flags == r.flags
        && partitionKey.equals(r.partitionKey) && Arrays.equals(explicitHashKey, r.explicitHashKey)
        && Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(offset) * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "LogRecord[offset=" + offset + ", arrivalMillis=" + arrivalMillis + ", partitionKey=" + partitionKey
        + ", dataBytes=" + data.length + "]";
  }
}
