package io.millrace.api.op;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.model.Requests.CreateStreamRequest;
import io.millrace.api.model.Requests.DeleteStreamRequest;
import io.millrace.api.model.Requests.DescribeStreamRequest;
import io.millrace.api.model.Requests.DescribeStreamSummaryRequest;
import io.millrace.api.model.Requests.ListStreamsRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.shard.HashKey;
import io.millrace.shard.TokenSigner;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamMode;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.StreamRegistry;
import io.millrace.stream.StreamStatus;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The stream lifecycle actions: CreateStream, DeleteStream, DescribeStream(Summary), ListStreams. */
final class StreamOps {

  private StreamOps() {}

  /** On-demand streams start with this many shards, as in AWS. */
  static final int ON_DEMAND_INITIAL_SHARDS = 4;

  static final class CreateStream extends BaseOperation<CreateStreamRequest, Responses.Empty> {
    private final StreamRegistry registry;

    CreateStream(StreamRegistry registry) {
      super("CreateStream", CreateStreamRequest.class);
      this.registry = registry;
    }


    @Override
    public Future<Responses.Empty> handle(CreateStreamRequest r, RequestScope scope) {
      StreamMode mode = r.streamModeDetails() == null ? StreamMode.PROVISIONED
          : StreamMode.valueOf(r.streamModeDetails().streamMode());
      int shardCount;
      if (mode == StreamMode.PROVISIONED) {
        if (r.shardCount() == null) {
          throw new KinesisException.InvalidArgument("ShardCount is required for streams in PROVISIONED mode.");
        }
        shardCount = r.shardCount();
      } else {
        shardCount = r.shardCount() == null ? ON_DEMAND_INITIAL_SHARDS : r.shardCount();
      }
      if (r.tags() != null) {
        Tags.checkCharacters(TagOps.keysAndValues(r.tags()), "add tags to stream " + r.streamName()
            + " under account " + scope.account());
      }
      long now = registry.clock().millis();
      List<ShardMeta> shards = new ArrayList<>(shardCount);
      for (int i = 0; i < shardCount; i++) {
        HashKey[] range = HashKey.evenRange(i, shardCount);
        shards.add(new ShardMeta(i, null, null, range[0].value(), range[1].value(), now, null, null));
      }
      StreamKey key = new StreamKey(scope.account(), scope.region(), r.streamName());
      StreamMeta stream = new StreamMeta(key, StreamStatus.CREATING, mode, now, StreamMeta.DEFAULT_RETENTION_HOURS,
          shards, shardCount, r.tags() == null ? Map.of() : r.tags(), "NONE", null, List.of(),
          r.maxRecordSizeInKiB() == null ? StreamMeta.DEFAULT_MAX_RECORD_SIZE_KIB : r.maxRecordSizeInKiB(),
          r.warmThroughputMiBps());
      return registry.create(stream).map(Responses.Empty.INSTANCE);
    }
  }

  static final class DeleteStream extends BaseOperation<DeleteStreamRequest, Responses.Empty> {
    private final StreamRegistry registry;

    DeleteStream(StreamRegistry registry) {
      super("DeleteStream", DeleteStreamRequest.class);
      this.registry = registry;
    }


    @Override
    public Future<Responses.Empty> handle(DeleteStreamRequest r, RequestScope scope) {
      return registry.delete(scope.streamKey(r), Boolean.TRUE.equals(r.enforceConsumerDeletion())).map(Responses.Empty.INSTANCE);
    }
  }

  static final class DescribeStream extends BaseOperation<DescribeStreamRequest, Responses.DescribeStreamResponse> {
    private final StreamRegistry registry;

    DescribeStream(StreamRegistry registry) {
      super("DescribeStream", DescribeStreamRequest.class);
      this.registry = registry;
    }


