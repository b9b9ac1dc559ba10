package io.millrace.firehose;

/**
 * One failed attempt to deliver a request to an HTTP endpoint, with Firehose's error code and message: what the
 * delivery logs, and what a failure record of the S3 backup ({@code http-endpoint-failed}) states once the retries are
 * over. Every code is retryable; the one permanent failure, an HTTP 413, is a {@link Retries.Permanent} instead (see
 * {@link #of}). Immutable; carries no stack trace (the cause, if any, keeps its own).
 */
final class HttpEndpointException extends RuntimeException {

  /**
   * Firehose's error codes for an HTTP endpoint [fh-guide http_troubleshooting.md], plus its general
   * {@code InternalError} for a failure that is not the endpoint's. The messages of DestinationException and
   * InvalidResponseFromDestination open with Firehose's documented words; the guide gives no text for the others, so
   * theirs are Millrace's, after the guide's descriptions.
   */
  enum Code {
    /** The endpoint answered, but not with 200 (the message has its status and a truncated body). */
    DESTINATION_EXCEPTION("HttpEndpoint.DestinationException"),
    /** A 200 that does not follow the response format (JSON echoing the requestId, with a timestamp). */
    INVALID_RESPONSE_FROM_DESTINATION("HttpEndpoint.InvalidResponseFromDestination"),
    /** No whole response within the request timeout (Firehose's is 3 minutes). */
    REQUEST_TIMEOUT("HttpEndpoint.RequestTimeout"),
    /** A response of 1 MiB or more, headers included. */
    RESPONSE_TOO_LARGE("HttpEndpoint.ResponseTooLarge"),
    /** No connection: refused, unreachable, unknown host, or the connect timeout passed. */
    CONNECTION_FAILED("HttpEndpoint.ConnectionFailed"),
    /** The connection was reset or closed before the whole response arrived. */
    CONNECTION_RESET("HttpEndpoint.ConnectionReset"),
    /** The TLS handshake with an {@code https://} endpoint failed. */
    SSL_HANDSHAKE_FAILURE("HttpEndpoint.SSLHandshakeFailure"),
    /** Not the endpoint's failure (a staged file could not be read, say). */
    INTERNAL_ERROR("InternalError");

    private final String wireName;

    Code(String wireName) {
      this.wireName = wireName;
    }

    /** The errorCode string, as Firehose writes it. */
    String wireName() {
      return wireName;
    }
  }

  /** Firehose's message for INTERNAL_ERROR [fh-guide monitoring-with-cloudwatch-logs.md]. */
  static final String INTERNAL_ERROR_MESSAGE = "An internal error occurred while attempting to deliver data. Delivery "
      + "will be retried; if the error persists, then it will be reported to AWS for resolution.";

  private final Code code;

  HttpEndpointException(Code code, String message) {
    this(code, message, null);
  }

  HttpEndpointException(Code code, String message, Throwable cause) {
    super(message, cause, false, false);
    this.code = code;
  }

  Code code() {
    return code;
  }

  /** The errorCode of a failure record, e.g. {@code HttpEndpoint.DestinationException}. */
  String errorCode() {
    return code.wireName();
  }

  /** The errorMessage of a failure record. */
  String errorMessage() {
    return getMessage();
  }

  /**
   * Any failure of {@link HttpEndpointSender#send} as the failure record states it: an HttpEndpointException as it is;
   * the {@link Retries.Permanent} of a 413 as the DestinationException it is (its message is the endpoint's
   * response); anything else as InternalError.
   */
  static HttpEndpointException of(Throwable failure) {
    if (failure instanceof HttpEndpointException e) {
      return e;
    }
    if (failure instanceof Retries.Permanent p) {
      return new HttpEndpointException(Code.DESTINATION_EXCEPTION, p.getMessage());
    }
    return new HttpEndpointException(Code.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, failure);
  }
}
