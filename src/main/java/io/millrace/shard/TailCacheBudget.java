package io.millrace.shard;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bound on the bytes all shards' tail caches hold together, so that thousands of shards cannot add up to more
 * memory than configured. Each cache reserves what it adds and releases what it evicts; a cache that finds the
 * budget spent evicts its own oldest records first. Thread-safe (shards live on different event loops).
 */
public final class TailCacheBudget {

  private final long maxBytes;
  private final AtomicLong usedBytes = new AtomicLong();

  public TailCacheBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  void reserve(long bytes) {
    usedBytes.addAndGet(bytes);
  }

  void release(long bytes) {
    usedBytes.addAndGet(-bytes);
  }

  boolean exceeded() {
    return usedBytes.get() > maxBytes;
  }

  public long usedBytes() {
    return usedBytes.get();
  }

  public long maxBytes() {
    return maxBytes;
  }
}
