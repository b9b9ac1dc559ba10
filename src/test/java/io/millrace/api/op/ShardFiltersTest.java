package io.millrace.api.op;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.shard.HashKey;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamMode;
import io.millrace.stream.StreamStatus;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ListShards' filters over a lineage: shard 0 split into 2 and 3 at {@code SPLIT}, shard 1 never resharded.
 * Retention is 24 hours.
 */
class ShardFiltersTest {

  private static final long HOUR = 3_600_000L;
  private static final long CREATED = 1_700_000_000_000L;
  private static final long SPLIT = CREATED + 10 * HOUR;
  private static final BigInteger MIDDLE = HashKey.evenRange(1, 2)[0].value();
  private static final BigInteger QUARTER = HashKey.evenRange(1, 4)[0].value();

  private static final StreamMeta STREAM = new StreamMeta(new StreamKey("000000000000", "us-east-1", "s"),
      StreamStatus.ACTIVE, StreamMode.PROVISIONED, CREATED, 24, List.of(
          new ShardMeta(0, null, null, BigInteger.ZERO, MIDDLE.subtract(BigInteger.ONE), CREATED, 10L, SPLIT),
          new ShardMeta(1, null, null, MIDDLE, HashKey.MAX_VALUE, CREATED, null, null),
          new ShardMeta(2, 0, null, BigInteger.ZERO, QUARTER.subtract(BigInteger.ONE), SPLIT, null, null),
          new ShardMeta(3, 0, null, QUARTER, MIDDLE.subtract(BigInteger.ONE), SPLIT, null, null)),
      4, Map.of(), "NONE", null, List.of(), 1024, null);

  private static List<Integer> listed(String type, Long millis, long now) {
    return STREAM.shards().stream().filter(ShardFilters.of(STREAM, type, millis, now)).map(ShardMeta::index)
        .toList();
  }

  @Test
  void at_latest_lists_only_open_shards() {
    assertEquals(List.of(1, 2, 3), listed("AT_LATEST", null, SPLIT + HOUR));
  }

  @Test
  void from_trim_horizon_lists_a_closed_parent_until_its_records_have_expired() {
    assertEquals(List.of(0, 1, 2, 3), listed("FROM_TRIM_HORIZON", null, SPLIT + HOUR));
    assertEquals(List.of(1, 2, 3), listed("FROM_TRIM_HORIZON", null, SPLIT + 25 * HOUR));
  }

  @Test
  void at_trim_horizon_lists_the_shards_open_at_the_horizon() {
    assertEquals(List.of(0, 1), listed("AT_TRIM_HORIZON", null, SPLIT + HOUR));
    assertEquals(List.of(1, 2, 3), listed("AT_TRIM_HORIZON", null, SPLIT + 25 * HOUR));
  }

  @Test
  void at_timestamp_lists_the_shards_open_at_that_time() {
    assertEquals(List.of(0, 1), listed("AT_TIMESTAMP", SPLIT - HOUR, SPLIT + HOUR));
    assertEquals(List.of(1, 2, 3), listed("AT_TIMESTAMP", SPLIT + 1, SPLIT + HOUR));
  }

  @Test
  void from_timestamp_lists_shards_closed_after_it_and_every_open_one() {
    assertEquals(List.of(0, 1, 2, 3), listed("FROM_TIMESTAMP", SPLIT - HOUR, SPLIT + HOUR));
    assertEquals(List.of(1, 2, 3), listed("FROM_TIMESTAMP", SPLIT + 1, SPLIT + HOUR));
  }
}
