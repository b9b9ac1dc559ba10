package io.millrace.api.grpc;

import com.google.protobuf.ByteString;
import io.millrace.api.auth.SigV4;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.model.Requests;
import io.millrace.api.model.Responses;
import io.millrace.api.op.Operation;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.api.validate.Validated;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.grpc.v1.ChildShard;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.CreateStreamResponse;
import io.millrace.grpc.v1.DeleteStreamRequest;
import io.millrace.grpc.v1.DeleteStreamResponse;
import io.millrace.grpc.v1.DescribeStreamRequest;
import io.millrace.grpc.v1.GetRecordsRequest;
import io.millrace.grpc.v1.GetRecordsResponse;
import io.millrace.grpc.v1.ListShardsRequest;
import io.millrace.grpc.v1.ListShardsResponse;
import io.millrace.grpc.v1.ListStreamsRequest;
import io.millrace.grpc.v1.ListStreamsResponse;
import io.millrace.grpc.v1.ListTagsRequest;
import io.millrace.grpc.v1.MergeShardsRequest;
import io.millrace.grpc.v1.MillraceGrpcService;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.ProduceResponse;
import io.millrace.grpc.v1.ProduceResult;
import io.millrace.grpc.v1.ReshardResponse;
import io.millrace.grpc.v1.Shard;
import io.millrace.grpc.v1.SplitShardRequest;
import io.millrace.grpc.v1.StoredRecord;
import io.millrace.grpc.v1.StreamDescription;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.grpc.v1.TagStreamRequest;
import io.millrace.grpc.v1.TagsResponse;
import io.millrace.grpc.v1.UntagStreamRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.InvalidMessageException;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Millrace's native gRPC API ({@code src/main/proto/millrace/v1/millrace.proto}), served on the API port beside the
 * Kinesis API for requests whose content type is {@code application/grpc}. It is a second face on the same core:
 * each RPC becomes the Kinesis action's request shape and runs through {@link Service#call} (the same validation,
 * limits and errors), and its answer is the action's response shape turned into protobuf; failures leave through
 * {@link GrpcErrors}. Subscribe runs on the same push path as SubscribeToShard ({@link GrpcSubscriptions}).
 *
 * <p>Threading: everything runs on the API verticle's event loop that received the call.
 */
public final class GrpcApi {

  /** The most batches of one ProduceStream call put and not yet acknowledged; the call's reading pauses beyond. */
  static final int MAX_PRODUCE_IN_FLIGHT = 4;
  /**
   * The largest request message: a full PutRecords batch (5 MiB of data, 500 keys of up to 256 bytes) in protobuf,
   * with room to spare. The Kinesis face's body cap is larger because JSON carries data in base64.
   */
  static final long MAX_MESSAGE_BYTES = 6L * 1024 * 1024;

  private final Service kinesis;
  private final Function<HttpServerRequest, RequestScope> authenticate;
  private final boolean verifying;
  /** The call being dispatched: set by {@link #handle} around the server's synchronous dispatch. */
  private Caller dispatching;

  /**
   * Who calls, and the SHA-256 (hex) its signature declared for its message, which the message must have; null
   * when signatures are not verified.
   */
  private record Caller(RequestScope scope, String messageHash) {}
  private final GrpcServer server;
  private final GrpcSubscriptions subscriptions;
  private final long maxMessageBytes;

