package io.millrace.firehose;

/**
 * Firehose's Direct PUT quotas of one delivery stream (PutRecord and PutRecordBatch together): 5 MiB, 2,000 requests
 * and 500,000 records per second (AWS's figures for its largest regions), counted per second of the server's clock.
 * A put that would pass any of them is refused whole, as Firehose throttles ("Slow down."). Off unless the server is
 * started with {@code directPutLimits}.
 *
 * <p>Not thread-safe: used on its delivery stream's context.
 */
final class DirectPutQuota {

  static final long BYTES_PER_SECOND = 5L * 1024 * 1024;
  static final long REQUESTS_PER_SECOND = 2000;
  static final long RECORDS_PER_SECOND = 500_000;

  private long second = Long.MIN_VALUE;
  private long bytes;
  private long requests;
  private long records;

  /** Takes a put of {@code count} records and {@code size} bytes at {@code nowMillis}; false if it passes a quota. */
  boolean tryTake(long nowMillis, int count, long size) {
    long s = Math.floorDiv(nowMillis, 1000);
    if (s != second) {
      second = s;
      bytes = 0;
      requests = 0;
      records = 0;
    }
    if (requests + 1 > REQUESTS_PER_SECOND || records + count > RECORDS_PER_SECOND
        || bytes + size > BYTES_PER_SECOND) {
      return false;
    }
    requests++;
    records += count;
    bytes += size;
    return true;
  }
}
