package io.millrace.stream;

import io.millrace.error.KinesisException;
import io.millrace.shard.HashKey;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reshard worked out against a stream's current shards, before anything changes: which open shards close and
 * which shards are created. Built by a sequence of AWS-style splits and merges on a working copy of the open shards,
 * so every created shard has at most two parents ({@code ParentShardId}, {@code AdjacentParentShardId}), as the
 * Kinesis model allows. Shards created and split or merged again within the same plan are short-lived: they are
 * created closed, empty ({@code endOffset} 0), so readers that follow the lineage pass through them at once.
 *
 * <p>Pure: times are filled in by {@link StreamRegistry#reshard} (created shards carry {@code createdMillis} 0
 * here). Refusals are thrown as {@link KinesisException}s in AWS's words.
 *
 * @param closing        indices of the stream's open shards that close
 * @param created        new shards in creation order; open ones have a null {@code endOffset}, short-lived ones 0
 * @param nextShardIndex the stream's next shard index after the plan
 */
public record ReshardPlan(List<Integer> closing, List<ShardMeta> created, int nextShardIndex) {

  public ReshardPlan {
    closing = List.copyOf(closing);
    created = List.copyOf(created);
  }

  /** The shards open after the plan minus those open before: the shard-limit increase (may be negative). */
  public int additionalOpenShards() {
    return (int) created.stream().filter(ShardMeta::open).count() - closing.size();
  }

  /** SplitShard of the shard at {@code index}, with AWS's checks on the shard and NewStartingHashKey. */
  public static ReshardPlan split(StreamMeta stream, int index, BigInteger newStartingHashKey) {
    ShardMeta shard = requireOpen(stream, index, "splitting");
    if (newStartingHashKey.compareTo(shard.startingHashKey().add(BigInteger.ONE)) <= 0
        || newStartingHashKey.compareTo(shard.endingHashKey()) >= 0) {
      throw new KinesisException.InvalidArgument("NewStartingHashKey " + newStartingHashKey + " used in SplitShard() "
          + "on shard " + shard.shardId() + " in stream " + stream.name() + " under account " + stream.key().account()
          + " is not both greater than one plus the shard's StartingHashKey " + shard.startingHashKey()
          + " and less than the shard's EndingHashKey " + shard.endingHashKey() + ".");
    }
    Work w = new Work(stream);
    w.split(shard.index(), newStartingHashKey);
    return w.plan();
  }

  /**
   * MergeShards of the shards at {@code index} and {@code adjacentIndex}: both open, and adjacent in that order (the
   * adjacent shard's range starts right after the first one's ends), as Kinesis requires.
   */
  public static ReshardPlan merge(StreamMeta stream, int index, int adjacentIndex) {
    ShardMeta a = requireShard(stream, index);
    ShardMeta b = requireShard(stream, adjacentIndex);
    requireOpen(stream, index, "merging");
    requireOpen(stream, adjacentIndex, "merging");
    if (!a.endingHashKey().add(BigInteger.ONE).equals(b.startingHashKey())) {
      throw new KinesisException.InvalidArgument("Shards " + a.shardId() + " and " + b.shardId() + " in stream "
          + stream.name() + " under account " + stream.key().account() + " are not an adjacent pair of shards "
          + "eligible for merging");
    }
    Work w = new Work(stream);
    w.merge(a.index(), b.index());
    return w.plan();
  }

  /**
   * UpdateShardCount with UNIFORM_SCALING: the open shards become {@code target} even ranges (AWS's layout). Each
   * open shard is split at every new boundary inside it (one split per boundary), then the pieces of each new range
   * are merged left to right. A stream already at {@code target} even ranges gets an empty plan.
   */
  public static ReshardPlan uniform(StreamMeta stream, int target) {
    Work w = new Work(stream);
    for (int j = 1; j < target; j++) {
      BigInteger boundary = HashKey.evenRange(j, target)[0].value();
      ShardMeta s = w.covering(boundary);
      if (!s.startingHashKey().equals(boundary)) {
        w.split(s.index(), boundary);
      }
    }
    for (int j = 0; j < target; j++) {
      HashKey[] range = HashKey.evenRange(j, target);
      List<ShardMeta> pieces = w.open.values().stream()
          .filter(s -> s.startingHashKey().compareTo(range[0].value()) >= 0
              && s.endingHashKey().compareTo(range[1].value()) <= 0)
          .sorted(Comparator.comparing(ShardMeta::startingHashKey)).toList();
      ShardMeta merged = pieces.get(0);
      for (int p = 1; p < pieces.size(); p++) {
        merged = w.merge(merged.index(), pieces.get(p).index());
      }
    }
    return w.plan();
  }

  /** The shard at {@code index}, or ResourceNotFound in AWS's words. */
  public static ShardMeta requireShard(StreamMeta stream, int index) {
    return stream.shard(index).orElseThrow(() -> new KinesisException.ResourceNotFound("Could not find shard "
        + ShardMeta.shardId(index) + " in stream " + stream.name() + " under account " + stream.key().account()
        + "."));
  }

  /** The open shard at {@code index}; InvalidArgument if a reshard already closed it. */
  public static ShardMeta requireOpen(StreamMeta stream, int index, String forWhat) {
    ShardMeta shard = requireShard(stream, index);
    if (!shard.open()) {
      throw new KinesisException.InvalidArgument("Shard " + shard.shardId() + " in stream " + stream.name()
          + " under account " + stream.key().account() + " has already been merged or split, and thus is not "
          + "eligible for " + forWhat + ".");
    }
    return shard;
  }

  /** The working copy: open shards by index, and what the plan has done so far. */
  private static final class Work {
    private final Map<Integer, ShardMeta> open = new LinkedHashMap<>();
    private final List<Integer> closing = new ArrayList<>();
    private final Map<Integer, ShardMeta> created = new LinkedHashMap<>();
    private int next;

    Work(StreamMeta stream) {
      stream.openShards().forEach(s -> open.put(s.index(), s));
      next = stream.nextShardIndex();
    }

    ShardMeta covering(BigInteger key) {
      return open.values().stream().filter(s -> s.startingHashKey().compareTo(key) <= 0
          && s.endingHashKey().compareTo(key) >= 0).findFirst().orElseThrow();
    }

    void split(int index, BigInteger newStart) {
      ShardMeta parent = retire(index);
      add(new ShardMeta(next++, index, null, parent.startingHashKey(), newStart.subtract(BigInteger.ONE), 0, null,
          null));
      add(new ShardMeta(next++, index, null, newStart, parent.endingHashKey(), 0, null, null));
    }

    ShardMeta merge(int index, int adjacentIndex) {
      ShardMeta a = retire(index);
      ShardMeta b = retire(adjacentIndex);
      ShardMeta child = new ShardMeta(next++, index, adjacentIndex, a.startingHashKey().min(b.startingHashKey()),
          a.endingHashKey().max(b.endingHashKey()), 0, null, null);
      add(child);
      return child;
    }

    /** Takes a shard out of the open set: an original closes, one this plan created becomes short-lived. */
    private ShardMeta retire(int index) {
      ShardMeta s = open.remove(index);
      if (created.containsKey(index)) {
        created.put(index, new ShardMeta(s.index(), s.parentIndex(), s.adjacentParentIndex(), s.startingHashKey(),
            s.endingHashKey(), 0, 0L, 0L));
      } else {
        closing.add(index);
      }
      return s;
    }

    private void add(ShardMeta s) {
      open.put(s.index(), s);
      created.put(s.index(), s);
    }

    ReshardPlan plan() {
      return new ReshardPlan(closing, new ArrayList<>(created.values()), next);
    }
  }
}
