package io.millrace.error;

/**
 * An error that reaches the client as an AWS error. One subclass per {@link ErrorCode} family keeps call sites
 * readable ({@code throw new ResourceNotFound(...)}) while {@link ErrorMapper} only ever looks at {@link #code()}.
 * These carry no stack trace: they are answers, not bugs.
 */
public sealed class KinesisException extends RuntimeException
    permits KinesisException.ResourceNotFound, KinesisException.ResourceInUse, KinesisException.InvalidArgument,
    KinesisException.LimitExceeded, KinesisException.ProvisionedThroughputExceeded, KinesisException.ExpiredIterator,
    KinesisException.ExpiredNextToken, KinesisException.Validation, KinesisException.Serialization,
    KinesisException.UnknownOperation, KinesisException.AccessDenied, KinesisException.InternalFailure,
    KinesisException.Authentication, KinesisException.RequestTooLarge, KinesisException.KmsAccessDenied,
    KinesisException.ServiceUnavailable, KinesisException.ConcurrentModification,
    KinesisException.FirehoseServiceUnavailable, KinesisException.InvalidApplicationConfiguration {

  private final ErrorCode code;

  private KinesisException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public static final class ResourceNotFound extends KinesisException {
    public ResourceNotFound(String message) {
      super(ErrorCode.RESOURCE_NOT_FOUND, message);
    }
  }

  public static final class ResourceInUse extends KinesisException {
    public ResourceInUse(String message) {
      super(ErrorCode.RESOURCE_IN_USE, message);
    }
  }

  public static final class InvalidArgument extends KinesisException {
    public InvalidArgument(String message) {
      super(ErrorCode.INVALID_ARGUMENT, message);
    }
  }

  public static final class LimitExceeded extends KinesisException {
    public LimitExceeded(String message) {
      super(ErrorCode.LIMIT_EXCEEDED, message);
    }
  }

  public static final class ProvisionedThroughputExceeded extends KinesisException {
    public ProvisionedThroughputExceeded(String message) {
      super(ErrorCode.PROVISIONED_THROUGHPUT_EXCEEDED, message);
    }
  }

  public static final class ExpiredIterator extends KinesisException {
    public ExpiredIterator(String message) {
      super(ErrorCode.EXPIRED_ITERATOR, message);
    }
  }

  public static final class ExpiredNextToken extends KinesisException {
    public ExpiredNextToken(String message) {
      super(ErrorCode.EXPIRED_NEXT_TOKEN, message);
    }
  }

  public static final class Validation extends KinesisException {
    public Validation(String message) {
      super(ErrorCode.VALIDATION, message);
    }
  }

  public static final class Serialization extends KinesisException {
    public Serialization(String message) {
      super(ErrorCode.SERIALIZATION, message);
    }
  }

  public static final class UnknownOperation extends KinesisException {
    public UnknownOperation(String message) {
      super(ErrorCode.UNKNOWN_OPERATION, message);
    }
  }

  public static final class AccessDenied extends KinesisException {
    public AccessDenied(String message) {
      super(ErrorCode.ACCESS_DENIED, message);
    }
  }

  public static final class KmsAccessDenied extends KinesisException {
    public KmsAccessDenied(String message) {
      super(ErrorCode.KMS_ACCESS_DENIED, message);
    }
  }

  public static final class InternalFailure extends KinesisException {
    public InternalFailure(String message) {
      super(ErrorCode.INTERNAL_FAILURE, message);
    }
  }

  /** Missing, malformed or wrong SigV4 authentication, or a key the server does not know. */
  public static final class Authentication extends KinesisException {
    public Authentication(ErrorCode code, String message) {
      super(code, message);
      if (code != ErrorCode.MISSING_AUTHENTICATION_TOKEN && code != ErrorCode.INCOMPLETE_SIGNATURE
          && code != ErrorCode.INVALID_SIGNATURE && code != ErrorCode.UNRECOGNIZED_CLIENT
          && code != ErrorCode.EXPIRED_TOKEN) {
        throw new IllegalArgumentException("not an authentication error: " + code);
      }
    }
  }

  public static final class RequestTooLarge extends KinesisException {
    public RequestTooLarge(String message) {
      super(ErrorCode.REQUEST_ENTITY_TOO_LARGE, message);
    }
  }

  /** The server cannot take the request now (say, its connection limit is reached); retry later. */
  public static final class ServiceUnavailable extends KinesisException {
    public ServiceUnavailable(String message) {
      super(ErrorCode.SERVICE_UNAVAILABLE, message);
    }
  }

  /** Firehose: the configuration changed since the caller read its version. */
  public static final class ConcurrentModification extends KinesisException {
    public ConcurrentModification(String message) {
      super(ErrorCode.CONCURRENT_MODIFICATION, message);
    }
  }

  /** Firehose: records cannot be taken now (a quota, or a full buffer while the destination is behind); retry. */
  public static final class FirehoseServiceUnavailable extends KinesisException {
    public FirehoseServiceUnavailable(String message) {
      super(ErrorCode.FIREHOSE_SERVICE_UNAVAILABLE, message);
    }
  }

  /** Kinesis Analytics: the application's SQL is refused by Flink; the message is Flink's. */
  public static final class InvalidApplicationConfiguration extends KinesisException {
    public InvalidApplicationConfiguration(String message) {
      super(ErrorCode.INVALID_APPLICATION_CONFIGURATION, message);
    }
  }
}
