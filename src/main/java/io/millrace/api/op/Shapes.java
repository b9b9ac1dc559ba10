package io.millrace.api.op;

import io.millrace.api.model.Responses;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRecord;
import java.time.Instant;
import java.util.List;

/**
 * Conversions from core values to response shapes, shared by the operations and SubscribeToShard: one mapping of a
 * record, one of a child shard, for every answer that carries them.
 */
public final class Shapes {

  private Shapes() {}

  static Responses.Shard shard(StreamMeta stream, ShardMeta s) {
    String ending = null;
    if (s.endOffset() != null) {
      // The last sequence number the shard can hold: its last record's, or the one just before its end offset.
      ending = s.sequenceNumber(Math.max(0, s.endOffset() - 1), s.closedMillis() == null ? s.createdMillis()
          : s.closedMillis()).toDecimal();
    }
    return new Responses.Shard(s.shardId(),
        s.parentIndex() == null ? null : ShardMeta.shardId(s.parentIndex()),
        s.adjacentParentIndex() == null ? null : ShardMeta.shardId(s.adjacentParentIndex()),
        hashKeyRange(s), new Responses.SequenceNumberRange(s.startingSequenceNumber(), ending));
  }

  static Responses.HashKeyRange hashKeyRange(ShardMeta s) {
    return new Responses.HashKeyRange(s.startingHashKey().toString(), s.endingHashKey().toString());
  }

  /** A record as GetRecords and SubscribeToShard events carry it. */
  public static Responses.Record record(StreamRecord r) {
    return new Responses.Record(r.sequenceNumber(), Instant.ofEpochMilli(r.arrivalMillis()), r.data(),
        r.partitionKey(), r.encrypted() ? "KMS" : null);
  }

  /** Records as answers carry them. */
  public static List<Responses.Record> records(List<StreamRecord> records) {
    List<Responses.Record> out = new java.util.ArrayList<>(records.size());
    for (StreamRecord r : records) {
      out.add(record(r));
    }
    return out;
  }

  /** Child shards as GetRecords and SubscribeToShard's last event carry them, or null for none. */
  public static List<Responses.ChildShard> childShards(List<ShardMeta> children) {
    return children == null ? null : children.stream().map(Shapes::childShard).toList();
  }

  static Responses.ChildShard childShard(ShardMeta child) {
    List<String> parents = child.adjacentParentIndex() == null ? List.of(ShardMeta.shardId(child.parentIndex()))
        : List.of(ShardMeta.shardId(child.parentIndex()), ShardMeta.shardId(child.adjacentParentIndex()));
    return new Responses.ChildShard(child.shardId(), parents, hashKeyRange(child));
  }

  static Responses.StreamModeDetails mode(StreamMeta s) {
    return new Responses.StreamModeDetails(s.mode().name());
  }

  static List<Responses.EnhancedMetrics> monitoring(StreamMeta s) {
    return List.of(new Responses.EnhancedMetrics(s.shardLevelMetrics()));
  }

  static Instant created(StreamMeta s) {
    return Instant.ofEpochMilli(s.createdMillis());
  }
}
