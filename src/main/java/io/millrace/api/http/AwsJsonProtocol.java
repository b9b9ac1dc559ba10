package io.millrace.api.http;

import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.ShapeReader;
import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.error.ErrorMapper.WireError;
import io.millrace.api.model.Requests.SubscribeToShardRequest;
import io.millrace.api.op.Operation;
import io.millrace.api.op.Operations;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request pipeline of AWS's JSON 1.1 services (Kinesis, Firehose: each a {@link Service}, chosen by the
 * {@code X-Amz-Target} prefix), in the order Kinesis checks a request, each failure answered as Kinesis answers it
 * (see {@code docs/protocol-notes.md} and the conformance table):
 * <ol>
 *   <li>a browser's preflight ({@code OPTIONS} with {@code Origin}) is allowed; any other method than POST is a 403
 *       XML AccessDeniedException;</li>
 *   <li>the body's size (413 past {@code maxRequestBytes}, before it is buffered);</li>
 *   <li>an empty body: SerializationException if the target names an action, else UnknownOperationException;</li>
 *   <li>the Content-Type: {@code application/x-amz-json-1.1} and {@code application/x-amz-cbor-1.1} are read; plain
 *       {@code application/json} is answered in Kinesis's envelope (404, or 400 if the body is not JSON) and never
 *       run; anything else is a 403 XML AccessDeniedException when the target has no action, else a 404 XML
 *       UnknownOperationException;</li>
 *   <li>the body must be an object (SerializationException, no message);</li>
 *   <li>the target must name an action (UnknownOperationException);</li>
 *   <li>SigV4-shaped authentication ({@link Authentication});</li>
 *   <li>each member's type ({@link ShapeReader}: the first mismatch, in Kinesis's words);</li>
 *   <li>every constraint violation of the shape, up to 10 ({@link Validator});</li>
 *   <li>the action's own checks (exists, state, limits), in the core.</li>
 * </ol>
 * Errors before the format is known are answered in JSON when the request said {@code application/x-amz-json-1.1},
 * else in CBOR, as Kinesis does. Every answer goes out through {@link Answers}; every error through
 * {@link ErrorMapper}.
 *
 * <p>Threading: one per API verticle, on its event loop; operations return futures and never block.
 */
final class AwsJsonProtocol {

  private static final String ACCESS_DENIED = "Unable to determine service/operation name to be authorized";

  private final Map<String, Service> services = new HashMap<>();
  /** The server-wide budget of request body bytes being received. */
  private final ConnectionGuard budget;
  private final AccessLog access;
  private final Authentication authentication;
  private final long maxRequestBytes;
  private final SubscribeToShardHandler subscribeToShard;

  /** @param subscribeToShard serves Kinesis's SubscribeToShard, or null when the action is not served */
  AwsJsonProtocol(List<Service> services, Authentication authentication, long maxRequestBytes,
                  SubscribeToShardHandler subscribeToShard, ConnectionGuard budget, AccessLog access) {
    this.budget = budget;
    this.access = access;
    services.forEach(s -> this.services.put(s.targetPrefix(), s));
    this.authentication = authentication;
    this.maxRequestBytes = maxRequestBytes;
    this.subscribeToShard = subscribeToShard;
  }

  /** What the Content-Type says the body is. */
  private enum BodyType {
    JSON, CBOR, PLAIN_JSON, OTHER;

    static BodyType of(String header) {
      if (header == null) {
        return OTHER;
      }
      int semi = header.indexOf(';');
      String type = (semi >= 0 ? header.substring(0, semi) : header).trim().toLowerCase(Locale.ROOT);
      return switch (type) {
        case "application/x-amz-json-1.1" -> JSON;
        case "application/x-amz-cbor-1.1" -> CBOR;
        case "application/json" -> PLAIN_JSON;
        default -> OTHER;
      };
    }

    /** The format of answers given before the body is read. */
    WireFormat answerFormat() {
      return this == JSON ? WireFormat.JSON : WireFormat.CBOR;
    }
  }

  /** The X-Amz-Target header: {@code <service>.<action>}, either part possibly missing. */
  private record Target(String service, String action) {
    static Target of(String header) {
      if (header == null) {
        return new Target(null, null);
      }
      int dot = header.indexOf('.');
      return dot < 0 ? new Target(header, null) : new Target(header.substring(0, dot), header.substring(dot + 1));
    }

    boolean complete() {
      return service != null && !service.isEmpty() && action != null && !action.isEmpty();
    }

    /** The action if the prefix names a service this server has, else null. */
    String actionOf(Map<String, Service> services) {
      return service != null && services.containsKey(service) && action != null && !action.isEmpty() ? action
          : null;
    }

