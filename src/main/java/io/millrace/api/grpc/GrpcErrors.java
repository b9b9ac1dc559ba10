package io.millrace.api.grpc;

import io.millrace.api.error.ErrorMapper;
import io.millrace.error.ErrorCode;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerResponse;

/**
 * The gRPC face of the one error exit: a failure becomes its AWS error through {@link ErrorMapper} (so unexpected
 * ones are logged once and answered InternalFailure), then a gRPC status whose message is the AWS message
 * ({@code grpc-message}, percent-encoded as gRPC requires, since it may repeat what the client sent), with the AWS
 * error name in the metadata {@value #TYPE}.
 */
final class GrpcErrors {

  /** The metadata naming the AWS error, e.g. {@code ResourceNotFoundException} (a trailer, or a header of a
   * trailers-only answer). */
  static final String TYPE = "aws-error-type";

  private GrpcErrors() {}

  /** The gRPC status that carries an AWS error. */
  static GrpcStatus status(ErrorCode code) {
    return switch (code) {
      case RESOURCE_NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case INVALID_ARGUMENT, VALIDATION, SERIALIZATION, INVALID_APPLICATION_CONFIGURATION ->
          GrpcStatus.INVALID_ARGUMENT;
      case RESOURCE_IN_USE, EXPIRED_ITERATOR, EXPIRED_NEXT_TOKEN -> GrpcStatus.FAILED_PRECONDITION;
      case LIMIT_EXCEEDED, PROVISIONED_THROUGHPUT_EXCEEDED, REQUEST_ENTITY_TOO_LARGE -> GrpcStatus.RESOURCE_EXHAUSTED;
      case ACCESS_DENIED, KMS_ACCESS_DENIED -> GrpcStatus.PERMISSION_DENIED;
      case MISSING_AUTHENTICATION_TOKEN, INCOMPLETE_SIGNATURE, INVALID_SIGNATURE, UNRECOGNIZED_CLIENT, EXPIRED_TOKEN ->
          GrpcStatus.UNAUTHENTICATED;
      case CONCURRENT_MODIFICATION -> GrpcStatus.ABORTED;
      case UNKNOWN_OPERATION -> GrpcStatus.UNIMPLEMENTED;
      case SERVICE_UNAVAILABLE, FIREHOSE_SERVICE_UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      case INTERNAL_FAILURE -> GrpcStatus.INTERNAL;
      default -> GrpcStatus.UNKNOWN;
    };
  }

  /** Ends the call with {@code failure}, unless it has ended already (the client went away, say). */
  static void fail(GrpcServerResponse<?, ?> response, Throwable failure, String rpc, String requestId) {
    ErrorMapper.WireError error = ErrorMapper.map(failure, rpc, requestId);
    String message = error.message() == null ? error.code().wireType() : error.message();
    try {
      response.trailers().set(TYPE, error.code().wireType());
      response.status(status(error.code())).statusMessage(message).end();
    } catch (IllegalStateException ended) {
      // the call has ended already (the client cancelled it, or the connection is gone): nothing to tell
    }
  }

  /** Ends the call with {@code answer}, unless it has ended already (the client cancelled it, say). */
  static <R> void end(GrpcServerResponse<?, R> response, R answer) {
    try {
      response.end(answer);
    } catch (IllegalStateException ended) {
      // cancelled, or the connection is gone: the answer has no one to go to
    }
  }

  /** A {@code grpc-message} value: UTF-8, with '%' and every byte outside printable ASCII percent-encoded. */
  static String percentEncode(String message) {
    StringBuilder out = new StringBuilder(message.length());
    for (byte b : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
