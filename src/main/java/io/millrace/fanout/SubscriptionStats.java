package io.millrace.fanout;

import io.millrace.stream.StreamKey;
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
  /** Where subscriptions report what they push, by stream and shard, once the server has one. */
  private volatile PushListener kinesis;

  /** Reports subscriptions started and events pushed to {@code listener} from now on. */
  public void reportTo(PushListener listener) {
    this.kinesis = listener;
  }

  public long live() {
    return live.get();
  }

  public long inFlightBytes() {
    return inFlightBytes.get();
  }

  public long waitingOnClient() {
    return waitingOnClient.get();
  }

  void started(StreamKey stream, String consumer) {
    live.incrementAndGet();
    PushListener listener = kinesis;
    if (listener != null) {
      listener.subscribed(stream, consumer);
    }
  }

  /** A SubscribeToShard of {@code consumer} was refused: too soon after the live one's start. */
  public void refused(StreamKey stream, String consumer) {
    PushListener listener = kinesis;
    if (listener != null) {
      listener.rateExceeded(stream, consumer);
    }
  }

  /** An event was pushed: {@code records} of {@code bytes} (their data) from {@code shardId}. */
  void pushed(StreamKey stream, String consumer, String shardId, int records, long bytes, long millisBehindLatest) {
    PushListener listener = kinesis;
    if (listener != null) {
      listener.pushed(stream, consumer, shardId, records, bytes, millisBehindLatest);
    }
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
