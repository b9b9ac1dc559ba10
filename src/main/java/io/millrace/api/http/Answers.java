package io.millrace.api.http;

import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.api.error.ErrorMapper.WireError;
import io.millrace.error.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How Kinesis answers on the wire: the headers every answer carries ({@code x-amzn-RequestId}, {@code x-amz-id-2}),
 * bodies in the request's format, errors in their four forms (JSON or CBOR, XML, the envelope for plain
 * {@code application/json}), and CORS for browsers. The bodies of errors come from {@link ErrorMapper}.
 *
 * <p>Stateless; called on the request's event loop. An answer to a request already answered or gone is dropped.
 */
final class Answers {

  static final String CORS_EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,"
      + "x-amzn-ErrorMessage,Date";
  /** How long a browser may keep a preflight answer, in seconds (two days, as Kinesis says). */
  static final String CORS_MAX_AGE = "172800";

  private Answers() {}

  /**
   * A version-4-shaped UUID from a non-blocking generator: request ids need to be unique, not unguessable, and
   * {@code UUID.randomUUID()} takes a lock on the shared SecureRandom for every request.
   */
  static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(high, low).toString();
  }

  /**
   * 200 with {@code body} in {@code format}. Takes {@code body} over: it is released once written (or at once, if the
   * answer cannot be sent); Vert.x writes it through an unreleasable view, so this is the one release.
   */
  static void ok(HttpServerRequest request, WireFormat format, String requestId, ByteBuf body) {
    HttpServerResponse r = open(request);
    if (r == null) {
      body.release();
      return;
    }
    Future<Void> written;
    try {
      written = identified(r, requestId).putHeader("Content-Type", format.contentType()).setStatusCode(200)
          .end(BufferInternal.buffer(body));
    } catch (RuntimeException e) {
      body.release();
      throw e;
    }
    written.onComplete(ar -> body.release());
  }

  /** An AWS error in {@code format}: its status, {@code x-amzn-ErrorType} and {@code {"__type", "message"}}. */
  static void error(HttpServerRequest request, WireFormat format, String requestId, WireError error) {
    HttpServerResponse r = open(request);
    if (r != null) {
      identified(r, requestId).putHeader("Content-Type", format.contentType())
          .putHeader("x-amzn-ErrorType", error.code().wireType()).setStatusCode(error.code().httpStatus())
          .end(Buffer.buffer(ErrorMapper.body(error, format)));
    }
  }

  /** An error as Kinesis answers it in XML, with {@code status} and no Content-Type. */
  static void xml(HttpServerRequest request, int status, String requestId, WireError error) {
    HttpServerResponse r = open(request);
    if (r != null) {
      identified(r, requestId).putHeader("x-amzn-ErrorType", error.code().wireType()).setStatusCode(status)
          .end(Buffer.buffer(ErrorMapper.xml(error)));
    }
  }

  /** The answer to plain {@code application/json}: {@code status} and Kinesis's envelope for {@code code}. */
  static void envelope(HttpServerRequest request, int status, String requestId, ErrorCode code) {
    HttpServerResponse r = open(request);
    if (r != null) {
      identified(r, requestId).putHeader("Content-Type", "application/json").setStatusCode(status)
          .end(Buffer.buffer(ErrorMapper.coralEnvelope(code)));
    }
  }

  /** A request from a browser page ({@code Origin}): any origin may read the answer and these headers. */
  static void allowCrossOrigin(HttpServerRequest request) {
    if (request.getHeader("Origin") != null) {
      request.response().putHeader("Access-Control-Allow-Origin", "*")
          .putHeader("Access-Control-Expose-Headers", CORS_EXPOSED);
    }
  }

  /** A browser's preflight ({@code OPTIONS} with {@code Origin}): allowed, with what it asked for echoed back. */
  static void preflight(HttpServerRequest request, String requestId) {
    HttpServerResponse r = open(request);
    if (r == null) {
      return;
    }
    r.putHeader("x-amzn-RequestId", requestId).putHeader("Access-Control-Allow-Origin", "*")
        .putHeader("Access-Control-Max-Age", CORS_MAX_AGE);
    String headers = request.getHeader("Access-Control-Request-Headers");
    if (headers != null) {
      r.putHeader("Access-Control-Allow-Headers", headers);
    }
    String method = request.getHeader("Access-Control-Request-Method");
    if (method != null) {
      r.putHeader("Access-Control-Allow-Methods", method);
    }
    r.setStatusCode(200).end();
  }

  private static HttpServerResponse identified(HttpServerResponse r, String requestId) {
    byte[] id2 = new byte[72];
    ThreadLocalRandom.current().nextBytes(id2);
    return r.putHeader("x-amzn-RequestId", requestId).putHeader("x-amz-id-2", Base64.getEncoder().encodeToString(id2));
  }

  private static HttpServerResponse open(HttpServerRequest request) {
    HttpServerResponse r = request.response();
    return r.closed() || r.ended() ? null : r;
  }
}
