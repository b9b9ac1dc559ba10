package io.millrace.api.op;

import io.millrace.api.auth.Authorizer;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.vertx.core.Future;

/**
 * One AWS service the API serves, as {@code X-Amz-Target: <targetPrefix>.<action>} names it: Kinesis
 * ({@link Operations}) or Firehose. Immutable once built.
 */
public interface Service {

  /** The part of X-Amz-Target before the dot, e.g. {@code Kinesis_20131202}. */
  String targetPrefix();

  /** The name requests to this service are signed for (SigV4's credential scope), e.g. {@code kinesis}. */
  String signingName();

  /** The operation named {@code action}, or null if there is none. */
  Operation<?, ?> find(String action);

  /**
   * For an action the real service has but this version does not serve yet, the message of the
   * UnknownOperationException that says so; null otherwise (the plain UnknownOperationException, as AWS answers).
   */
  String notServed(String action);

  /** A validator for this service's requests: its messages in the service's words. */
  default Validator validator() {
    return new Validator();
  }

  /** What verified callers may do: their identity policies, and the resource policies this service keeps. */
  default Authorizer authorizer() {
    return Authorizer.IDENTITY_ONLY;
  }

  /** The ARN of what a valid request to {@code action} acts on, as IAM policies name it; {@code *} for none. */
  default String resourceOf(String action, Validated request, RequestScope scope) {
    return "*";
  }

  /**
   * Refuses a valid request to {@code action} that its verified caller may not make (AccessDeniedException);
   * without verification everything is allowed.
   */
  default void authorize(String action, Validated request, RequestScope scope) {
    if (scope.principal() != null) {
      authorizer().check(scope.principal(), signingName() + ":" + action, resourceOf(action, request, scope));
    }
  }

  /**
   * Runs {@code op} on a request shape, whichever face decoded it: every constraint violation first (in this
   * service's words), then whether the caller may ({@link #authorize}), then the action itself. Failures come back as
   * a failed future, never thrown.
   */
  default <Q extends Validated, R> Future<R> call(Operation<Q, R> op, Q request, RequestScope scope) {
    try {
      Validator validator = validator();
      request.validate(validator);
      validator.throwIfInvalid();
      authorize(op.name(), request, scope);
      return op.handle(request, scope);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