    boolean subscribeToShard() {
      return Operations.TARGET_PREFIX.equals(service) && "SubscribeToShard".equals(action);
    }
  }

  /** Serves one request that is not one of the server's own pages. */
  void handle(HttpServerRequest request) {
    String requestId = Answers.requestId();
    Answers.allowCrossOrigin(request);
    if (request.method() == HttpMethod.OPTIONS && request.getHeader("Origin") != null) {
      drainAndClose(request);
      Answers.preflight(request, requestId);
      return;
    }
    if (request.method() != HttpMethod.POST) {
      drainAndClose(request);
      Answers.xml(request, 403, requestId, new WireError(ErrorCode.ACCESS_DENIED, ACCESS_DENIED));
      return;
    }
    BodyType type = BodyType.of(request.getHeader("Content-Type"));
    Target target = Target.of(request.getHeader("X-Amz-Target"));
    String length = request.getHeader("Content-Length");
    long declared = length == null ? -1 : parseLength(length);
    if (declared > maxRequestBytes) {
      drainAndClose(request);
      error(request, type.answerFormat(), requestId, tooLarge(declared), target.action());
      return;
    }
    collectBody(request, declared, type.answerFormat(), requestId, target.action()).onSuccess(body -> {
      if (body != null) {
        route(request, requestId, type, target, body);
      }
    });
  }

  private void route(HttpServerRequest request, String requestId, BodyType type, Target target, byte[] body) {
    String action = target.actionOf(services);
    Service service = action == null ? null : services.get(target.service());
    boolean subscribe = target.subscribeToShard() && subscribeToShard != null;
    boolean known = service != null && (service.find(action) != null || subscribe);
    if (body.length == 0) {
      error(request, type.answerFormat(), requestId, known ? new KinesisException.Serialization(null)
          : new KinesisException.UnknownOperation(null), action);
      return;
    }
    switch (type) {
      case OTHER -> {
        if (target.complete()) {
          Answers.xml(request, 404, requestId, new WireError(ErrorCode.UNKNOWN_OPERATION, null));
        } else {
          Answers.xml(request, 403, requestId, new WireError(ErrorCode.ACCESS_DENIED, ACCESS_DENIED));
        }
        return;
      }
      case PLAIN_JSON -> {
        boolean json = isJson(body);
        Answers.envelope(request, json ? 404 : 400, requestId, json ? ErrorCode.UNKNOWN_OPERATION
            : ErrorCode.SERIALIZATION);
        return;
      }
      default -> run(request, requestId, type == BodyType.CBOR ? WireFormat.CBOR : WireFormat.JSON, service,
          action, subscribe, body);
    }
  }

  private void run(HttpServerRequest request, String requestId, WireFormat format, Service service, String action,
                   boolean subscribe, byte[] body) {
    Operation<?, ?> op;
    RequestScope scope;
    try {
      op = service == null ? null : service.find(action);
      if (op == null && !subscribe) {
        ShapeReader.checkWellFormed(body, format); // a malformed body is named first
        throw new KinesisException.UnknownOperation(service == null ? null : service.notServed(action));
      }
      scope = authenticate(request, body, format, service);
    } catch (RuntimeException e) {
      error(request, format, requestId, e, action);
      return;
    }
    if (op == null) {
      subscribe(request, requestId, format, body, service, scope);
      return;
    }
    runOperation(service, op, scope, body, request, format, requestId);
  }

  /** The caller's scope; a malformed body is named before an authentication failure, as Kinesis does. */
  private RequestScope authenticate(HttpServerRequest request, byte[] body, WireFormat format, Service service) {
    try {
      return authentication.scope(Authentication.material(request, body),
          service == null ? null : service.signingName());
    } catch (RuntimeException e) {
      ShapeReader.checkWellFormed(body, format);
      throw e;
    }
  }

