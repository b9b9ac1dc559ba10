package io.millrace.api.op;

import io.millrace.api.model.Requests.MergeShardsRequest;
import io.millrace.api.model.Requests.SplitShardRequest;
import io.millrace.api.model.Requests.UpdateShardCountRequest;
import io.millrace.api.model.Responses;
import io.millrace.stream.Resharder;
import io.vertx.core.Future;
import java.math.BigInteger;
import java.util.List;

/** SplitShard, MergeShards and UpdateShardCount: the wire side of {@link Resharder}, which has their rules. */
final class ReshardOps {

  private ReshardOps() {}

  static final class SplitShard extends BaseOperation<SplitShardRequest, Responses.Empty> {
    private final Resharder resharder;

    SplitShard(Resharder resharder) {
      super("SplitShard", SplitShardRequest.class);
      this.resharder = resharder;
    }

    @Override
    public Future<Responses.Empty> handle(SplitShardRequest r, RequestScope scope) {
      return resharder.split(scope.streamKey(r), r.shardToSplit(), new BigInteger(r.newStartingHashKey()))
          .map(Responses.Empty.INSTANCE);
    }
  }

  static final class MergeShards extends BaseOperation<MergeShardsRequest, Responses.Empty> {
    private final Resharder resharder;

    MergeShards(Resharder resharder) {
      super("MergeShards", MergeShardsRequest.class);
      this.resharder = resharder;
    }

    @Override
    public Future<Responses.Empty> handle(MergeShardsRequest r, RequestScope scope) {
      return resharder.merge(scope.streamKey(r), r.shardToMerge(), r.adjacentShardToMerge())
          .map(Responses.Empty.INSTANCE);
    }
  }

  static final class UpdateShardCount extends BaseOperation<UpdateShardCountRequest,
      Responses.UpdateShardCountOutput> {
    private final Resharder resharder;

    UpdateShardCount(Resharder resharder) {
      super("UpdateShardCount", UpdateShardCountRequest.class);
      this.resharder = resharder;
    }

    @Override
    public Future<Responses.UpdateShardCountOutput> handle(UpdateShardCountRequest r, RequestScope scope) {
      return resharder.updateShardCount(scope.streamKey(r), r.targetShardCount())
          .map(s -> new Responses.UpdateShardCountOutput(s.stream().name(), s.currentShardCount(),
              s.targetShardCount(), s.stream().arn()));
    }
  }

  static List<Operation<?, ?>> all(Resharder resharder) {
    return List.of(new SplitShard(resharder), new MergeShards(resharder), new UpdateShardCount(resharder));
  }
}
