package io.millrace.error;

/**
 * Every error Millrace puts on the wire: the exact AWS {@code __type} string, the HTTP status, and whether an AWS SDK
 * treats it as retryable. The wire string is data here, never derived from a class name.
 */
public enum ErrorCode {
  ACCESS_DENIED("AccessDeniedException", 400, false),
  EXPIRED_ITERATOR("ExpiredIteratorException", 400, false),
  EXPIRED_NEXT_TOKEN("ExpiredNextTokenException", 400, false),
  INTERNAL_FAILURE("InternalFailure", 500, true),
  INVALID_ARGUMENT("InvalidArgumentException", 400, false),
  KMS_ACCESS_DENIED("KMSAccessDeniedException", 400, false),
  LIMIT_EXCEEDED("LimitExceededException", 400, false),
  PROVISIONED_THROUGHPUT_EXCEEDED("ProvisionedThroughputExceededException", 400, true),
  RESOURCE_IN_USE("ResourceInUseException", 400, false),
  RESOURCE_NOT_FOUND("ResourceNotFoundException", 400, false),
  VALIDATION("ValidationException", 400, false),
  SERIALIZATION("SerializationException", 400, false),
  UNKNOWN_OPERATION("UnknownOperationException", 400, false),
  MISSING_AUTHENTICATION_TOKEN("MissingAuthenticationTokenException", 400, false),
  INCOMPLETE_SIGNATURE("IncompleteSignatureException", 400, false),
  INVALID_SIGNATURE("InvalidSignatureException", 400, false),
  UNRECOGNIZED_CLIENT("UnrecognizedClientException", 400, false),
  /** Temporary credentials past their expiry (the credentials file's x_security_token_expires). */
  EXPIRED_TOKEN("ExpiredTokenException", 400, false),
  REQUEST_ENTITY_TOO_LARGE("RequestEntityTooLargeException", 413, false),
  /** AWS's common error for a temporary refusal; the SDKs retry a 503. */
  SERVICE_UNAVAILABLE("ServiceUnavailable", 503, true),
  /** Firehose's: a stale configuration version in UpdateDestination. */
  CONCURRENT_MODIFICATION("ConcurrentModificationException", 400, false),
  /** Firehose's temporary refusal of records (over a quota, or the delivery stream's buffer is full); retry later. */
  FIREHOSE_SERVICE_UNAVAILABLE("ServiceUnavailableException", 503, true),
  /** Kinesis Analytics's: the application's code does not compile or plan (Flink's message says why). */
  INVALID_APPLICATION_CONFIGURATION("InvalidApplicationConfigurationException", 400, false);

  private final String wireType;
  private final int httpStatus;
  private final boolean retryable;

  ErrorCode(String wireType, int httpStatus, boolean retryable) {
    this.wireType = wireType;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  /** The {@code __type} and {@code x-amzn-ErrorType} value. */
  public String wireType() {
    return wireType;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public boolean retryable() {
    return retryable;
  }

  /**
   * The JSON key of the message. AWS (and the emulators copying it) spell it {@code Message} for protocol-level
   * serialization errors and {@code message} everywhere else; the SDKs read both.
   */
  public String messageKey() {
    return this == SERIALIZATION ? "Message" : "message";
  }
}
