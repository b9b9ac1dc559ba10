package io.millrace.api.op;

import io.millrace.api.validate.Validated;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A service's operations by action name, each a request shape and the handler that serves it: what a
 * {@link Service} built from handlers (Firehose, Kinesis Analytics) hands to the wire layer. Filled once, at
 * construction; read-only after.
 */
public final class OperationTable {

  private final Map<String, Operation<?, ?>> byName = new HashMap<>();

  /** Serves {@code action} with {@code handler}, its requests read as {@code type}. */
  public <Q extends Validated, R> OperationTable add(String action, Class<Q> type,
                                                    BiFunction<Q, RequestScope, Future<R>> handler) {
    Operation<Q, R> op = new BaseOperation<>(action, type) {
      @Override
      public Future<R> handle(Q request, RequestScope scope) {
        return handler.apply(request, scope);
      }
    };
    if (byName.put(action, op) != null) {
      throw new IllegalStateException(action + " is served twice");
    }
    return this;
  }

  /** The operation named {@code action}, or null. */
  public Operation<?, ?> find(String action) {
    return byName.get(action);
  }
}