    @Override
    public Future<Responses.DescribeStreamResponse> handle(DescribeStreamRequest r, RequestScope scope) {
      StreamMeta s = registry.require(scope.streamKey(r));
      int limit = r.limit() == null ? KinesisLimits.MAX_LIST_STREAMS_NAMES
          : Math.min(r.limit(), KinesisLimits.MAX_LIST_STREAMS_NAMES);
      Page<ShardMeta> page = Page.of(s.shards(), ShardMeta::shardId, r.exclusiveStartShardId(), limit);
      List<Responses.Shard> shards = page.items().stream().map(shard -> Shapes.shard(s, shard)).toList();
      return Future.succeededFuture(new Responses.DescribeStreamResponse(new Responses.StreamDescription(
          s.name(), s.arn(), s.status().name(), Shapes.mode(s), shards, page.more(), s.retentionHours(),
          Shapes.created(s), Shapes.monitoring(s), s.encryptionType(), s.keyId())));
    }
  }

  static final class DescribeStreamSummary extends BaseOperation<DescribeStreamSummaryRequest, Responses.DescribeStreamSummaryResponse> {
    private final StreamRegistry registry;
    private final ConsumerRegistry consumers;

    DescribeStreamSummary(StreamRegistry registry, ConsumerRegistry consumers) {
      super("DescribeStreamSummary", DescribeStreamSummaryRequest.class);
      this.registry = registry;
      this.consumers = consumers;
    }


    @Override
    public Future<Responses.DescribeStreamSummaryResponse> handle(DescribeStreamSummaryRequest r,
                                                                  RequestScope scope) {
      StreamMeta s = registry.require(scope.streamKey(r));
      Responses.WarmThroughput warm = s.warmThroughputMiBps() == null ? null
          : new Responses.WarmThroughput(s.warmThroughputMiBps(), s.warmThroughputMiBps());
      return Future.succeededFuture(new Responses.DescribeStreamSummaryResponse(
          new Responses.StreamDescriptionSummary(s.name(), s.arn(), s.status().name(), Shapes.mode(s),
              s.retentionHours(), Shapes.created(s), Shapes.monitoring(s), s.encryptionType(), s.keyId(),
              s.openShards().size(), consumers.consumers(s.key()).size(), warm, s.maxRecordSizeKiB())));
    }
  }

  static final class ListStreams extends BaseOperation<ListStreamsRequest, Responses.ListStreamsResponse> {
    private final StreamRegistry registry;
    private final TokenSigner signer;

    ListStreams(StreamRegistry registry, TokenSigner signer) {
      super("ListStreams", ListStreamsRequest.class);
      this.registry = registry;
      this.signer = signer;
    }


    @Override
    public Future<Responses.ListStreamsResponse> handle(ListStreamsRequest r, RequestScope scope) {
      String listScope = "streams:" + scope.account() + ":" + scope.region();
      String after = r.exclusiveStartStreamName();
      int limit = r.limit() == null ? KinesisLimits.MAX_LIST_STREAMS_NAMES
          : Math.min(r.limit(), KinesisLimits.MAX_LIST_STREAMS_NAMES);
      if (r.nextToken() != null) {
        if (after != null) {
          throw new KinesisException.InvalidArgument(
              "NextToken and ExclusiveStartStreamName cannot be provided together.");
        }
        PageToken token = PageToken.decode(r.nextToken(), signer)
            .filter(t -> t.scope().equals(listScope))
            .orElseThrow(() -> new KinesisException.InvalidArgument("Invalid NextToken."));
        after = token.position();
        limit = r.limit() == null ? token.limit() : limit;
      }
      Page<StreamMeta> page = Page.of(registry.list(scope.account(), scope.region()), StreamMeta::name, after, limit);
      List<String> names = page.items().stream().map(StreamMeta::name).toList();
      List<Responses.StreamSummary> summaries = page.items().stream().map(s -> new Responses.StreamSummary(s.name(),
          s.arn(), s.status().name(), Shapes.mode(s), Shapes.created(s))).toList();
      String next = page.more() ? new PageToken(registry.clock().millis(), listScope, names.get(names.size() - 1),
          limit).encode(signer) : null;
      return Future.succeededFuture(new Responses.ListStreamsResponse(names, page.more(), next, summaries));
    }
  }

  /** For the dispatch table. */
  static List<Operation<?, ?>> all(ControlPlane plane, TokenSigner signer) {
    StreamRegistry registry = plane.streams();
    return List.of(new CreateStream(registry), new DeleteStream(registry), new DescribeStream(registry),
        new DescribeStreamSummary(registry, plane.consumers()), new ListStreams(registry, signer));
  }
}
