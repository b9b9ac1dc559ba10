package io.millrace.meta;

import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.millrace.error.StorageFaults;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies changes to a piece of metadata (the Kinesis control plane's, Firehose's) so that nobody sees one before it
 * is durable: each change is a function of the committed value {@code M}, applied to a draft {@code D}, persisted by
 * the {@link Store}, and only then published as the new committed value. A change whose persisting fails is dropped whole: nothing in memory or on disk keeps it, the
 * caller gets a retryable {@code InternalFailure}, and a retry starts again from the committed state.
 *
 * <p><b>Order.</b> Changes run one at a time, in the order they arrive, each on the committed result of the one
 * before; so a change sees every earlier change and its checks (exists, ACTIVE, limits) hold when it is persisted.
 * A change may refuse by throwing a {@link KinesisException}: it is then not persisted and the next one runs.
 * (Before this class, a change was published first and persisted after; a failed write answered 500 but kept the
 * change in memory, and the next successful write persisted it.)
 *
 * <p><b>Threading.</b> {@link #current()} is lock-free from any thread. Changes are applied on the committer's context
 * and written on its ordered worker; the future of {@link #commit} completes on the caller's context.
 */
public class Committer<M, D> {

  private static final Logger LOG = LoggerFactory.getLogger(Committer.class);

  /** First and largest pause between attempts of {@link #commitEventually}. */
  public static final long FIRST_RETRY_MILLIS = 500;
  public static final long MAX_RETRY_MILLIS = 30_000;

  /** How a value is changed: a mutable draft of it, and the next value the draft gives. */
  public interface Model<M, D> {
    D draft(M committed);

    /** The next value, or {@code committed} itself when the draft changed nothing (there is then nothing to save). */
    M build(D draft);
  }

  /** Where the value is kept. Blocking; called on the committer's ordered worker. */
  public interface Store<M> {
    /** The last saved value, or the empty one. */
    M load() throws IOException;

    /** Replaces the saved value atomically and durably. */
    void save(M value) throws IOException;
  }

  /** A change of the value; returns what its caller needs to know, or throws a KinesisException to refuse. */
  @FunctionalInterface
  public interface Change<D, T> {
    T apply(D draft);
  }

  private record Pending<D, T>(Change<D, T> change, Promise<T> promise) {}

  private final Vertx vertx;
  private final Context context;
  private final Model<M, D> model;
  private final Store<M> store;
  private final Deque<Pending<D, ?>> queue = new ArrayDeque<>();
  private volatile M committed;
  /** Whether a change is being written (context only). */
  private boolean writing;

  /** A committer whose changes run on {@code context}, starting from {@code empty} until {@link #load()}. */
  public Committer(Vertx vertx, Context context, Model<M, D> model, Store<M> store, M empty) {
    this.vertx = vertx;
    this.context = context;
    this.model = model;
    this.store = store;
    this.committed = empty;
  }

  /** Loads what was last persisted as the committed value. Call once, before any change. */
  public Future<M> load() {
    return OnContext.call(context, () -> context.executeBlocking(store::load, true).map(value -> {
      committed = value;
      return committed;
    }));
  }

  /** The committed value: everything in it is durable. Any thread. */
  public M current() {
    return committed;
  }

  /**
   * Applies {@code change} after every change before it and persists the result; completes with the change's result
   * once that is durable and published, or fails with the change's refusal or, if persisting failed, with a retryable
   * InternalFailure (the change is then forgotten). Any thread.
   */
  public <T> Future<T> commit(Change<D, T> change) {
    return OnContext.call(context, () -> {
      Promise<T> promise = Promise.promise();
      queue.addLast(new Pending<>(change, promise));
      runNext();
      return promise.future();
    });
  }

  /**
   * Like {@link #commit}, but a failure to persist is retried (with growing pauses up to 30 s) until it succeeds, for
   * changes a caller was already promised: a transition's end (CREATING to ACTIVE, a deleted stream forgotten). A
   * refusal by the change itself ends the attempts. The future completes after the <em>first</em> attempt, whatever
   * its outcome, so that an answer waiting for it is not held up by a full disk; {@code what} names the change in the
   * log.
   */
  public Future<Void> commitEventually(String what, Change<D, ?> change) {
    Promise<Void> firstAttempt = Promise.promise();
    attempt(what, change, FIRST_RETRY_MILLIS, firstAttempt);
    return firstAttempt.future();
  }

  private void attempt(String what, Change<D, ?> change, long pauseMillis, Promise<Void> firstAttempt) {
    commit(change).onComplete(ar -> {
      firstAttempt.tryComplete();
      Throwable e = ar.cause();
      if (ar.succeeded() || e instanceof KinesisException && !(e instanceof KinesisException.InternalFailure)) {
        return;
      }
      LOG.warn("Could not persist {} ({}); trying again in {} ms", what, e.getMessage(), pauseMillis);
      vertx.setTimer(pauseMillis, id -> attempt(what, change, Math.min(MAX_RETRY_MILLIS, pauseMillis * 2),
          firstAttempt));
    });
  }

  private void runNext() {
    if (writing || queue.isEmpty()) {
      return;
    }
    Pending<D, ?> next = queue.pollFirst();
    write(next);
  }

  private <T> void write(Pending<D, T> pending) {
    M base = committed;
    D draft = model.draft(base);
    T result;
    try {
      result = pending.change().apply(draft);
    } catch (RuntimeException e) {
      pending.promise().fail(e);
      runNext();
      return;
    }
    M next = model.build(draft);
    if (next == base) {
      pending.promise().complete(result);
      runNext();
      return;
    }
    writing = true;
    context.executeBlocking(() -> {
      store.save(next);
      return null;
    }, true).onComplete(ar -> {
      writing = false;
      if (ar.succeeded()) {
        committed = next;
        pending.promise().complete(result);
      } else {
        LOG.error("A metadata change could not be persisted and was dropped: {}", ar.cause().toString());
        pending.promise().fail(notPersisted(ar.cause()));
      }
      runNext();
    });
  }

  /** The answer to a change that could not be made durable: retryable, with the file system's reason. */
  private static KinesisException notPersisted(Throwable cause) {
    return new KinesisException.InternalFailure("The change could not be saved (" + StorageFaults.reason(cause)
        + "); nothing was "
        + "changed. Retry once the server's storage has room.");
  }
}
