package io.millrace.shard;

import java.util.List;

/**
 * Records for one shard from one API call, in the producer's order.
 *
 * @param entries   the records
 * @param encrypted whether the stream had server-side encryption on when they were accepted
 */
public record AppendRequest(List<Entry> entries, boolean encrypted) {

  /**
   * One record to append.
   *
   * @param partitionKey    the producer's partition key
   * @param explicitHashKey 16 big-endian bytes, or null
   * @param data            the payload, handed over (not copied)
   */
  public record Entry(String partitionKey, byte[] explicitHashKey, byte[] data) {}
}
