package io.millrace.api.grpc;

import io.millrace.api.model.Requests;
import io.millrace.api.op.Shapes;
import io.millrace.error.KinesisException;
import io.millrace.fanout.Subscription;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.grpc.v1.SubscribeEvent;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.stream.DataPlane;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamRecord;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Subscribe: a {@link Subscription}, the same push path as SubscribeToShard's, whose events go to a gRPC server
 * stream. The subscription reads only while fewer than its in-flight budget of bytes wait for the transport, and
 * HTTP/2 flow control holds them there until the client reads: a client that stops reading holds that budget and no
 * more. Unlike SubscribeToShard it needs no registered consumer and has no 5-minute lifetime: it runs until the
 * client cancels, the shard ends (a last event with {@code shard_end} and the children) or the server stops.
 *
 * <p>Threading: each subscription runs on the event loop of its call.
 */
public final class GrpcSubscriptions {

  private final Vertx vertx;
  private final DataPlane data;
  private final StreamRegistry streams;
  private final Subscription.Timing timing;
  private final SubscriptionStats stats;
  private final Set<Subscription> live = new HashSet<>();

  /** @param timing heartbeat, byte cap and in-flight budget as SubscribeToShard's; the lifetime is ignored */
  public GrpcSubscriptions(Vertx vertx, DataPlane data, StreamRegistry streams, Subscription.Timing timing,
                           SubscriptionStats stats) {
    this.vertx = vertx;
    this.data = data;
    this.streams = streams;
    this.timing = new Subscription.Timing(timing.heartbeatMillis(), 0, timing.maxBytesPerSecond(),
        timing.maxInFlightBytes());
    this.stats = stats;
  }

  /**
   * One Subscribe call, from its first moment: a cancel (or a reset, or a lost connection) that comes while the start
   * is still being resolved is remembered, and the subscription then never starts; one that comes later abandons it.
   */
  static final class Call {
    private final GrpcServerRequest<SubscribeRequest, SubscribeEvent> request;
    private boolean gone;
    private Subscription subscription;

    Call(GrpcServerRequest<SubscribeRequest, SubscribeEvent> request) {
      this.request = request;
      request.errorHandler(e -> gone()); // cancelled by the client
      request.exceptionHandler(e -> gone()); // the stream was reset, or the connection is gone
      request.response().exceptionHandler(e -> gone());
    }

    private void gone() {
      gone = true;
      if (subscription != null) {
        subscription.abandon();
      }
    }
  }

  /** Resolves the start (failing with the AWS error GetShardIterator would give), then pushes. */
  Future<Void> start(Call call, StreamKey key, Requests.GetShardIteratorRequest position, String requestId) {
    DataPlane.IteratorType type = DataPlane.IteratorType.valueOf(position.shardIteratorType());
    Long at = position.timestamp() == null ? null : position.timestamp().toEpochMilli();
    return data.startPoint(key, position.shardId(), type, position.startingSequenceNumber(), at).map(start -> {
      if (call.gone) {
        return null;
      }
      long incarnation = start.stream().createdMillis();
      Sink sink = new Sink(call.request.response(), requestId);
      Subscription[] self = new Subscription[1];
      // The stream as it is now, or null once it is gone (deleted, or deleted and created again): the end.
      Subscription subscription = new Subscription(vertx, start, sink, timing, streams.clock(),
          () -> live.remove(self[0]), () -> streams.find(key).filter(s -> s.createdMillis() == incarnation)
              .orElse(null), stats, null);
      self[0] = subscription;
      sink.subscription = subscription;
      call.subscription = subscription;
      live.add(subscription);
      subscription.start();
      return null;
    });
  }

  void finishAll() {
    List.copyOf(live).forEach(Subscription::finish);
  }

  /**
   * Writes each event as a SubscribeEvent message; the end as the call's status: OK after the shard's last event,
   * UNAVAILABLE when the server stops (subscribe again after the last continuation), else the error.
   */
  private static final class Sink implements Subscription.Sink {
    private final GrpcServerResponse<SubscribeRequest, SubscribeEvent> response;
    private final String requestId;
    private Subscription subscription;
    private boolean ended;
    private boolean shardEnded;

    Sink(GrpcServerResponse<SubscribeRequest, SubscribeEvent> response, String requestId) {
      this.response = response;
      this.requestId = requestId;
    }

    @Override
    public long event(ShardMeta shard, List<StreamRecord> records, String continuation, long millisBehindLatest,
                      List<ShardMeta> childShards, Runnable onWritten) {
      SubscribeEvent.Builder event = SubscribeEvent.newBuilder().setMillisBehindLatest(millisBehindLatest);
      Shapes.records(records).forEach(r -> event.addRecords(GrpcApi.record(r)));
      if (continuation != null) {
        event.setContinuationSequenceNumber(continuation);
      }
      if (childShards != null) {
        shardEnded = true;
        event.setShardEnd(true);
        Shapes.childShards(childShards).forEach(c -> event.addChildShards(GrpcApi.childShard(c)));
      }
      SubscribeEvent message = event.build();
      if (ended) {
        onWritten.run();
        return 0;
      }
      try {
        response.write(message).onComplete(ar -> onWritten.run());
      } catch (IllegalStateException gone) {
        onWritten.run(); // the call failed under us (reset, cancelled): nothing more goes out
        subscription.abandon();
        return 0;
      }
      return message.getSerializedSize();
    }

    @Override
    public void end(Throwable error) {
      if (ended) {
        return;
      }
      ended = true;
      if (error == null && !shardEnded) {
        error = new KinesisException.ServiceUnavailable("Millrace is stopping; subscribe again after the last "
            + "continuation_sequence_number.");
      }
      if (error != null) {
        GrpcErrors.fail(response, error, "Subscribe", requestId);
      } else {
        try {
          response.end();
        } catch (IllegalStateException gone) {
          // cancelled, or the connection is gone
        }
      }
    }
  }
}
