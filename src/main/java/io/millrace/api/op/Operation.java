package io.millrace.api.op;

import io.millrace.api.validate.Validated;
import io.vertx.core.Future;

/**
 * One Kinesis action: takes its validated request shape, calls the core, returns its response shape. Runs on the
 * API verticle's event loop; must not block.
 *
 * @param <Q> the request shape
 * @param <R> the response shape
 */
public interface Operation<Q extends Validated, R> {

  /** The action name as in {@code X-Amz-Target: Kinesis_20131202.<name>}. */
  String name();

  Class<Q> requestType();

  Future<R> handle(Q request, RequestScope scope);
}
