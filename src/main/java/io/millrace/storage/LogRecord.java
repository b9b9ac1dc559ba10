package io.millrace.storage;

import java.util.Objects;

/**
 * One record as the shard log stores it.
 *
 * <p>Immutable by convention: the arrays are handed over, never copied, and nobody writes to them after
 * construction (that saves a copy of every record's bytes on the hot path).
 *
 * @param offset          position in the shard log, 0-based, dense and strictly increasing
 * @param arrivalMillis   arrival time in epoch milliseconds (non-decreasing within a shard)
 * @param partitionKey    the producer's partition key (1..256 chars)
 * @param explicitHashKey the producer's ExplicitHashKey as 16 big-endian bytes, or {@code null} if none was given
 * @param flags           bit field, see {@link #FLAG_ENCRYPTED}
 * @param data            the record payload
 */
public record LogRecord(long offset, long arrivalMillis, String partitionKey, byte[] explicitHashKey, int flags,
                        byte[] data) {

  /** The record was written while server-side encryption (KMS) was switched on for its stream. */
  public static final int FLAG_ENCRYPTED = 1;

  public LogRecord {
    Objects.requireNonNull(partitionKey, "partitionKey");
    Objects.requireNonNull(data, "data");
    if (explicitHashKey != null && explicitHashKey.length != 16) {
      throw new IllegalArgumentException("explicitHashKey must be 16 bytes, was " + explicitHashKey.length);
    }
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("flags must fit in one byte, was " + flags);
    }
  }

  public boolean encrypted() {
    return (flags & FLAG_ENCRYPTED) != 0;
  }

  /** The record's size as Kinesis counts it against limits: data plus the UTF-8 partition key. */
  public long billedBytes() {
    return data.length + (long) Utf8.length(partitionKey);
  }

  /** Equality by content, so tests can compare records read back with records written. */
  @Override
  public boolean equals(Object other) {
    return other instanceof LogRecord r && offset == r.offset && arrivalMillis == r.arrivalMillis && flags == r.flags
        && partitionKey.equals(r.partitionKey) && java.util.Arrays.equals(explicitHashKey, r.explicitHashKey)
        && java.util.Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(offset) * 31 + java.util.Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "LogRecord[offset=" + offset + ", arrivalMillis=" + arrivalMillis + ", partitionKey=" + partitionKey
        + ", dataBytes=" + data.length + "]";
  }
}
