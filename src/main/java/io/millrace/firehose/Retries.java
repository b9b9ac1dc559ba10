package io.millrace.firehose;

import io.millrace.concurrent.OnContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Firehose's retry schedule for a delivery, composed with Mutiny: a failed attempt is tried again after 1 s, then
 * twice as long each time up to 2 minutes, each pause varied by ±15 % so that many deliveries do not retry in step;
 * for a while (an HTTP endpoint's RetryOptions) or until it succeeds (S3: records wait on disk meanwhile).
 *
 * <p>Attempts start on {@code context}; the returned future completes there. Stateless.
 */
final class Retries {

  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
  static final Duration LONGEST_PAUSE = Duration.ofMinutes(2);
  static final double JITTER = 0.15;

  /** A failure that no retry can mend (an HTTP 413): the delivery fails at once. */
  static class Permanent extends RuntimeException {
    Permanent(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The batch was staged for a destination configuration that is no longer the stream's (UpdateDestination), or it
   * must start elsewhere (a Redshift loads table already holds part of it): its attempts end at once and it is
   * staged again, not counted as failed.
   */
  static final class Superseded extends Permanent {
    Superseded(String why) {
      super(why);
    }
  }

  /** A delivery in progress; cancel it to stop retrying (the delivery stream is stopping). */
  record Attempts<T>(Future<T> result, Cancellable cancellable) {}

  private Retries() {}

  /**
   * Runs {@code attempt} on {@code context} until it succeeds, for at most {@code forMillis} of retrying (negative:
   * without end); {@code onFailure} hears every failed attempt. A {@link Permanent} failure ends the attempts at once.
   */
  static <T> Attempts<T> withBackOff(Context context, Supplier<Future<T>> attempt, long forMillis,
                                     Consumer<Throwable> onFailure) {
    Uni<T> once = Uni.createFrom().completionStage(() -> OnContext.call(context, attempt).toCompletionStage())
        .onFailure().invoke(onFailure);
    Predicate<Throwable> retryable = e -> !(e instanceof Permanent);
    var retrying = once.onFailure(retryable).retry().withBackOff(FIRST_PAUSE, LONGEST_PAUSE).withJitter(JITTER);
    Uni<T> all = forMillis < 0 ? retrying.indefinitely() : retrying.expireIn(forMillis);
    Promise<T> promise = Promise.promise();
    Cancellable cancellable = all.subscribe().with(
        item -> context.runOnContext(v -> promise.tryComplete(item)),
        failure -> context.runOnContext(v -> promise.tryFail(failure)));
    return new Attempts<>(promise.future(), cancellable);
  }
}
