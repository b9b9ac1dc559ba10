package io.millrace.firehose;

import io.millrace.concurrent.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Bounds how many OpenSearch and Splunk request bodies the server holds in memory at once, across every delivery
 * stream: a delivery takes a permit before it builds a body and gives it back once the request is answered. With {@link #SERVER_WIDE} permits of at most 4 MiB bodies, these destinations hold at most
 * 64 MiB however many delivery streams there are; a delivery that finds none free waits, its records on disk.
 *
 * <p>Thread-safe; futures complete on the caller's context.
 */
final class RequestPermits {

  /** The permits of a server. */
  static final int SERVER_WIDE = 16;

  private final int permits;
  private final Deque<Promise<Void>> waiting = new ArrayDeque<>();
  private int used;

  RequestPermits(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be at least 1, not " + permits);
    }
    this.permits = permits;
  }

  /** Completes once a permit is the caller's; give it back with {@link #release()}, exactly once. */
  Future<Void> acquire() {
    Promise<Void> granted = Promise.promise();
    synchronized (this) {
      if (used < permits) {
        used++;
        granted.complete();
      } else {
        waiting.add(granted);
      }
    }
    return OnContext.onCaller(granted.future());
  }

  /** Gives a permit back: to the longest waiter, if any. */
  void release() {
    Promise<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        used--;
        return;
      }
    }
    next.complete();
  }

  /** Runs {@code work} with a permit, which is given back when its future completes, whatever the outcome. */
  <T> Future<T> with(java.util.function.Supplier<Future<T>> work) {
    return acquire().compose(v -> {
      Future<T> running;
      try {
        running = work.get();
      } catch (Throwable e) {
        release();
        return Future.failedFuture(e);
      }
      return running.onComplete(done -> release());
    });
  }

  synchronized int inUse() {
    return used;
  }
}
