package io.millrace.stream;

import io.millrace.shard.HashKey;
import io.millrace.shard.SequenceNumber;
import java.math.BigInteger;

/**
 * A shard's place in its stream: id, lineage, hash range and, once closed, where it ended.
 *
 * @param index               the number in {@code shardId-%012d}; never reused within a stream
 * @param parentIndex         the parent shard (split or merge), or null
 * @param adjacentParentIndex the other parent of a merge, or null
 * @param startingHashKey     first hash key routed here
 * @param endingHashKey       last hash key routed here (inclusive)
 * @param createdMillis       when the shard was created
 * @param endOffset           for a closed shard, the offset after its last record; null while open
 * @param closedMillis        when a closed shard closed; null while open
 */
public record ShardMeta(int index, Integer parentIndex, Integer adjacentParentIndex, BigInteger startingHashKey,
                        BigInteger endingHashKey, long createdMillis, Long endOffset, Long closedMillis) {

  /** {@code shardId-%012d}, without a formatter (it is asked for once per put record). */
  public static String shardId(int index) {
    String digits = Integer.toString(index);
    return "shardId-" + "000000000000".substring(Math.min(12, digits.length())) + digits;
  }

  public String shardId() {
    return shardId(index);
  }

  public boolean open() {
    return endOffset == null;
  }

  public boolean covers(HashKey key) {
    return startingHashKey.compareTo(key.value()) <= 0 && endingHashKey.compareTo(key.value()) >= 0;
  }

  public long createdSeconds() {
    return createdMillis / 1000;
  }

  /** The sequence number of the record at {@code offset} that arrived at {@code arrivalMillis}. */
  public SequenceNumber sequenceNumber(long offset, long arrivalMillis) {
    return new SequenceNumber(createdSeconds(), index, offset, arrivalMillis / 1000);
  }

  /** The shard's StartingSequenceNumber. */
  public String startingSequenceNumber() {
    return new SequenceNumber(createdSeconds(), index, 0, createdSeconds()).toDecimal();
  }
}