  /**
   * @param kinesis          the Kinesis actions this face runs
   * @param authenticate     who calls: the account and region of a call, from its HTTP request (SigV4, as the
   *                         Kinesis face checks it), or a KinesisException saying why not
   * @param verifying        whether signatures are verified: each call's message must then have the SHA-256 its
   *                         signed {@code X-Amz-Content-SHA256} declares
   * @param maxMessageBytes  the largest request message, as the Kinesis face's largest body
   * @param subscriptions    Subscribe's push path, or null when subscriptions are not served
   */
  public GrpcApi(Vertx vertx, Service kinesis, Function<HttpServerRequest, RequestScope> authenticate,
                 boolean verifying, long maxMessageBytes,
                 GrpcSubscriptions subscriptions) {
    this.kinesis = kinesis;
    this.authenticate = authenticate;
    this.verifying = verifying;
    this.subscriptions = subscriptions;
    this.maxMessageBytes = Math.min(maxMessageBytes, MAX_MESSAGE_BYTES);
    this.server = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(this.maxMessageBytes));
    unary(MillraceGrpcService.Produce, "Produce", this::produce);
    server.callHandler(MillraceGrpcService.ProduceStream, this::produceStream);
    unary(MillraceGrpcService.GetRecords, "GetRecords", this::getRecords);
    server.callHandler(MillraceGrpcService.Subscribe, this::subscribe);
    unary(MillraceGrpcService.CreateStream, "CreateStream", this::createStream);
    unary(MillraceGrpcService.DescribeStream, "DescribeStream", this::describeStream);
    unary(MillraceGrpcService.ListStreams, "ListStreams", this::listStreams);
    unary(MillraceGrpcService.DeleteStream, "DeleteStream", this::deleteStream);
    unary(MillraceGrpcService.ListShards, "ListShards", this::listShards);
    unary(MillraceGrpcService.SplitShard, "SplitShard", this::splitShard);
    unary(MillraceGrpcService.MergeShards, "MergeShards", this::mergeShards);
    unary(MillraceGrpcService.TagStream, "TagStream", this::tagStream);
    unary(MillraceGrpcService.UntagStream, "UntagStream", this::untagStream);
    unary(MillraceGrpcService.ListTags, "ListTags", this::listTags);
  }

  /** Whether a request is a gRPC call (and so for {@link #handle}). */
  public static boolean accepts(HttpServerRequest request) {
    String type = request.getHeader("Content-Type");
    return type != null && type.startsWith("application/grpc");
  }

  /** Whether {@code request} is a call whose request is a stream of messages by design (ProduceStream). */
  public static boolean streamsRequest(HttpServerRequest request) {
    return accepts(request) && request.path().equals("/millrace.v1.Millrace/ProduceStream");
  }

  /**
   * Serves a call. Compressed messages are refused before Vert.x reads any (it would inflate them without a bound):
   * UNIMPLEMENTED, with {@code grpc-accept-encoding: identity} telling the client to send them as they are.
   */
  public void handle(HttpServerRequest request) {
    String encoding = request.getHeader("grpc-encoding");
    if (encoding != null && !encoding.equals("identity")) {
      request.response().putHeader("grpc-accept-encoding", "identity");
      refuse(request, GrpcStatus.UNIMPLEMENTED, null, "Compressed messages are not accepted; send them "
          + "uncompressed (identity).");
      return;
    }
    if (encoding == null) {
      // Said outright: without it, Vert.x's reader stalls on a message flagged compressed and keeps buffering what
      // follows; with it, such a message is read as it is (and refused as not a protobuf message, or decoded).
      request.headers().set("grpc-encoding", "identity");
    }
    RequestScope scope;
    try {
      scope = authenticate.apply(request);
    } catch (RuntimeException e) {
      ErrorMapper.WireError error = ErrorMapper.map(e, request.path(), requestId());
      refuse(request, GrpcErrors.status(error.code()), error.code().wireType(), error.message());
      return;
    }
    dispatching = new Caller(scope, verifying ? request.getHeader("x-amz-content-sha256") : null);
    try {
      server.handle(request);
    } finally {
      dispatching = null;
    }
  }

  /** Answers a call before Vert.x's gRPC server takes it: a trailers-only gRPC answer, the request drained. */
  private static void refuse(HttpServerRequest request, GrpcStatus status, String awsType, String message) {
    request.handler(chunk -> { }).exceptionHandler(e -> { });
    request.response().setStatusCode(200).putHeader("content-type", "application/grpc")
        .putHeader("grpc-status", String.valueOf(status.code))
        .putHeader("grpc-message", GrpcErrors.percentEncode(message));
    if (awsType != null) {
      request.response().putHeader(GrpcErrors.TYPE, awsType);
    }
    request.response().end();
  }

  /** The caller of the call Vert.x is dispatching now (call handlers run within {@link #handle}). */
  private Caller caller() {
    if (dispatching == null) {
      throw new IllegalStateException("a gRPC call was dispatched outside GrpcApi.handle");
    }
    return dispatching;
  }

  /** Ends every subscription (before a shutdown). */
  public void finishAll() {
    if (subscriptions != null) {
      subscriptions.finishAll();
    }
  }

  private <Q, R> void unary(ServiceMethod<Q, R> method, String rpc,
                            BiFunction<Q, RequestScope, Future<R>> handler) {
    server.callHandler(method, call -> {
      Caller caller = caller();
      RequestScope scope = caller.scope();
      single(call, method, caller, rpc, message -> {
        Future<R> answer;
        try {
          answer = handler.apply(message, scope);
        } catch (RuntimeException e) {
          answer = Future.failedFuture(e);
        }
        answer.onComplete(r -> GrpcErrors.end(call.response(), r),
            e -> GrpcErrors.fail(call.response(), e, rpc, requestId()));
      });
    });
  }

  /**
   * A call that takes exactly one request message (unary and server streaming): {@code onRequest} hears it once the
   * client has half-closed (an answer before that would reset the call's stream, and the client would see
   * CANCELLED). None, more than one (they are not kept), one that is not the RPC's protobuf message, one too large,
   * or one whose SHA-256 is not the signed one: the AWS error, as a gRPC status.
   */
  private <Q, R> void single(GrpcServerRequest<Q, R> call, ServiceMethod<Q, R> method, Caller caller, String rpc,
                             Consumer<Q> onRequest) {
    List<GrpcMessage> first = new ArrayList<>(1);
    boolean[] extra = {false};
    KinesisException[] invalid = {null};
    call.messageHandler(message -> {
      if (first.isEmpty()) {
        first.add(message);
      } else {
        extra[0] = true;
      }
    });
    call.invalidMessageHandler(e -> invalid[0] = invalid[0] != null ? invalid[0] : invalid(e, rpc));
    call.endHandler(v -> {
      Q request;
      try {
        if (invalid[0] != null) {
          throw invalid[0];
        }
        if (first.isEmpty() || extra[0]) {
          throw new KinesisException.InvalidArgument(rpc + " takes exactly one request message; the call had "
              + (first.isEmpty() ? "none." : "more than one."));
        }
        request = decode(method, first.get(0), caller, rpc);
      } catch (KinesisException e) {
        GrpcErrors.fail(call.response(), e, rpc, requestId());
        return;
      }
      onRequest.accept(request);
    });
  }

  /** The request message of {@code method} in {@code message}, checked against the signed hash if there is one. */
  private static <Q> Q decode(ServiceMethod<Q, ?> method, GrpcMessage message, Caller caller, String rpc) {
    if (!"identity".equals(message.encoding())) {
      throw new KinesisException.InvalidArgument("A " + rpc + " message arrived compressed; send it uncompressed "
          + "(identity).");
    }
    if (caller.messageHash() != null
        && !SigV4.sha256Hex(message.payload().getBytes()).equalsIgnoreCase(caller.messageHash())) {
      throw new KinesisException.Authentication(ErrorCode.INVALID_SIGNATURE, "The provided "
          + "'x-amz-content-sha256' header does not match what was computed.");
    }
    try {
      return method.decoder().decode(message);
    } catch (CodecException e) {
      throw new KinesisException.Serialization("A " + rpc + " message could not be read as the request that "
          + "millrace.proto defines for it.");
    }
  }

  /** A message Vert.x could not take: too large for the limit, or not the request's protobuf message. */
  private KinesisException invalid(InvalidMessageException e, String rpc) {
    if (e instanceof MessageSizeOverflowException tooLarge) {
      return new KinesisException.RequestTooLarge("A " + rpc + " message of " + tooLarge.messageSize()
          + " bytes is over the limit of " + maxMessageBytes + " bytes.");
    }
    return new KinesisException.Serialization("A " + rpc + " message could not be read as the request that "
        + "millrace.proto defines for it.");
  }

  static String requestId() {
    return UUID.randomUUID().toString();
  }

  /** Runs the Kinesis action {@code action} on {@code request}, as the Kinesis face would. */
  @SuppressWarnings("unchecked")
  private <Q extends Validated, R> Future<R> call(String action, Q request, RequestScope scope) {
    return kinesis.call((Operation<Q, R>) kinesis.find(action), request, scope);
  }

  // --- records -----------------------------------------------------------------------------------------------

  private Future<ProduceResponse> produce(ProduceRequest r, RequestScope scope) {
    List<Requests.PutRecordsRequestEntry> entries = new ArrayList<>(r.getRecordsCount());
    r.getRecordsList().forEach(e -> entries.add(new Requests.PutRecordsRequestEntry(e.getData().toByteArray(),
        text(e.getExplicitHashKey()), e.getPartitionKey())));
    return this.<Requests.PutRecordsRequest, Responses.PutRecordsResponse>call("PutRecords",
        new Requests.PutRecordsRequest(entries, name(r.getStream()), arn(r.getStream())), scope).map(put -> {
          ProduceResponse.Builder out = ProduceResponse.newBuilder().setFailedRecordCount(put.failedRecordCount());
          for (Responses.PutRecordsResultEntry e : put.records()) {
            ProduceResult.Builder result = ProduceResult.newBuilder();
            if (e.errorCode() == null) {
              result.setShardId(e.shardId()).setSequenceNumber(e.sequenceNumber());
            } else {
              result.setErrorCode(e.errorCode()).setErrorMessage(e.errorMessage());
            }
            out.addResults(result);
          }
          return out.build();
        });
  }

  /**
   * Batches flowing in, each acknowledged in order once durable. Batches are put as they come (their records land
   * in each shard in arrival order) but at most {@link #MAX_PRODUCE_IN_FLIGHT} wait for their acknowledgement; the
   * first batch that fails ends the call with its error, and batches after it are not acknowledged.
   */
  private void produceStream(GrpcServerRequest<ProduceRequest, ProduceResponse> call) {
    Caller caller = caller();
    if (caller.messageHash() != null) {
      GrpcErrors.fail(call.response(), new KinesisException.InvalidArgument("ProduceStream's messages cannot each "
          + "be signed; with signature verification on, use Produce."), "ProduceStream", requestId());
      return;
    }
    new ProduceStream(call, caller.scope()).start();
  }

  /** One ProduceStream call: its acknowledgements chained in request order. On the call's event loop. */
  private final class ProduceStream {
    private final GrpcServerRequest<ProduceRequest, ProduceResponse> call;
    private final RequestScope scope;
    private final String requestId = requestId();
    /** Completes once every batch so far is acknowledged; fails with the first batch that failed. */
    private Future<Void> acknowledged = Future.succeededFuture();
    private int inFlight;
    private boolean over;

    ProduceStream(GrpcServerRequest<ProduceRequest, ProduceResponse> call, RequestScope scope) {
      this.call = call;
      this.scope = scope;
    }

    void start() {
      call.handler(this::batch);
      call.invalidMessageHandler(e -> failAfterAcknowledged(invalid(e, "ProduceStream")));
      call.endHandler(v -> acknowledged.onSuccess(done -> call.response().end()));
      call.errorHandler(e -> over = true); // cancelled: nothing more to acknowledge
      call.exceptionHandler(e -> over = true);
    }

    /** Ends the call with {@code e} once the batches before it are acknowledged; later ones are not put. */
    private void failAfterAcknowledged(Throwable e) {
      acknowledged = acknowledged.compose(v -> Future.<Void>failedFuture(e)).recover(this::fail);
    }

    private Future<Void> fail(Throwable e) {
      if (!over) {
        over = true;
        GrpcErrors.fail(call.response(), e, "ProduceStream", requestId);
        call.resume(); // let what the client still sends drain: it is dropped
      }
      return Future.failedFuture(e);
    }

    private void batch(ProduceRequest batch) {
      if (over) {
        return; // after a failure: dropped
      }
      Future<ProduceResponse> put = produce(batch, scope);
      if (++inFlight >= MAX_PRODUCE_IN_FLIGHT) {
        call.pause();
      }
      acknowledged = acknowledged.compose(v -> put).compose(answer -> call.response().write(answer))
          .andThen(ar -> {
            if (--inFlight < MAX_PRODUCE_IN_FLIGHT && !over) {
              call.resume();
            }
          })
          .recover(this::fail);
    }
  }

  /**
   * A read from a position: GetShardIterator and GetRecords in one. The next position is after the last record
   * read; after an empty read, the same position when it is a fixed one (a sequence number, the trim horizon), else
   * the continuation the read returned.
   */
  private Future<GetRecordsResponse> getRecords(GetRecordsRequest r, RequestScope scope) {
    Position position = r.getPosition();
    Integer limit = r.getLimit() == 0 ? null : r.getLimit();
    Future<String> iterator = position.getKindCase() == Position.KindCase.CONTINUATION
        ? Future.succeededFuture(position.getContinuation())
        : this.<Requests.GetShardIteratorRequest, Responses.GetShardIteratorResponse>call("GetShardIterator",
            iteratorRequest(r.getStream(), r.getShardId(), position), scope)
            .map(Responses.GetShardIteratorResponse::shardIterator);
    return iterator.compose(token -> this.<Requests.GetRecordsRequest, Responses.GetRecordsResponse>call(
        "GetRecords", new Requests.GetRecordsRequest(token, limit, streamArn(r.getStream(), scope)), scope))
        .map(page -> {
          GetRecordsResponse.Builder out = GetRecordsResponse.newBuilder()
              .setMillisBehindLatest(page.millisBehindLatest());
          page.records().forEach(rec -> out.addRecords(record(rec)));
          if (page.childShards() != null) {
            page.childShards().forEach(c -> out.addChildShards(childShard(c)));
          }
          if (page.nextShardIterator() != null) {
            out.setNextPosition(next(position, page));
          }
          return out.build();
        });
  }

  private static Position next(Position asked, Responses.GetRecordsResponse page) {
    if (!page.records().isEmpty()) {
      return Position.newBuilder()
          .setAfterSequenceNumber(page.records().get(page.records().size() - 1).sequenceNumber()).build();
    }
    return switch (asked.getKindCase()) {
      case TRIM_HORIZON, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER -> asked;
      default -> Position.newBuilder().setContinuation(page.nextShardIterator()).build();
    };
  }

  /** The GetShardIterator shape of a shard and a position: one set of rules for both faces. */
  static Requests.GetShardIteratorRequest iteratorRequest(StreamRef stream, String shardId, Position p) {
    String type = switch (p.getKindCase()) {
      case TRIM_HORIZON -> "TRIM_HORIZON";
      case LATEST -> "LATEST";
      case AT_SEQUENCE_NUMBER -> "AT_SEQUENCE_NUMBER";
      case AFTER_SEQUENCE_NUMBER -> "AFTER_SEQUENCE_NUMBER";
      case AT_TIMESTAMP_MILLIS -> "AT_TIMESTAMP";
      case CONTINUATION -> throw new KinesisException.InvalidArgument("A continuation is a position for GetRecords "
          + "only; subscribe from after_sequence_number instead.");
      case KIND_NOT_SET -> null; // "shardIteratorType: must not be null", as the Kinesis face says it
    };
    String sequence = switch (p.getKindCase()) {
      case AT_SEQUENCE_NUMBER -> p.getAtSequenceNumber();
      case AFTER_SEQUENCE_NUMBER -> p.getAfterSequenceNumber();
      default -> null;
    };
    Instant at = p.getKindCase() == Position.KindCase.AT_TIMESTAMP_MILLIS
        ? Instant.ofEpochMilli(p.getAtTimestampMillis()) : null;
    return new Requests.GetShardIteratorRequest(name(stream), shardId, type, sequence, at, arn(stream));
  }

  private void subscribe(GrpcServerRequest<SubscribeRequest, io.millrace.grpc.v1.SubscribeEvent> call) {
    GrpcSubscriptions.Call state = new GrpcSubscriptions.Call(call); // hears a cancel from the first moment
    Caller caller = caller();
    RequestScope scope = caller.scope();
    single(call, MillraceGrpcService.Subscribe, caller, "Subscribe", r -> {
      String requestId = requestId();
      Future<Void> started;
      try {
        if (subscriptions == null) {
          throw new KinesisException.UnknownOperation("Subscribe is not served.");
        }
        Requests.GetShardIteratorRequest start = iteratorRequest(r.getStream(), r.getShardId(), r.getPosition());
        started = kinesis.call(new CheckOnly<>(), start, scope)
            .compose(v -> subscriptions.start(state, scope.streamKey(start), start, requestId));
      } catch (RuntimeException e) {
        started = Future.failedFuture(e);
      }
      started.onFailure(e -> GrpcErrors.fail(call.response(), e, "Subscribe", requestId));
    });
  }

  /**
   * An operation that only lets {@link Service#call} check a request shape and that its caller may subscribe (as
   * kinesis:SubscribeToShard, on the stream).
   */
  private static final class CheckOnly<Q extends Validated> implements Operation<Q, Void> {
    @Override
    public String name() {
      return "SubscribeToShard";
    }

    @Override
    public Class<Q> requestType() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> handle(Q request, RequestScope scope) {
      return Future.succeededFuture();
    }
  }

  static StoredRecord record(Responses.Record r) {
    return StoredRecord.newBuilder().setData(ByteString.copyFrom(r.data())).setPartitionKey(r.partitionKey())
        .setSequenceNumber(r.sequenceNumber()).setApproximateArrivalMillis(r.approximateArrivalTimestamp()
            .toEpochMilli()).build();
  }

  static ChildShard childShard(Responses.ChildShard c) {
    return ChildShard.newBuilder().setShardId(c.shardId()).addAllParentShards(c.parentShards())
        .setStartingHashKey(c.hashKeyRange().startingHashKey()).setEndingHashKey(c.hashKeyRange().endingHashKey())
        .build();
  }

  // --- streams -----------------------------------------------------------------------------------------------

  private Future<CreateStreamResponse> createStream(CreateStreamRequest r, RequestScope scope) {
    Requests.StreamModeDetails mode = new Requests.StreamModeDetails(r.getOnDemand() ? "ON_DEMAND" : "PROVISIONED");
    Requests.CreateStreamRequest create = new Requests.CreateStreamRequest(text(r.getName()),
        r.getOnDemand() && r.getShardCount() == 0 ? null : r.getShardCount(), mode,
        r.getTagsCount() == 0 ? null : r.getTagsMap(), null, null);
    return this.<Requests.CreateStreamRequest, Object>call("CreateStream", create, scope)
        .map(v -> CreateStreamResponse.newBuilder().setArn(scope.streamKey(create.streamName(), null).arn()).build());
  }

  private Future<StreamDescription> describeStream(DescribeStreamRequest r, RequestScope scope) {
    return this.<Requests.DescribeStreamSummaryRequest, Responses.DescribeStreamSummaryResponse>call(
        "DescribeStreamSummary", new Requests.DescribeStreamSummaryRequest(name(r.getStream()), arn(r.getStream())),
        scope).map(d -> {
          Responses.StreamDescriptionSummary s = d.streamDescriptionSummary();
          return StreamDescription.newBuilder().setName(s.streamName()).setArn(s.streamARN())
              .setStatus(s.streamStatus()).setMode(s.streamModeDetails().streamMode())
              .setRetentionPeriodHours(s.retentionPeriodHours())
              .setCreationMillis(s.streamCreationTimestamp().toEpochMilli()).setOpenShardCount(s.openShardCount())
              .setConsumerCount(s.consumerCount()).build();
        });
  }

  private Future<ListStreamsResponse> listStreams(ListStreamsRequest r, RequestScope scope) {
    return this.<Requests.ListStreamsRequest, Responses.ListStreamsResponse>call("ListStreams",
        new Requests.ListStreamsRequest(r.getLimit() == 0 ? null : r.getLimit(), null, text(r.getNextToken())), scope)
        .map(page -> {
          ListStreamsResponse.Builder out = ListStreamsResponse.newBuilder();
          for (Responses.StreamSummary s : page.streamSummaries()) {
            out.addStreams(StreamDescription.newBuilder().setName(s.streamName()).setArn(s.streamARN())
                .setStatus(s.streamStatus()).setMode(s.streamModeDetails().streamMode())
                .setCreationMillis(s.streamCreationTimestamp().toEpochMilli()));
          }
          if (page.hasMoreStreams() && page.nextToken() != null) {
            out.setNextToken(page.nextToken());
          }
          return out.build();
        });
  }

  private Future<DeleteStreamResponse> deleteStream(DeleteStreamRequest r, RequestScope scope) {
    return this.<Requests.DeleteStreamRequest, Object>call("DeleteStream", new Requests.DeleteStreamRequest(
        name(r.getStream()), r.getEnforceConsumerDeletion(), arn(r.getStream())), scope)
        .map(v -> DeleteStreamResponse.getDefaultInstance());
  }

  private Future<ListShardsResponse> listShards(ListShardsRequest r, RequestScope scope) {
    String token = text(r.getNextToken());
    // As ListShards: a next token stands for the stream it came from, so the stream is not named with it.
    return this.<Requests.ListShardsRequest, Responses.ListShardsResponse>call("ListShards",
        new Requests.ListShardsRequest(token == null ? name(r.getStream()) : null, token, null,
            r.getMaxResults() == 0 ? null : r.getMaxResults(), null, null, token == null ? arn(r.getStream()) : null),
        scope)
        .map(page -> {
          ListShardsResponse.Builder out = ListShardsResponse.newBuilder();
          for (Responses.Shard s : page.shards()) {
            Shard.Builder shard = Shard.newBuilder().setShardId(s.shardId())
                .setStartingHashKey(s.hashKeyRange().startingHashKey())
                .setEndingHashKey(s.hashKeyRange().endingHashKey())
                .setStartingSequenceNumber(s.sequenceNumberRange().startingSequenceNumber());
            if (s.parentShardId() != null) {
              shard.setParentShardId(s.parentShardId());
            }
            if (s.adjacentParentShardId() != null) {
              shard.setAdjacentParentShardId(s.adjacentParentShardId());
            }
            if (s.sequenceNumberRange().endingSequenceNumber() != null) {
              shard.setEndingSequenceNumber(s.sequenceNumberRange().endingSequenceNumber());
            }
            out.addShards(shard);
          }
          if (page.nextToken() != null) {
            out.setNextToken(page.nextToken());
          }
          return out.build();
        });
  }

  private Future<ReshardResponse> splitShard(SplitShardRequest r, RequestScope scope) {
    return this.<Requests.SplitShardRequest, Object>call("SplitShard", new Requests.SplitShardRequest(
        name(r.getStream()), text(r.getShardToSplit()), text(r.getNewStartingHashKey()), arn(r.getStream())), scope)
        .map(v -> ReshardResponse.getDefaultInstance());
  }

  private Future<ReshardResponse> mergeShards(MergeShardsRequest r, RequestScope scope) {
    return this.<Requests.MergeShardsRequest, Object>call("MergeShards", new Requests.MergeShardsRequest(
        name(r.getStream()), text(r.getShardToMerge()), text(r.getAdjacentShardToMerge()), arn(r.getStream())), scope)
        .map(v -> ReshardResponse.getDefaultInstance());
  }

  private Future<TagsResponse> tagStream(TagStreamRequest r, RequestScope scope) {
    return mayListTags(r.getStream(), scope).compose(v -> this.<Requests.AddTagsToStreamRequest, Object>call(
        "AddTagsToStream", new Requests.AddTagsToStreamRequest(name(r.getStream()), r.getTagsMap(),
            arn(r.getStream())), scope)).compose(v -> tags(r.getStream(), scope));
  }

  private Future<TagsResponse> untagStream(UntagStreamRequest r, RequestScope scope) {
    return mayListTags(r.getStream(), scope).compose(v -> this.<Requests.RemoveTagsFromStreamRequest, Object>call(
        "RemoveTagsFromStream", new Requests.RemoveTagsFromStreamRequest(name(r.getStream()),
            List.copyOf(r.getKeysList()), arn(r.getStream())), scope)).compose(v -> tags(r.getStream(), scope));
  }

  /**
   * Whether the caller may list the stream's tags, which TagStream and UntagStream answer with: asked before they
   * change anything, so a caller who may not gets AccessDenied with the tags unchanged.
   */
  private Future<Void> mayListTags(StreamRef stream, RequestScope scope) {
    try {
      kinesis.authorize("ListTagsForStream", new Requests.ListTagsForStreamRequest(name(stream), null, null,
          arn(stream)), scope);
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<TagsResponse> listTags(ListTagsRequest r, RequestScope scope) {
    return tags(r.getStream(), scope);
  }

  /** Every tag of the stream: ListTagsForStream, page after page. */
  private Future<TagsResponse> tags(StreamRef stream, RequestScope scope) {
    return tagPages(stream, null, new TreeMap<>(), scope)
        .map(all -> TagsResponse.newBuilder().putAllTags(all).build());
  }

  private Future<Map<String, String>> tagPages(StreamRef stream, String after, Map<String, String> into,
                                                RequestScope scope) {
    return this.<Requests.ListTagsForStreamRequest, Responses.ListTagsForStreamResponse>call("ListTagsForStream",
        new Requests.ListTagsForStreamRequest(name(stream), after, null, arn(stream)), scope).compose(page -> {
          page.tags().forEach(t -> into.put(t.key(), t.value() == null ? "" : t.value()));
          if (page.hasMoreTags() && !page.tags().isEmpty()) {
            return tagPages(stream, page.tags().get(page.tags().size() - 1).key(), into, scope);
          }
          return Future.succeededFuture(into);
        });
  }

  /** Protobuf's empty string is "not given". */
  static String text(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  static String name(StreamRef stream) {
    return text(stream.getName());
  }

  static String arn(StreamRef stream) {
    return text(stream.getArn());
  }

  /** The ARN of the stream named, if it is named at all: what a read by continuation must match. */
  private static String streamArn(StreamRef stream, RequestScope scope) {
    return name(stream) == null && arn(stream) == null ? null : scope.streamKey(name(stream), arn(stream)).arn();
  }
}
