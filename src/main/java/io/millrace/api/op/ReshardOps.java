package io.millrace.api.op;

import io.millrace.api.model.Requests.MergeShardsRequest;
import io.millrace.api.model.Requests.SplitShardRequest;
import io.millrace.api.model.Requests.UpdateShardCountRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.ReshardPlan;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMode;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import java.math.BigInteger;
import java.util.List;

/**
 * SplitShard, MergeShards and UpdateShardCount: each works out a {@link ReshardPlan} against the stream's current
 * shards and hands it to {@link StreamRegistry#reshard}, which closes the parents and opens the children.
 */
final class ReshardOps {

  private ReshardOps() {}

  static final class SplitShard extends BaseOperation<SplitShardRequest, Responses.Empty> {
    private final StreamRegistry registry;

    SplitShard(StreamRegistry registry) {
      super("SplitShard", SplitShardRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(SplitShardRequest r, RequestScope scope) {
      BigInteger newStart = new BigInteger(r.newStartingHashKey());
      return registry.reshard(scope.streamKey(r), s -> ReshardPlan.split(s, r.shardToSplit(), newStart))
          .map(Responses.Empty.INSTANCE);
    }
  }

  static final class MergeShards extends BaseOperation<MergeShardsRequest, Responses.Empty> {
    private final StreamRegistry registry;

    MergeShards(StreamRegistry registry) {
      super("MergeShards", MergeShardsRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(MergeShardsRequest r, RequestScope scope) {
      return registry.reshard(scope.streamKey(r), s -> ReshardPlan.merge(s, r.shardToMerge(),
          r.adjacentShardToMerge())).map(Responses.Empty.INSTANCE);
    }
  }

  /**
   * UNIFORM_SCALING to the target count, as a sequence of splits and merges in one reshard (see
   * {@link ReshardPlan#uniform}). AWS's rules: at most double and at least half the open shards, the shard limit,
   * and {@code scalingsPerDay} scalings per stream in a rolling 24 hours (LimitExceeded).
   */
  static final class UpdateShardCount extends BaseOperation<UpdateShardCountRequest,
      Responses.UpdateShardCountOutput> {
    private final StreamRegistry registry;

    UpdateShardCount(StreamRegistry registry) {
      super("UpdateShardCount", UpdateShardCountRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.UpdateShardCountOutput> handle(UpdateShardCountRequest r, RequestScope scope) {
      StreamKey key = scope.streamKey(r);
      int target = r.targetShardCount();
      int[] current = new int[1];
      return registry.reshard(key, s -> {
        int open = s.openShards().size();
        current[0] = open;
        if (s.mode() == StreamMode.ON_DEMAND) {
          throw new KinesisException.InvalidArgument("UpdateShardCount is only supported for streams in PROVISIONED "
              + "mode; " + key.describe() + " is ON_DEMAND and scales by itself. Switch it with UpdateStreamMode "
              + "first.");
        }
        if (target > registry.limits().shardLimit()) {
          throw new KinesisException.LimitExceeded("Target shard count or number of open shards cannot be greater "
              + "than " + registry.limits().shardLimit() + ". Current open shard count: " + open
              + ", Target shard count: " + target);
        }
        if (target > open * 2) {
          throw new KinesisException.LimitExceeded("UpdateShardCount cannot scale up over double your current open "
              + "shard count. Current open shard count: " + open + ", Target shard count: " + target);
        }
        if (target * 2 < open) {
          throw new KinesisException.LimitExceeded("UpdateShardCount cannot scale down below half your current "
              + "open shard count. Current open shard count: " + open + ", Target shard count: " + target);
        }
        ReshardPlan plan = ReshardPlan.uniform(s, target);
        if (!plan.closing().isEmpty()) {
          registry.countScaling(key);
        }
        return plan;
      }).map(s -> new Responses.UpdateShardCountOutput(s.name(), current[0], target, s.arn()));
    }
  }

  static List<Operation<?, ?>> all(StreamRegistry registry) {
    return List.of(new SplitShard(registry), new MergeShards(registry), new UpdateShardCount(registry));
  }
}
