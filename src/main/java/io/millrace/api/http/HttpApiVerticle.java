package io.millrace.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.error.ErrorMapper.WireError;
import io.millrace.api.op.Operation;
import io.millrace.api.op.Operations;
import io.millrace.api.op.RequestScope;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.fanout.Subscription;
import io.millrace.fanout.SubscriptionLeases;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.DataPlane;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Serves the Kinesis API ({@code POST /} with {@code X-Amz-Target: Kinesis_20131202.<Action>}) in JSON and CBOR,
 * plus {@code GET /health} and {@code GET /metrics} (Prometheus text), over HTTP/1.1 and HTTP/2 cleartext on one
 * port. One instance runs per event loop; they share the listening port.
 *
 * <p>A request goes: size check (Content-Length first, then while streaming, so an oversized body is never
 * buffered) → Content-Type → target → SigV4 shape → decode → validate → operation → encode in the request's format.
 * Every failure goes through {@link ErrorMapper}: the client's mistakes get their AWS error, never a 500.
 *
 * <p>Threading: everything runs on this verticle's event loop; operations return futures and never block.
 */
public final class HttpApiVerticle extends VerticleBase {

  private static final String TARGET_PREFIX = "Kinesis_20131202.";
  private static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Operations operations;
  private final Authentication authentication;
  private final Settings settings;
  private final Supplier<String> metrics;
  private final Fanout fanout;
  private final ConnectionGuard guard;
  private SubscribeToShardHandler subscribeToShard;
  private HttpServer server;

  /**
   * Where to listen and what a request may be: host and port, the largest body, and the account and region used
   * when a request's credential scope does not give them.
   */
  public record Settings(String host, int port, long maxRequestBytes, String defaultAccount, String defaultRegion) {}

  /** What SubscribeToShard needs: the control plane and data plane, the shared leases, timing and statistics. */
  public record Fanout(ControlPlane controlPlane, DataPlane data, SubscriptionLeases leases,
                       Subscription.Timing timing, SubscriptionStats stats) {}

  /**
   * @param metrics the {@code GET /metrics} body in the Prometheus text format (quick, thread-safe: it is called on
   *                the event loop)
   * @param fanout  what SubscribeToShard needs (null: the action is not served)
   * @param guard   the server's connection limits, shared by its API verticles
   */
  public HttpApiVerticle(Operations operations, Settings settings, Supplier<String> metrics, Fanout fanout,
                         ConnectionGuard guard) {
    this.operations = operations;
    this.settings = settings;
    this.metrics = metrics;
    this.fanout = fanout;
    this.guard = guard;
    this.authentication = new Authentication(settings.defaultAccount(), settings.defaultRegion());
  }

