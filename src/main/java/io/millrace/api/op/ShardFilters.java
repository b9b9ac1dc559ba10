package io.millrace.api.op;

import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamMeta;
import java.util.function.Predicate;

/**
 * The shard sets of ListShards' ShardFilter types, over a stream's lineage. Pure: the caller gives the time.
 * Shards whose records have all expired (closed before the trim horizon) are never listed.
 */
final class ShardFilters {

  private ShardFilters() {}

  /** Which shards a filter selects; the trim horizon is {@code now - retention}. */
  static Predicate<ShardMeta> of(StreamMeta stream, String type, Long millis, long now) {
    long trimHorizon = now - stream.retentionHours() * 3_600_000L;
    Predicate<ShardMeta> withinRetention = s -> s.open() || s.closedMillis() >= trimHorizon;
    Predicate<ShardMeta> selected = switch (type) {
      case "AT_LATEST" -> ShardMeta::open;
      case "AT_TRIM_HORIZON" -> openAt(trimHorizon);
      case "AT_TIMESTAMP" -> openAt(millis);
      case "FROM_TIMESTAMP" -> s -> s.open() || s.closedMillis() >= millis;
      default -> s -> true; // FROM_TRIM_HORIZON and AFTER_SHARD_ID
    };
    return selected.and(withinRetention);
  }

  /** Shards open at {@code t}; shards created after it count when they have no parent (the stream's first set). */
  private static Predicate<ShardMeta> openAt(long t) {
    return s -> (s.createdMillis() <= t || s.parentIndex() == null) && (s.open() || s.closedMillis() > t);
  }
}
