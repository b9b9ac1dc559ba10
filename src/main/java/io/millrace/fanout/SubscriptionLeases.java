package io.millrace.fanout;

import io.millrace.error.KinesisException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One live SubscribeToShard per (consumer, shard), with AWS's rule: a second subscription within
 * {@code takeoverMillis} of the live one's start is refused with ResourceInUseException; later, it takes over and
 * the old one is told to end (with a ResourceInUseException event). When a consumer goes away (deregistered, or its
 * stream deleted with EnforceConsumerDeletion), {@link #endConsumer} tells each of its live subscriptions to end.
 *
 * <p>Thread-safe (subscriptions of one consumer may run on different event loops): every method is synchronized and
 * quick; the takeover callback runs outside the lock, and must hop to its subscription's own context.
 */
public final class SubscriptionLeases {

  /**
   * A held lease; {@code onTakenOver} is called (once) when a newer subscription replaces it, {@code onEnded} when
   * its consumer goes away.
   */
  public static final class Lease {
    private final String key;
    private final String consumerArn;
    private final long startedMillis;
    private final Runnable onTakenOver;
    private final Consumer<KinesisException> onEnded;

    private Lease(String key, String consumerArn, long startedMillis, Runnable onTakenOver,
                  Consumer<KinesisException> onEnded) {
      this.key = key;
      this.consumerArn = consumerArn;
      this.startedMillis = startedMillis;
      this.onTakenOver = onTakenOver;
      this.onEnded = onEnded;
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
    return acquire(consumerArn, shardId, nowMillis, onTakenOver, error -> {});
  }

  /**
   * Takes the lease for {@code consumerArn}'s {@code shardId}, or ResourceInUse in AWS's words; {@code onEnded} is
   * called (outside the lock, maybe more than once) if the consumer goes away while the lease is held.
   */
  public Lease acquire(String consumerArn, String shardId, long nowMillis, Runnable onTakenOver,
                       Consumer<KinesisException> onEnded) {
    String key = consumerArn + "|" + shardId;
    Lease previous;
    Lease lease = new Lease(key, consumerArn, nowMillis, onTakenOver, onEnded);
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

  /**
   * Tells every live subscription of {@code consumerArn} to end with {@code error}; each releases its lease as it
   * closes. Any thread.
   */
  public void endConsumer(String consumerArn, KinesisException error) {
    List<Lease> ending = new ArrayList<>();
    synchronized (this) {
      live.values().stream().filter(l -> l.consumerArn.equals(consumerArn)).forEach(ending::add);
    }
    ending.forEach(l -> l.onEnded.accept(error));
  }
}