  private <Q extends Validated, R> void runOperation(Service service, Operation<Q, R> op, RequestScope scope,
                                                     byte[] body, HttpServerRequest request, WireFormat format,
                                                     String requestId) {
    Future<R> result;
    try {
      Q parsed = ShapeReader.read(body, format, op.requestType());
      access.stream(request, streamOf(parsed));
      result = service.call(op, parsed, scope);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(response -> respond(request, format, requestId, response, op.name()),
        failure -> error(request, format, requestId, failure, op.name()));
  }

  /** The stream (or delivery stream) a request names, for the access log; null if none. */
  private static String streamOf(Object request) {
    if (request instanceof io.millrace.api.model.Requests.StreamScoped s) {
      return s.streamName() != null ? s.streamName() : s.streamARN();
    }
    if (request instanceof io.millrace.api.firehose.FirehoseRequests.DeliveryStreamScoped d) {
      return d.deliveryStreamName();
    }
    return null;
  }

  /** SubscribeToShard: checked like any request, then answered with an event stream (or a plain AWS error). */
  private void subscribe(HttpServerRequest request, String requestId, WireFormat format, byte[] body,
                         Service service, RequestScope scope) {
    try {
      SubscribeToShardRequest parsed = ShapeReader.read(body, format, SubscribeToShardRequest.class);
      validate(parsed, new Validator());
      service.authorize("SubscribeToShard", parsed, scope);
      subscribeToShard.handle(request, parsed, requestId)
          .onFailure(e -> error(request, format, requestId, e, "SubscribeToShard"));
    } catch (RuntimeException e) {
      error(request, format, requestId, e, "SubscribeToShard");
    }
  }

  private static void validate(Validated request, Validator validator) {
    request.validate(validator);
    validator.throwIfInvalid();
  }

  private static <R> void respond(HttpServerRequest request, WireFormat format, String requestId, R response,
                                  String operation) {
    PooledOutput out = new PooledOutput(PooledByteBufAllocator.DEFAULT);
    try {
      Mappers.of(format).writeValue(out, response);
    } catch (IOException | RuntimeException e) {
      out.discard();
      error(request, format, requestId, e, operation);
      return;
    }
    Answers.ok(request, format, requestId, out.finish());
  }

  private static void error(HttpServerRequest request, WireFormat format, String requestId, Throwable failure,
                            String operation) {
    Answers.error(request, format, requestId, ErrorMapper.map(failure,
        operation == null ? "an unknown action" : operation, requestId));
  }

  private static boolean isJson(byte[] body) {
    try {
      Mappers.json().readTree(body);
      return true;
    } catch (IOException e) {
      return false;
    }
  }


  private static long parseLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private KinesisException tooLarge(long bytes) {
    return new KinesisException.RequestTooLarge("Request body of " + (bytes < 0 ? "more than " + maxRequestBytes
        : bytes) + " bytes exceeds the limit of " + maxRequestBytes + " bytes (setting maxRequestBytes).");
  }

  /**
   * Buffers the body into one array (sized by its Content-Length when given, so that it is copied once, from the
   * connection's chunks), refusing (and answering 413) as soon as it grows past the limit. Null when refused.
   */
  /** The most a request body's buffer starts with, whatever length it declares; it grows as bytes arrive. */
  private static final int INITIAL_BODY_BYTES = 64 * 1024;

  private Future<byte[]> collectBody(HttpServerRequest request, long declaredLength, WireFormat answerFormat,
                                     String requestId, String action) {
    return Future.future(promise -> {
      // Sized by the declared length only up to a bound: a declaration is a claim, and buffers sized by claims
      // alone would let clients that send little make the server allocate much.
      Body body = new Body(declaredLength > 0 ? (int) Math.min(declaredLength, INITIAL_BODY_BYTES) : 1024);
      boolean[] refused = {false};
      long[] taken = {0};
      request.handler(chunk -> {
        if (refused[0]) {
          return;
        }
        if (body.length + (long) chunk.length() > maxRequestBytes) {
          refused[0] = true;
          drainAndClose(request);
          error(request, answerFormat, requestId, tooLarge(-1), action);
          promise.tryComplete(null);
          return;
        }
        if (!budget.receive(chunk.length())) {
          refused[0] = true;
          drainAndClose(request);
          Answers.error(request, answerFormat, requestId, new WireError(ErrorCode.SERVICE_UNAVAILABLE,
              budget.overBudgetMessage()));
          promise.tryComplete(null);
          return;
        }
        taken[0] += chunk.length();
        body.append(chunk);
      });
      request.endHandler(v -> promise.tryComplete(refused[0] ? null : body.bytes()));
      request.exceptionHandler(e -> promise.tryComplete(null));
      promise.future().onComplete(done -> budget.received(taken[0]));
      request.resume();
    });
  }

  /** A request body as it arrives: one array, grown (doubling) only past the length the request declared. */
  private static final class Body {
    private byte[] bytes;
    private int length;

    Body(int capacity) {
      bytes = new byte[capacity];
    }

    void append(Buffer chunk) {
      int n = chunk.length();
      if (length + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(length + n, 2 * bytes.length));
      }
      chunk.getBytes(0, n, bytes, length);
      length += n;
    }

    byte[] bytes() {
      return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
    }
  }

  /**
   * Before an early answer (call it first: an ended response takes no end handler), stop reading: HTTP/1.1 announces
   * {@code Connection: close} and closes the connection once the answer is written, so that no client reuses it with
   * an unread body in the way; over HTTP/2 the rest of the stream's body is read and dropped (never buffered), so
   * flow control does not stall the client and the connection's other streams go on.
   */
  static void drainAndClose(HttpServerRequest request) {
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
}
