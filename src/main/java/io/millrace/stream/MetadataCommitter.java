package io.millrace.stream;

import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies control-plane changes so that nobody sees one before it is durable: each change is a function of the
 * committed {@link Metadata}, applied to a draft, persisted by {@link MetadataStore}, and only then published as the
 * new committed value. A change whose persisting fails is dropped whole: nothing in memory or on disk keeps it, the
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
public final class MetadataCommitter {

  private static final Logger LOG = LoggerFactory.getLogger(MetadataCommitter.class);

  /** First and largest pause between attempts of {@link #commitEventually}. */
  static final long FIRST_RETRY_MILLIS = 500;
  static final long MAX_RETRY_MILLIS = 30_000;

  /** A change of the metadata; returns what its caller needs to know, or throws a KinesisException to refuse. */
  @FunctionalInterface
  public interface Change<T> {
    T apply(Metadata.Draft draft);
  }

  private record Pending<T>(Change<T> change, Promise<T> promise) {}

  private final Vertx vertx;
  private final Context context;
  private final MetadataStore store;
  private final Deque<Pending<?>> queue = new ArrayDeque<>();
  private volatile Metadata committed = Metadata.EMPTY;
  /** Whether a change is being written (context only). */
  private boolean writing;

  public MetadataCommitter(Vertx vertx, Context context, MetadataStore store) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
  }

  /** Loads what was last persisted as the committed metadata. Call once, before any change. */
  public Future<Metadata> load() {
    return OnContext.call(context, () -> context.executeBlocking(store::load, true).map(snapshot -> {
      committed = Metadata.of(snapshot);
      return committed;
    }));
  }

  /** The committed metadata: everything in it is durable. Any thread. */
  public Metadata current() {
    return committed;
  }

  /**
   * Applies {@code change} after every change before it and persists the result; completes with the change's result
   * once that is durable and published, or fails with the change's refusal or, if persisting failed, with a retryable
   * InternalFailure (the change is then forgotten). Any thread.
   */
  public <T> Future<T> commit(Change<T> change) {
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
  public Future<Void> commitEventually(String what, Change<?> change) {
    Promise<Void> firstAttempt = Promise.promise();
    attempt(what, change, FIRST_RETRY_MILLIS, firstAttempt);
    return firstAttempt.future();
  }

  private void attempt(String what, Change<?> change, long pauseMillis, Promise<Void> firstAttempt) {
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
    Pending<?> next = queue.pollFirst();
    write(next);
  }

  private <T> void write(Pending<T> pending) {
    Metadata base = committed;
    Metadata.Draft draft = base.draft();
    T result;
    try {
      result = pending.change().apply(draft);
    } catch (RuntimeException e) {
      pending.promise().fail(e);
      runNext();
      return;
    }
    Metadata next = draft.build();
    if (next == base) {
      pending.promise().complete(result);
      runNext();
      return;
    }
    writing = true;
    context.executeBlocking(() -> {
      store.save(next.snapshot());
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
  static KinesisException notPersisted(Throwable cause) {
    String reason = cause instanceof FileSystemException f && f.getReason() != null ? f.getReason()
        : cause instanceof IOException && cause.getMessage() != null ? cause.getMessage() : "a storage error";
    return new KinesisException.InternalFailure("The change could not be saved (" + reason + "); nothing was "
        + "changed. Retry once the server's storage has room.");
  }
}
