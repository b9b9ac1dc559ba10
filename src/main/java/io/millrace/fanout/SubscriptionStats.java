package io.millrace.fanout;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Live totals over every {@link Subscription} of the server, for metrics: how many there are, how many event bytes
 * they have written that their clients have not yet taken, and how many wait on their client (their in-flight budget
 * is used up: the client reads slower than the shard is written, or not at all).
 *
 * <p>Thread-safe: subscriptions on every event loop update it; metrics read it from any thread.
 */
public final class SubscriptionStats {

  private final AtomicLong live = new AtomicLong();
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final AtomicLong waitingOnClient = new AtomicLong();

  public long live() {
    return live.get();
  }

  public long inFlightBytes() {
    return inFlightBytes.get();
  }

  public long waitingOnClient() {
    return waitingOnClient.get();
  }

  void started() {
    live.incrementAndGet();
  }

  void ended() {
    live.decrementAndGet();
  }

  void inFlight(long deltaBytes) {
    inFlightBytes.addAndGet(deltaBytes);
  }

  void waiting(boolean nowWaiting) {
    waitingOnClient.addAndGet(nowWaiting ? 1 : -1);
  }
}
