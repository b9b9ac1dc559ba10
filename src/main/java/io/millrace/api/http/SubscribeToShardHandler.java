package io.millrace.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.model.Requests.SubscribeToShardRequest;
import io.millrace.api.model.Responses;
import io.millrace.api.op.Shapes;
import io.millrace.error.KinesisException;
import io.millrace.fanout.Subscription;
import io.millrace.fanout.SubscriptionLeases;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.fanout.eventstream.EventStreamCodec;
import io.millrace.stream.ConsumerMeta;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.ConsumerStatus;
import io.millrace.stream.DataPlane;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamRecord;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SubscribeToShard on the API port: checks the request (always JSON, whatever the client's CBOR setting), answers
 * refusals as ordinary HTTP 400 AWS errors, and otherwise answers 200 {@code application/vnd.amazon.eventstream}
 * with an {@code initial-response} event followed by the {@link Subscription}'s events, each framed by
 * {@link EventStreamCodec}. Works over HTTP/2 (h2c) and chunked HTTP/1.1. Errors after streaming started are
 * exception events; a client that goes away frees the subscription at once.
 *
 * <p>Threading: runs on the API verticle's event loop, as does each subscription it starts.
 */
final class SubscribeToShardHandler {

  static final String CONTENT_TYPE = "application/vnd.amazon.eventstream";

  private final Vertx vertx;
  private final StreamRegistry streams;
  private final ConsumerRegistry consumers;
  private final DataPlane data;
  private final SubscriptionLeases leases;
  private final Subscription.Timing timing;
  private final SubscriptionStats stats;
  private final Clock clock;
  private final java.util.Set<Subscription> live = new java.util.HashSet<>();

  SubscribeToShardHandler(Vertx vertx, HttpApiVerticle.Fanout fanout) {
    this.vertx = vertx;
    this.streams = fanout.controlPlane().streams();
    this.consumers = fanout.controlPlane().consumers();
    this.data = fanout.data();
    this.leases = fanout.leases();
    this.timing = fanout.timing();
    this.stats = fanout.stats();
    this.clock = streams.clock();
  }

  /** Starts the subscription, or completes with the failure to answer as a plain AWS error. */
  Future<Void> handle(HttpServerRequest request, SubscribeToShardRequest r, String requestId) {
    try {
      ConsumerMeta consumer = consumers.consumer(r.consumerARN())
          .orElseThrow(() -> ConsumerRegistry.notFound(r.consumerARN()));
      if (consumer.status() != ConsumerStatus.ACTIVE) {
        throw new KinesisException.ResourceInUse("Consumer " + consumer.arn() + " is not ACTIVE, instead in state "
            + consumer.status() + ".");
      }
      DataPlane.IteratorType type = DataPlane.IteratorType.valueOf(r.startingPosition().type());
      Instant at = r.startingPosition().timestamp();
      return data.startPoint(consumer.stream(), r.shardId(), type, r.startingPosition().sequenceNumber(),
          at == null ? null : at.toEpochMilli()).compose(start -> {
            begin(request, requestId, consumer, start);
            return Future.succeededFuture();
          });
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void begin(HttpServerRequest request, String requestId, ConsumerMeta consumer, DataPlane.StartPoint start) {
    HttpServerResponse response = request.response();
    if (response.closed() || response.ended()) {
      return;
    }
    ResponseSink sink = new ResponseSink(response, requestId);
    // Set before the status check below, so that a consumer-gone notice either finds the subscription here or
    // came early enough for the check to see the consumer's new state.
    AtomicReference<Subscription> holder = new AtomicReference<>();
    SubscriptionLeases.Lease lease;
    try {
      lease = leases.acquire(consumer.arn(), start.shard().shardId(), clock.millis(), () -> {
        Subscription s = holder.get();
        if (s != null) {
          s.takenOver();
        }
      }, error -> {
        Subscription s = holder.get();
        if (s != null) {
          s.fail(error);
        }
      });
    } catch (KinesisException.ResourceInUse tooSoon) {
      stats.refused(consumer.stream(), consumer.name()); // CloudWatch's SubscribeToShard.RateExceeded
      throw tooSoon;
    }
    Subscription[] self = new Subscription[1];
    Subscription subscription = new Subscription(vertx, start, sink, timing, clock, () -> {
      leases.release(lease);
      live.remove(self[0]);
    }, () -> streams.find(start.stream().key()).orElse(null), stats, consumer.name());
    self[0] = subscription;
    holder.set(subscription);
    // Checked again now that the lease is visible: a deregistration that came after the first check is seen here.
    ConsumerMeta now = consumers.consumer(consumer.arn()).orElse(null);
    if (now == null || now.status() != ConsumerStatus.ACTIVE) {
      leases.release(lease);
      throw now == null ? ConsumerRegistry.notFound(consumer.arn())
          : new KinesisException.ResourceInUse("Consumer " + consumer.arn() + " is not ACTIVE, instead in state "
              + now.status() + ".");
    }
    live.add(subscription);
    response.setStatusCode(200).putHeader("Content-Type", CONTENT_TYPE).putHeader("x-amzn-RequestId", requestId);
    if (request.version() != HttpVersion.HTTP_2) {
      response.setChunked(true);
    }
    response.closeHandler(v -> subscription.abandon());
    response.exceptionHandler(e -> subscription.abandon());
    response.write(Buffer.buffer(EventStreamCodec.encode(eventHeaders("initial-response"),
        "{}".getBytes(StandardCharsets.UTF_8))));
    subscription.start();
  }

  /** Ends every subscription this verticle serves, cleanly (before a shutdown). */
  void finishAll() {
    List.copyOf(live).forEach(Subscription::finish);
  }

  private static Map<String, Object> eventHeaders(String eventType) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put(":message-type", "event");
    h.put(":event-type", eventType);
    h.put(":content-type", "application/json");
    return h;
  }

  /** Frames subscription events onto the HTTP response. */
  private static final class ResponseSink implements Subscription.Sink {
    private static final ObjectMapper JSON = Mappers.of(WireFormat.JSON);
    private final HttpServerResponse response;

    private final String requestId;

    ResponseSink(HttpServerResponse response, String requestId) {
      this.response = response;
      this.requestId = requestId;
    }

    @Override
    public long event(ShardMeta shard, List<StreamRecord> records, String continuation, long millisBehindLatest,
                      List<ShardMeta> childShards, Runnable onWritten) {
      byte[] payload;
      try {
        payload = JSON.writeValueAsBytes(new Responses.SubscribeToShardEvent(Shapes.records(records), continuation,
            millisBehindLatest, Shapes.childShards(childShards)));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      if (response.closed() || response.ended()) {
        onWritten.run();
        return 0;
      }
      byte[] frame = EventStreamCodec.encode(eventHeaders("SubscribeToShardEvent"), payload);
      response.write(Buffer.buffer(frame)).onComplete(ar -> onWritten.run());
      return frame.length;
    }

    @Override
    public void end(Throwable error) {
      // Mapped first, so an unexpected failure is logged even when the client has gone.
      ErrorMapper.WireError wire = error == null ? null : ErrorMapper.map(error, "SubscribeToShard", requestId);
      if (response.closed() || response.ended()) {
        return;
      }
      if (wire != null) {
        response.write(Buffer.buffer(ErrorMapper.eventStreamException(wire)));
      }
      response.end();
    }

  }
}
