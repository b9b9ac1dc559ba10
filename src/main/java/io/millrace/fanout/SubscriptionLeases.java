package io.millrace.fanout;

import io.millrace.error.KinesisException;
import java.util.HashMap;
import java.util.Map;

/**
 * One live SubscribeToShard per (consumer, shard), with AWS's rule: a second subscription within
 * {@code takeoverMillis} of the live one's start is refused with ResourceInUseException; later, it takes over and
 * the old one is told to end (with a ResourceInUseException event).
 *
 * <p>Thread-safe (subscriptions of one consumer may run on different event loops): every method is synchronized and
 * quick; the takeover callback runs outside the lock, and must hop to its subscription's own context.
 */
public final class SubscriptionLeases {

  /** A held lease; {@code onTakenOver} is called (once) when a newer subscription replaces it. */
  public static final class Lease {
    private final String key;
    private final long startedMillis;
    private final Runnable onTakenOver;

    private Lease(String key, long startedMillis, Runnable onTakenOver) {
      this.key = key;
      this.startedMillis = startedMillis;
      this.onTakenOver = onTakenOver;
    }
  }

  private final long takeoverMillis;
  private final Map<String, Lease> live = new HashMap<>();

  /** @param takeoverMillis how long a subscription is protected from takeover (AWS: 5 s) */
  public SubscriptionLeases(long takeoverMillis) {
    this.takeoverMillis = takeoverMillis;
  }

  /** Takes the lease for {@code consumerArn}'s {@code shardId}, or ResourceInUse in AWS's words. */
  public Lease acquire(String consumerArn, String shardId, long nowMillis, Runnable onTakenOver) {
    String key = consumerArn + "|" + shardId;
    Lease previous;
    Lease lease = new Lease(key, nowMillis, onTakenOver);
    synchronized (this) {
      previous = live.get(key);
      if (previous != null && nowMillis - previous.startedMillis < takeoverMillis) {
        throw new KinesisException.ResourceInUse("Another active subscription exists for this consumer: "
            + consumerArn + " on shard " + shardId + ". Subscriptions can be replaced no sooner than "
            + takeoverMillis + " ms after they started.");
      }
      live.put(key, lease);
    }
    if (previous != null) {
      previous.onTakenOver.run();
    }
    return lease;
  }

  /** Gives the lease back, unless a newer subscription already holds it. */
  public synchronized void release(Lease lease) {
    live.remove(lease.key, lease);
  }

  /** How many subscriptions are live (for tests and metrics). */
  public synchronized int liveCount() {
    return live.size();
  }
}
