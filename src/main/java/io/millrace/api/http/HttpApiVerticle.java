package io.millrace.api.http;

import io.millrace.api.auth.Credentials;
import io.millrace.api.auth.SigV4;
import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.grpc.GrpcApi;
import io.millrace.metrics.Health;
import io.millrace.api.grpc.GrpcSubscriptions;
import io.millrace.api.op.Operations;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.error.ErrorCode;
import io.millrace.fanout.Subscription;
import io.millrace.fanout.SubscriptionLeases;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.DataPlane;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Serves the Kinesis API ({@code POST /} with {@code X-Amz-Target: Kinesis_20131202.<Action>}) in JSON and CBOR,
 * plus {@code GET /health} and {@code GET /metrics} (Prometheus text), over HTTP/1.1 and HTTP/2 cleartext on one
 * port. One instance runs per event loop; they share the listening port.
 *
 * <p>Every request but the server's own pages goes through {@link AwsJsonProtocol}, which finds its service (Kinesis,
 * Firehose) by X-Amz-Target and checks it in Kinesis's order and answers each failure as Kinesis does; every error goes
 * out through {@link ErrorMapper}: the client's
 * mistakes get their AWS error, never a 500. The {@link ConnectionGuard} may refuse a connection first.
 *
 * <p>Threading: everything runs on this verticle's event loop; operations return futures and never block.
 */
public final class HttpApiVerticle extends VerticleBase {

  /**
   * The most bytes of request line and headers an HTTP/1.1 request, or of headers an HTTP/2 stream, may have (431
   * beyond, or the stream refused): an AWS request needs about a kilobyte.
   */
  static final int MAX_HEADER_BYTES = 8192;
  /** The most HTTP/2 streams (requests, subscriptions, gRPC calls) one connection may have open at once. */
  static final int MAX_STREAMS_PER_CONNECTION = 100;

  /** The server's own pages, served on GET beside the API. */
  private static final java.util.Set<String> PAGES = java.util.Set.of("/health", "/health/live", "/health/ready",
      "/metrics");
  private static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final List<Service> services;
  private final Authentication authentication;
  private final Settings settings;
  private final Supplier<String> metrics;
  private final Fanout fanout;
  private final ConnectionGuard guard;
  private SubscribeToShardHandler subscribeToShard;
  private AwsJsonProtocol protocol;
  private GrpcApi grpc;
  private final List<HttpServer> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Health health;
  private AccessLog access;

  /**
   * Where to listen and what a request may be: the addresses (the plain port, unless it is off, and the private domain
   * socket the TLS port forwards to, when it is on), the largest body, and the account and region used when a
   * request's credential scope does not give them.
   */
  public record Settings(List<SocketAddress> addresses, long maxRequestBytes, String defaultAccount,
                         String defaultRegion, org.slf4j.event.Level accessLog, boolean console) {}

  /** What SubscribeToShard needs: the control plane and data plane, the shared leases, timing and statistics. */
  public record Fanout(ControlPlane controlPlane, DataPlane data, SubscriptionLeases leases,
                       Subscription.Timing timing, SubscriptionStats stats) {}

  /**
   * @param metrics     the {@code GET /metrics} body in the Prometheus text format (quick, thread-safe: it is called
   *                    on the event loop)
   * @param health      whether the server is ready ({@code /health/ready}; the API answers 503 until it has started)
   * @param fanout      what SubscribeToShard needs (null: the action is not served)
   * @param guard       the server's connection limits, shared by its API verticles
   * @param credentials the key pairs whose signatures are verified, or null to check only the shape of SigV4
   * @param clock       the time signatures are checked against (with credentials)
   */
  public HttpApiVerticle(List<Service> services, Settings settings, Supplier<String> metrics, Health health,
                         Fanout fanout, ConnectionGuard guard, Credentials credentials, Clock clock) {
    this.health = health;
    this.services = List.copyOf(services);
    this.settings = settings;
    this.metrics = metrics;
    this.fanout = fanout;
    this.guard = guard;
    this.authentication = new Authentication(settings.defaultAccount(), settings.defaultRegion(), credentials,
        credentials == null ? null : new SigV4(clock));
  }

