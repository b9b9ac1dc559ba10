package io.millrace.shard;

import io.millrace.storage.RecoveryReport;

/**
 * What shards report to the rest of the server (metrics, tests). Called on the shard's context; implementations
 * must be quick and thread-safe.
 */
public interface ShardEvents {

  ShardEvents NONE = new ShardEvents() { };

  /** The shard's log was opened; {@code report} says what recovery dropped, if anything. */
  default void onRecovered(String shard, RecoveryReport report) { }

  /** A storage failure fenced the shard: its writes fail until a restart. */
  default void onFenced(String shard, Throwable cause) { }

  /** Retention deleted whole segments; the shard's oldest offset is now {@code startOffset}. */
  default void onTrimmed(String shard, long startOffset) { }
}
