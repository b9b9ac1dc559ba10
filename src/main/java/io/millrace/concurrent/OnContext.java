package io.millrace.concurrent;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The hand-written context hops, in one place: run an action on its owner's context and complete on the caller's
 * ({@link #call}), or hand a future completed elsewhere back to the caller's context ({@link #onCaller}). Callers not
 * on a Vert.x context (tests, start-up code) get completion where the work completed.
 */
public final class OnContext {

  private OnContext() {}

  public static <T> Future<T> call(Context owner, Supplier<Future<T>> action) {
    Context caller = Vertx.currentContext();
    if (caller == owner) {
      return invoke(action);
    }
    CompletableFuture<T> done = new CompletableFuture<>();
    owner.runOnContext(v -> invoke(action).onComplete(done::complete, done::completeExceptionally));
    return Future.fromCompletionStage(done, caller != null ? caller : owner);
  }

  private static <T> Future<T> invoke(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** {@code future}, completing on the calling context (as it is when the caller is not on a Vert.x context). */
  public static <T> Future<T> onCaller(Future<T> future) {
    Context caller = Vertx.currentContext();
    return caller == null ? future : Future.fromCompletionStage(future.toCompletionStage(), caller);
  }
}
