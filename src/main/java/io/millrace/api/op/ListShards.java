package io.millrace.api.op;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.model.Requests.ListShardsRequest;
import io.millrace.api.model.Requests.ShardFilter;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.shard.TokenSigner;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * ListShards with every ShardFilter type and NextToken pagination. A NextToken remembers the stream, the filter and
 * the last shard returned; follow-up calls carry it alone (as in AWS, naming the stream as well is refused), and it
 * expires after 300 s.
 */
final class ListShards extends BaseOperation<ListShardsRequest, Responses.ListShardsResponse> {


  private final StreamRegistry registry;
  private final TokenSigner signer;

  ListShards(StreamRegistry registry, TokenSigner signer) {
    super("ListShards", ListShardsRequest.class);
    this.registry = registry;
    this.signer = signer;
  }

  private static Optional<PageToken> shardsToken(String nextToken, TokenSigner signer) {
    return PageToken.decode(nextToken, signer).filter(t -> t.scope().startsWith("shards|"));
  }

  private static StreamKey streamOf(PageToken token) {
    String[] parts = token.scope().split("\\|", -1);
    return new StreamKey(parts[1], parts[2], parts[3]);
  }

  /** The stream a ListShards NextToken continues the listing of, if it is one this server signed. */
  static Optional<StreamKey> streamOf(String nextToken, TokenSigner signer) {
    return shardsToken(nextToken, signer).map(ListShards::streamOf);
  }

  @Override
  public Future<Responses.ListShardsResponse> handle(ListShardsRequest r, RequestScope scope) {
    long now = registry.clock().millis();
    StreamKey key;
    String filterType;
    String filterShardId;
    Long filterMillis;
    String after;
    int max = r.maxResults() == null ? KinesisLimits.MAX_LIST_SHARDS_RESULTS
        : Math.min(r.maxResults(), KinesisLimits.MAX_LIST_SHARDS_RESULTS);
    if (r.nextToken() != null) {
      if (r.streamName() != null || r.streamARN() != null || r.exclusiveStartShardId() != null
          || r.streamCreationTimestamp() != null) {
        throw new KinesisException.InvalidArgument("NextToken and StreamName cannot be provided together.");
      }
      PageToken token = shardsToken(r.nextToken(), signer)
          .orElseThrow(() -> new KinesisException.InvalidArgument("Invalid NextToken."));
      if (now - token.issuedMillis() > PageToken.TTL_MILLIS) {
        throw new KinesisException.ExpiredNextToken("The NextToken has expired: it was issued more than "
            + PageToken.TTL_MILLIS / 1000 + " seconds ago. Call ListShards again with the stream name.");
      }
      String[] parts = token.scope().split("\\|", -1);
      key = streamOf(token);
      long created = Long.parseLong(parts[4]);
      filterType = parts[5];
      filterShardId = parts[6].isEmpty() ? null : parts[6];
      filterMillis = parts[7].isEmpty() ? null : Long.parseLong(parts[7]);
      after = token.position();
      max = r.maxResults() == null ? token.limit() : max;
      if (registry.require(key).createdMillis() != created) {
        throw StreamRegistry.notFound(key);
      }
    } else {
      if (r.streamName() == null && r.streamARN() == null) {
        throw new KinesisException.InvalidArgument("Either NextToken or StreamName should be provided.");
      }
      key = scope.streamKey(r);
      ShardFilter f = r.shardFilter();
      filterType = f == null ? "FROM_TRIM_HORIZON" : f.type();
      filterShardId = f == null ? null : f.shardId();
      filterMillis = f == null || f.timestamp() == null ? null : f.timestamp().toEpochMilli();
      after = r.exclusiveStartShardId();
      checkFilter(filterType, filterShardId, filterMillis, after);
      if (filterType.equals("AFTER_SHARD_ID")) {
        after = filterShardId;
      }
    }
    StreamMeta stream = registry.require(key);
    if (r.streamCreationTimestamp() != null
        && r.streamCreationTimestamp().toEpochMilli() != stream.createdMillis()) {
      throw StreamRegistry.notFound(key);
    }
    Predicate<ShardMeta> wanted = ShardFilters.of(stream, filterType, filterMillis, now);
    Page<ShardMeta> page = Page.of(stream.shards(), ShardMeta::shardId, after, max, wanted);
    List<Responses.Shard> shards = page.items().stream().map(shard -> Shapes.shard(stream, shard)).toList();
    String next = null;
    if (page.more()) {
      String tokenScope = String.join("|", "shards", key.account(), key.region(), key.name(),
          Long.toString(stream.createdMillis()), filterType, filterShardId == null ? "" : filterShardId,
          filterMillis == null ? "" : filterMillis.toString());
      next = new PageToken(now, tokenScope, page.items().get(page.items().size() - 1).shardId(), max)
          .encode(signer);
    }
    return Future.succeededFuture(new Responses.ListShardsResponse(shards, next));
  }

  private static void checkFilter(String type, String shardId, Long millis, String exclusiveStart) {
    boolean needsShard = type.equals("AFTER_SHARD_ID");
    boolean needsTime = type.equals("AT_TIMESTAMP") || type.equals("FROM_TIMESTAMP");
    if (needsShard && shardId == null) {
      throw new KinesisException.InvalidArgument("ShardFilter type AFTER_SHARD_ID requires ShardId.");
    }
    if (!needsShard && shardId != null) {
      throw new KinesisException.InvalidArgument("ShardId may only be given with ShardFilter type AFTER_SHARD_ID.");
    }
    if (needsTime && millis == null) {
      throw new KinesisException.InvalidArgument("ShardFilter type " + type + " requires Timestamp.");
    }
    if (!needsTime && millis != null) {
      throw new KinesisException.InvalidArgument("Timestamp may only be given with ShardFilter types AT_TIMESTAMP "
          + "and FROM_TIMESTAMP.");
    }
    if (needsShard && exclusiveStart != null) {
      throw new KinesisException.InvalidArgument("ExclusiveStartShardId and ShardFilter type AFTER_SHARD_ID cannot "
          + "be provided together.");
    }
  }
}
