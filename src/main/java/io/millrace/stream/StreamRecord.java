package io.millrace.stream;

import io.millrace.storage.LogRecord;

/**
 * A record as readers see it (GetRecords, SubscribeToShard): its sequence number in the stream, arrival time, data,
 * partition key and whether it was stored encrypted. What the wire layer maps, so it never touches the storage format.
 */
public record StreamRecord(String sequenceNumber, long arrivalMillis, byte[] data, String partitionKey,
                           boolean encrypted) {

  /** The reader's view of {@code record}, stored in {@code shard}. */
  public static StreamRecord of(ShardMeta shard, LogRecord record) {
    return new StreamRecord(shard.sequenceNumber(record.offset(), record.arrivalMillis()).toDecimal(),
        record.arrivalMillis(), record.data(), record.partitionKey(), record.encrypted());
  }
}
