package io.millrace.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.error.KinesisException;
import io.millrace.shard.HashKey;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReshardPlanTest {

  private static StreamMeta stream(int shardCount) {
    List<ShardMeta> shards = new ArrayList<>();
    for (int i = 0; i < shardCount; i++) {
      HashKey[] range = HashKey.evenRange(i, shardCount);
      shards.add(new ShardMeta(i, null, null, range[0].value(), range[1].value(), 1000, null, null));
    }
    return new StreamMeta(new StreamKey("000000000000", "us-east-1", "s"), StreamStatus.ACTIVE,
        StreamMode.PROVISIONED, 1000, 24, shards, shardCount, Map.of(), "NONE", null, List.of(), 1024, null);
  }

  /** The open shards after the plan, sorted by hash range. */
  private static List<ShardMeta> openAfter(StreamMeta before, ReshardPlan plan) {
    List<ShardMeta> open = new ArrayList<>(before.openShards().stream()
        .filter(s -> !plan.closing().contains(s.index())).toList());
    plan.created().stream().filter(ShardMeta::open).forEach(open::add);
    open.sort(Comparator.comparing(ShardMeta::startingHashKey));
    return open;
  }

  @Test
  void uniform_scaling_ends_with_even_ranges_and_at_most_two_parents_per_shard() {
    for (int from = 1; from <= 12; from++) {
      for (int to = (from + 1) / 2; to <= 2 * from; to++) {
        StreamMeta before = stream(from);
        ReshardPlan plan = ReshardPlan.uniform(before, to);
        List<ShardMeta> open = openAfter(before, plan);
        assertEquals(to, open.size(), from + " -> " + to);
        for (int i = 0; i < to; i++) {
          HashKey[] range = HashKey.evenRange(i, to);
          assertEquals(range[0].value(), open.get(i).startingHashKey(), from + " -> " + to);
          assertEquals(range[1].value(), open.get(i).endingHashKey(), from + " -> " + to);
        }
        for (ShardMeta c : plan.created()) {
          assertNotNull(c.parentIndex(), "every created shard has a parent");
          assertTrue(c.index() >= from, "new ids continue the counter");
        }
        if (from == to) {
          assertTrue(plan.closing().isEmpty(), "nothing to do at the same even count");
        } else {
          assertEquals(from, plan.closing().size(), "every open shard closes: " + from + " -> " + to);
        }
        assertEquals(from + plan.created().size(), plan.nextShardIndex());
      }
    }
  }

  @Test
  void split_makes_two_children_of_the_parent_at_the_new_starting_hash_key() {
    ReshardPlan plan = ReshardPlan.split(stream(1), 0, BigInteger.TEN);
    assertEquals(List.of(0), plan.closing());
    assertEquals(2, plan.created().size());
    assertEquals(BigInteger.valueOf(9), plan.created().get(0).endingHashKey());
    assertEquals(BigInteger.TEN, plan.created().get(1).startingHashKey());
    assertEquals(1, plan.additionalOpenShards());
  }

  @Test
  void merge_makes_one_child_with_both_parents() {
    ReshardPlan plan = ReshardPlan.merge(stream(3), 1, 2);
    ShardMeta child = plan.created().get(0);
    assertEquals(3, child.index());
    assertEquals(1, child.parentIndex());
    assertEquals(2, child.adjacentParentIndex());
    assertEquals(-1, plan.additionalOpenShards());
  }

  @Test
  void merge_refuses_a_pair_given_in_the_wrong_order_as_kinesis_does() {
    KinesisException.InvalidArgument e = assertThrows(KinesisException.InvalidArgument.class,
        () -> ReshardPlan.merge(stream(3), 2, 1));
    assertEquals("Shards shardId-000000000002 and shardId-000000000001 in stream s under account 000000000000 are "
        + "not an adjacent pair of shards eligible for merging", e.getMessage());
  }
}