  @Override
  public Future<?> start() {
    SubscribeToShardHandler subscriptions = fanout == null ? null : new SubscribeToShardHandler(vertx, fanout);
    subscribeToShard = subscriptions;
    access = new AccessLog(settings.accessLog());
    protocol = new AwsJsonProtocol(services, authentication, settings.maxRequestBytes(), subscriptions, guard,
        access);
    Service kinesis = services.stream().filter(s -> s.targetPrefix().equals(Operations.TARGET_PREFIX)).findFirst()
        .orElse(null);
    if (kinesis != null) {
      RequestScope defaults = new RequestScope(settings.defaultAccount(), settings.defaultRegion());
      // With a credentials file, a call is signed as any request is, its message's SHA-256 in a signed
      // X-Amz-Content-SHA256 (checked when the message arrives); without one, every call acts as the default account.
      grpc = new GrpcApi(vertx, kinesis, !authentication.verifies() ? request -> defaults
          : request -> authentication.scope(Authentication.material(request, null), kinesis.signingName()),
          authentication.verifies(), settings.maxRequestBytes(), fanout == null ? null
              : new GrpcSubscriptions(vertx, fanout.data(),
              fanout.controlPlane().streams(), fanout.timing(), fanout.stats()));
    }
    Router pages = Router.router(vertx);
    // /health: up once started (as before readiness existed); /health/live: the process answers; /health/ready:
    // started, and no shard fenced, or 503 with the reasons.
    pages.get("/health").handler(ctx -> ctx.response().setStatusCode(health.isStarted() ? 200 : 503)
        .putHeader("Content-Type", "application/json")
        .end(health.isStarted() ? "{\"status\":\"UP\"}" : "{\"status\":\"STARTING\"}"));
    pages.get("/health/live").handler(ctx -> ctx.response().setStatusCode(health.isLive() ? 200 : 503)
        .putHeader("Content-Type", "application/json")
        .end(health.isLive() ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\",\"reason\":\"a shard is fenced; a "
            + "restart clears it (see /health/ready)\"}"));
    pages.get("/health/ready").handler(ctx -> {
      List<String> reasons = health.notReadyReasons();
      ctx.response().setStatusCode(reasons.isEmpty() ? 200 : 503).putHeader("Content-Type", "application/json")
          .end(reasons.isEmpty() ? "{\"status\":\"READY\"}" : new io.vertx.core.json.JsonObject()
              .put("status", "NOT_READY").put("reasons", new io.vertx.core.json.JsonArray(reasons)).encode());
    });
    if (settings.console() && !authentication.verifies()) {
      // Read-only pages over the API; not when signatures are verified (the page holds no key to sign with).
      pages.get("/console").handler(ctx -> { // the route matches /console/ too
        if (ctx.request().path().equals("/console")) {
          ctx.redirect("/console/");
        } else {
          ctx.next();
        }
      });
      pages.get("/console/*").handler(StaticHandler.create("console").setCachingEnabled(false));
    }
    pages.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", METRICS_CONTENT_TYPE)
        .end(metrics.get()));
    HttpServerOptions options = guard.apply(new HttpServerOptions().setHttp2ClearTextEnabled(true)
        .setCompressionSupported(false).setDecompressionSupported(true)
        .setMaxHeaderSize(MAX_HEADER_BYTES).setMaxInitialLineLength(MAX_HEADER_BYTES / 2)
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(MAX_STREAMS_PER_CONNECTION)
            .setMaxHeaderListSize(MAX_HEADER_BYTES)));
    List<Future<HttpServer>> listening = new ArrayList<>();
    for (SocketAddress address : settings.addresses()) {
      listening.add(serve(options, pages).listen(address).onSuccess(servers::add));
    }
    return Future.all(listening);
  }

  /** A server of the API (every POST goes straight to the protocol) and the server's own pages. */
  private HttpServer serve(HttpServerOptions options, Router pages) {
    return vertx.createHttpServer(options)
        .connectionHandler(guard::onConnection)
        .requestHandler(request -> {
          if (guard.refused(request, () -> refuseOverCap(request))) {
            return;
          }
          // A ProduceStream call's request is a stream by design; with signatures verified it is refused anyway,
          // so it is exempt only when it can be served.
          if (request.version() == HttpVersion.HTTP_2 && (!GrpcApi.streamsRequest(request)
              || authentication.verifies())) {
            guard.bodyDeadline(vertx, request);
          }
          if (request.method() == HttpMethod.GET && (PAGES.contains(request.path()) || isConsole(request))) {
            pages.handle(request);
            return;
          }
          access.begin(request, operation(request));
          if (!health.isStarted()) {
            refuseWhileStarting(request);
          } else if (grpc != null && GrpcApi.accepts(request)) {
            grpc.handle(request);
          } else {
            protocol.handle(request);
          }
        });
  }

  @Override
  public Future<?> stop() {
    // Let requests in flight finish, then close; subscriptions (long-lived) end cleanly at once.
    if (subscribeToShard != null) {
      subscribeToShard.finishAll();
    }
    if (grpc != null) {
      grpc.finishAll();
    }
    List<Future<Void>> stopped = new ArrayList<>();
    servers.forEach(s -> stopped.add(s.shutdown(10, TimeUnit.SECONDS)));
    return Future.join(stopped);
  }

  private static boolean isConsole(HttpServerRequest request) {
    return request.path().equals("/console") || request.path().startsWith("/console/");
  }

  /** What a request asks for, for the access log: its X-Amz-Target's action, or its gRPC method, or its path. */
  private static String operation(HttpServerRequest request) {
    String target = request.getHeader("X-Amz-Target");
    if (target != null) {
      return target.substring(target.indexOf('.') + 1);
    }
    String path = request.path();
    return GrpcApi.accepts(request) ? path.substring(path.lastIndexOf('/') + 1) : request.method() + " " + path;
  }

  /** Answers an API request that came before the server finished starting: 503 ServiceUnavailable (retried). */
  private void refuseWhileStarting(HttpServerRequest request) {
    String contentType = request.getHeader("Content-Type");
    if (GrpcApi.accepts(request)) {
      request.response().putHeader("Content-Type", "application/grpc").putHeader("grpc-status", "14")
          .putHeader("grpc-message", "Millrace%20is%20starting%3B%20retry%20shortly.").end();
      return;
    }
    WireFormat format = contentType != null && contentType.contains("cbor") ? WireFormat.CBOR : WireFormat.JSON;
    Answers.error(request, format, Answers.requestId(), new ErrorMapper.WireError(ErrorCode.SERVICE_UNAVAILABLE,
        "Millrace is starting (recovering its shard logs and metadata); retry shortly."));
  }

  /** Answers a request whose connection is beyond the cap: 503 ServiceUnavailable, then the connection closes. */
  private void refuseOverCap(HttpServerRequest request) {
    String contentType = request.getHeader("Content-Type");
    WireFormat format = contentType != null && contentType.contains("cbor") ? WireFormat.CBOR : WireFormat.JSON;
    AwsJsonProtocol.drainAndClose(request);
    if (request.version() == HttpVersion.HTTP_2) {
      request.response().endHandler(v -> request.connection().close());
    }
    Answers.error(request, format, Answers.requestId(), new ErrorMapper.WireError(ErrorCode.SERVICE_UNAVAILABLE,
        guard.overCapMessage()));
  }


}