  @Override
  public Future<?> start() {
    if (fanout != null) {
      subscribeToShard = new SubscribeToShardHandler(vertx, fanout);
    }
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end("{\"status\":\"UP\"}"));
    router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", METRICS_CONTENT_TYPE)
        .end(metrics.get()));
    router.route().handler(ctx -> handle(ctx.request()));
    HttpServerOptions options = guard.apply(new HttpServerOptions().setHost(settings.host()).setPort(settings.port())
        .setHttp2ClearTextEnabled(true).setCompressionSupported(false).setDecompressionSupported(true));
    // The API (every POST) goes straight to its handler; the router serves the few GET pages.
    return vertx.createHttpServer(options)
        .connectionHandler(guard::onConnection)
        .requestHandler(request -> {
          if (guard.refused(request, () -> refuseOverCap(request))) {
            return;
          }
          if (request.method() == HttpMethod.POST) {
            handle(request);
          } else {
            router.handle(request);
          }
        })
        .listen().onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    // Let requests in flight finish, then close; subscriptions (long-lived) end cleanly at once.
    if (subscribeToShard != null) {
      subscribeToShard.finishAll();
    }
    return server == null ? Future.succeededFuture() : server.shutdown(10, TimeUnit.SECONDS);
  }

  /** Answers a request whose connection is beyond the cap: 503 ServiceUnavailable, then the connection closes. */
  private void refuseOverCap(HttpServerRequest request) {
    WireFormat format = WireFormat.ofContentType(request.getHeader("Content-Type"));
    drainAndClose(request);
    if (request.version() == HttpVersion.HTTP_2) {
      request.response().endHandler(v -> request.connection().close());
    }
    fail(request, format, requestId(), new KinesisException.ServiceUnavailable(guard.overCapMessage()), null);
  }

  /** The port actually bound (useful when 0 was asked). */
  public int actualPort() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    String requestId = requestId();
    WireFormat format = WireFormat.ofContentType(request.getHeader("Content-Type"));
    String target = request.getHeader("X-Amz-Target");
    String action = target != null && target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length())
        : null;
    Operation<?, ?> op;
    try {
      if (request.method() != HttpMethod.POST) {
        throw new KinesisException.AccessDenied("Unable to determine service/operation name to be authorized");
      }
      if (format == null) {
        throw new KinesisException.UnknownOperation("Unsupported Content-Type '" + request.getHeader("Content-Type")
            + "': use application/x-amz-json-1.1 or application/x-amz-cbor-1.1.");
      }
      op = action == null ? null : operations.find(action);
      if (op == null && "SubscribeToShard".equals(action) && subscribeToShard != null) {
        subscribe(request, requestId);
        return;
      }
      if (op == null) {
        throw new KinesisException.UnknownOperation(action != null && Operations.NOT_YET_SERVED.contains(action)
            ? action + " is not served by this version of Millrace yet." : null);
      }
      String length = request.getHeader("Content-Length");
      if (length != null && parseLength(length) > settings.maxRequestBytes()) {
        throw tooLarge(parseLength(length));
      }
    } catch (KinesisException e) {
      drainAndClose(request);
      fail(request, format, requestId, e, action);
      return;
    }
    Operation<?, ?> operation = op;
    WireFormat wire = format;
    RequestScope scope;
    try {
      scope = authentication.scope(request.getHeader("Authorization"),
          request.getHeader("X-Amz-Date") != null ? request.getHeader("X-Amz-Date") : request.getHeader("Date"),
          request.getParam("X-Amz-Credential"), request.getParam("X-Amz-Algorithm"));
    } catch (KinesisException e) {
      drainAndClose(request);
      fail(request, format, requestId, e, action);
      return;
    }
    collectBody(request, wire, requestId, action).onSuccess(body -> {
      if (body != null) {
        run(operation, scope, body, request, wire, requestId);
      }
    });
  }

  /** SubscribeToShard: JSON in whatever the Content-Type says; refusals as plain JSON AWS errors. */
  private void subscribe(HttpServerRequest request, String requestId) {
    collectBody(request, WireFormat.JSON, requestId, "SubscribeToShard").onSuccess(body -> {
      if (body != null) {
        subscribeToShard.handle(request, body, requestId)
            .onFailure(e -> fail(request, WireFormat.JSON, requestId, e, "SubscribeToShard"));
      }
    });
  }

  /**
   * A version-4-shaped UUID from a non-blocking generator: request ids need to be unique, not unguessable, and
   * {@code UUID.randomUUID()} takes a lock on the shared SecureRandom for every request.
   */
  private static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(high, low).toString();
  }

  private static long parseLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private KinesisException tooLarge(long bytes) {
    return new KinesisException.RequestTooLarge("Request body of " + (bytes < 0 ? "more than " + settings.maxRequestBytes()
        : bytes) + " bytes exceeds the limit of " + settings.maxRequestBytes() + " bytes (setting settings.maxRequestBytes()).");
  }

  /** Buffers the body, refusing (and answering 413) as soon as it grows past the limit. Null when refused. */
  private Future<Buffer> collectBody(HttpServerRequest request, WireFormat format, String requestId, String action) {
    return Future.future(promise -> {
      Buffer body = Buffer.buffer();
      boolean[] refused = {false};
      request.handler(chunk -> {
        if (refused[0]) {
          return;
        }
        if (body.length() + (long) chunk.length() > settings.maxRequestBytes()) {
          refused[0] = true;
          drainAndClose(request);
          fail(request, format, requestId, tooLarge(-1), action);
          promise.tryComplete(null);
          return;
        }
        body.appendBuffer(chunk);
      });
      request.endHandler(v -> promise.tryComplete(refused[0] ? null : body));
      request.exceptionHandler(e -> promise.tryComplete(null));
      request.resume();
    });
  }

  /**
   * Before an early answer (call it first: an ended response takes no end handler), stop reading: HTTP/1.1 announces
   * {@code Connection: close} and closes the connection once the answer is written, so that no client reuses it with
   * an unread body in the way; over HTTP/2 the rest of the stream's body is read and dropped (never buffered), so
   * flow control does not stall the client and the connection's other streams go on.
   */
  private static void drainAndClose(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    if (request.isEnded() || response.ended() || response.closed()) {
      return;
    }
    if (request.version() == HttpVersion.HTTP_2) {
      request.handler(chunk -> { });
      request.resume();
    } else {
      response.putHeader("Connection", "close").endHandler(v -> request.connection().close());
    }
  }

  @SuppressWarnings("unchecked")
  private <Q extends Validated, R> void run(Operation<Q, R> op, RequestScope scope, Buffer body,
                                            HttpServerRequest request, WireFormat format, String requestId) {
    Future<R> result;
    try {
      if (body.length() == 0) {
        throw new KinesisException.Serialization("The request body is empty; every Kinesis action takes a "
            + "JSON or CBOR object, at least {}.");
      }
      Q parsed;
      ObjectMapper mapper = Mappers.of(format);
      try (InputStream in = new ByteBufInputStream(((BufferInternal) body).getByteBuf())) {
        parsed = mapper.readValue(in, op.requestType());
      }
      if (parsed == null) {
        throw new KinesisException.Serialization("The request body must be an object, not null.");
      }
      Validator validator = new Validator();
      parsed.validate(validator);
      validator.throwIfInvalid();
      result = op.handle(parsed, scope);
    } catch (IOException | RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(response -> respond(request, format, requestId, response), failure -> fail(request, format,
        requestId, failure, op.name()));
  }

  private static <R> void respond(HttpServerRequest request, WireFormat format, String requestId, R response) {
    Buffer out;
    try {
      out = Buffer.buffer(Mappers.of(format).writeValueAsBytes(response));
    } catch (IOException e) {
      fail(request, format, requestId, e, "encode");
      return;
    }
    HttpServerResponse r = request.response();
    if (r.closed() || r.ended()) {
      return;
    }
    headers(r, format, requestId).setStatusCode(200).end(out);
  }

  private static void fail(HttpServerRequest request, WireFormat format, String requestId, Throwable failure,
                           String operation) {
    WireError error = ErrorMapper.map(failure, operation == null ? "an unknown action" : operation);
    WireFormat wire = format == null ? WireFormat.JSON : format;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("__type", error.code().wireType());
    if (error.message() != null) {
      body.put(error.code().messageKey(), error.message());
    }
    HttpServerResponse r = request.response();
    if (r.closed() || r.ended()) {
      return;
    }
    Buffer out;
    try {
      out = Buffer.buffer(Mappers.of(wire).writeValueAsBytes(body));
    } catch (IOException e) {
      out = Buffer.buffer("{\"__type\":\"" + ErrorCode.INTERNAL_FAILURE.wireType() + "\"}");
    }
    headers(r, wire, requestId).putHeader("x-amzn-ErrorType", error.code().wireType())
        .setStatusCode(error.code().httpStatus()).end(out);
  }

  private static HttpServerResponse headers(HttpServerResponse r, WireFormat format, String requestId) {
    byte[] id2 = new byte[72];
    ThreadLocalRandom.current().nextBytes(id2);
    return r.putHeader("Content-Type", format.contentType()).putHeader("x-amzn-RequestId", requestId)
        .putHeader("x-amz-id-2", Base64.getEncoder().encodeToString(id2));
  }
}
