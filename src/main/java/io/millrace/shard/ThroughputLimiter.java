package io.millrace.shard;

/**
 * A per-second budget of calls, records and bytes for one shard, as AWS enforces it (1 MiB/s and 1,000 records/s in;
 * 2 MiB/s and 5 calls/s out). Owned by one shard context; not thread-safe.
 */
final class ThroughputLimiter {

  private final long maxRecordsPerSecond;
  private final long maxBytesPerSecond;
  private final long maxCallsPerSecond;
  private long windowSecond = Long.MIN_VALUE;
  private long records;
  private long bytes;
  private long calls;

  ThroughputLimiter(long maxRecordsPerSecond, long maxBytesPerSecond, long maxCallsPerSecond) {
    this.maxRecordsPerSecond = maxRecordsPerSecond;
    this.maxBytesPerSecond = maxBytesPerSecond;
    this.maxCallsPerSecond = maxCallsPerSecond;
  }

  static ThroughputLimiter writes() {
    return new ThroughputLimiter(1000, 1024 * 1024, Long.MAX_VALUE);
  }

  static ThroughputLimiter reads() {
    return new ThroughputLimiter(Long.MAX_VALUE, 2L * 1024 * 1024, 5);
  }

  private void roll(long nowMillis) {
    long second = Math.floorDiv(nowMillis, 1000);
    if (second != windowSecond) {
      windowSecond = second;
      records = 0;
      bytes = 0;
      calls = 0;
    }
  }

  /** Takes one record of {@code recordBytes} from this second's budget, or refuses without taking anything. */
  boolean tryAcquireRecord(long recordBytes, long nowMillis) {
    roll(nowMillis);
    if (records + 1 > maxRecordsPerSecond || bytes + recordBytes > maxBytesPerSecond) {
      return false;
    }
    records++;
    bytes += recordBytes;
    return true;
  }

  /** Takes one call from this second's budget, refusing if the calls or the bytes already served are over. */
  boolean tryAcquireCall(long nowMillis) {
    roll(nowMillis);
    if (calls + 1 > maxCallsPerSecond || bytes >= maxBytesPerSecond) {
      return false;
    }
    calls++;
    return true;
  }

  /** Records bytes served by a call that was admitted. */
  void addBytes(long served) {
    bytes += served;
  }
}
