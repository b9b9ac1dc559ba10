package io.millrace.shard;

import io.millrace.config.Durability;
import java.time.Clock;

/**
 * What every shard verticle of a server shares.
 *
 * @param durability             when appends are acknowledged (see {@link Durability})
 * @param fsyncIntervalMillis    the fsync period for {@link Durability#INTERVAL}
 * @param tailCacheBytes         bytes of newest records kept in memory per shard
 * @param enforceThroughputLimits whether AWS's per-shard limits answer ProvisionedThroughputExceeded
 * @param clock                  the time source (tests inject their own)
 * @param events                 where shards report recovery, fencing and retention
 * @param tailCacheBudget        the bound on all shards' tail caches together
 * @param retentionCheckMillis   how often each shard deletes expired segments
 */
public record ShardSettings(Durability durability, long fsyncIntervalMillis, long tailCacheBytes,
                            boolean enforceThroughputLimits, Clock clock, ShardEvents events,
                            TailCacheBudget tailCacheBudget, long retentionCheckMillis) {

  /** Settings for tests: no events, an unbounded cache budget, retention checked every minute. */
  public ShardSettings(Durability durability, long fsyncIntervalMillis, long tailCacheBytes,
                       boolean enforceThroughputLimits, Clock clock) {
    this(durability, fsyncIntervalMillis, tailCacheBytes, enforceThroughputLimits, clock, ShardEvents.NONE,
        new TailCacheBudget(Long.MAX_VALUE), 60_000);
  }
}
