package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.UpdateShardCountResponse;

/**
 * SplitShard, MergeShards and UpdateShardCount through the AWS SDK, in all four client flavors: lineage, closed
 * parents with EndingSequenceNumber, children's sequence numbers above their parents', GetRecords' ChildShards at
 * the end of a closed shard, ListShards filters before and after, and each refusal in AWS's words.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class ReshardIT extends CompatSuite {

  static final BigInteger HALF = BigInteger.ONE.shiftLeft(127);
  static final String MAX_HASH = "340282366920938463463374607431768211455";

  private static Map<String, Shard> shards(String stream) {
    return kinesis.listShards(r -> r.streamName(stream)).shards().stream()
        .collect(Collectors.toMap(Shard::shardId, Function.identity()));
  }

  private static String id(int index) {
    return String.format("shardId-%012d", index);
  }

  private static List<String> filtered(String stream, Function<
      software.amazon.awssdk.services.kinesis.model.ShardFilter.Builder,
      software.amazon.awssdk.services.kinesis.model.ShardFilter.Builder> filter) {
    return kinesis.listShards(r -> r.streamName(stream).shardFilter(f -> filter.apply(f))).shards().stream()
        .map(Shard::shardId).sorted().toList();
  }

  @Test
  void split_shard_closes_the_parent_and_opens_two_children_whose_sequence_numbers_are_greater() {
    String stream = "split-" + flavor.ordinal();
    client.createActiveStream(stream, 1);
    PutRecordResponse before = kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("before")));

    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey(HALF.toString()));
    client.awaitActive(stream);

    Map<String, Shard> shards = shards(stream);
    assertEquals(3, shards.size());
    Shard parent = shards.get(id(0));
    assertNotNull(parent.sequenceNumberRange().endingSequenceNumber());
    assertTrue(new BigInteger(parent.sequenceNumberRange().endingSequenceNumber())
        .compareTo(new BigInteger(before.sequenceNumber())) >= 0, "the parent ends at or after its last record");
    Shard low = shards.get(id(1));
    Shard high = shards.get(id(2));
    assertEquals(id(0), low.parentShardId());
    assertNull(low.adjacentParentShardId());
    assertEquals("0", low.hashKeyRange().startingHashKey());
    assertEquals(HALF.subtract(BigInteger.ONE).toString(), low.hashKeyRange().endingHashKey());
    assertEquals(HALF.toString(), high.hashKeyRange().startingHashKey());
    assertEquals(MAX_HASH, high.hashKeyRange().endingHashKey());
    assertEquals(id(0), high.parentShardId());

    PutRecordResponse after = kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("after")));
    assertTrue(after.shardId().equals(id(1)) || after.shardId().equals(id(2)), after.shardId());
    assertTrue(new BigInteger(after.sequenceNumber()).compareTo(new BigInteger(before.sequenceNumber())) > 0);
    assertTrue(new BigInteger(low.sequenceNumberRange().startingSequenceNumber())
        .compareTo(new BigInteger(parent.sequenceNumberRange().endingSequenceNumber())) > 0);

    String it = kinesis.getShardIterator(r -> r.streamName(stream).shardId(id(0))
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    GetRecordsResponse end = kinesis.getRecords(r -> r.shardIterator(it));
    assertEquals(List.of("before"), end.records().stream().map(rec -> rec.data().asUtf8String()).toList());
    assertNull(end.nextShardIterator());
    assertEquals(List.of(id(1), id(2)), end.childShards().stream().map(ChildShard::shardId).sorted().toList());
    assertEquals(List.of(id(0)), end.childShards().get(0).parentShards());
  }

  @Test
  void merge_shards_closes_both_parents_and_opens_one_child_covering_both_ranges() {
    String stream = "merge-" + flavor.ordinal();
    client.createActiveStream(stream, 2);
    kinesis.mergeShards(r -> r.streamName(stream).shardToMerge(id(0)).adjacentShardToMerge(id(1)));
    client.awaitActive(stream);

    Map<String, Shard> shards = shards(stream);
    assertEquals(3, shards.size());
    Shard child = shards.get(id(2));
    assertEquals(id(0), child.parentShardId());
    assertEquals(id(1), child.adjacentParentShardId());
    assertEquals("0", child.hashKeyRange().startingHashKey());
    assertEquals(MAX_HASH, child.hashKeyRange().endingHashKey());
    assertNotNull(shards.get(id(0)).sequenceNumberRange().endingSequenceNumber());
    assertNotNull(shards.get(id(1)).sequenceNumberRange().endingSequenceNumber());
    assertNull(child.sequenceNumberRange().endingSequenceNumber());
    assertEquals(id(2), kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("x"))).shardId());

    String it = kinesis.getShardIterator(r -> r.streamName(stream).shardId(id(0))
        .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
    GetRecordsResponse end = kinesis.getRecords(r -> r.shardIterator(it));
    assertNull(end.nextShardIterator());
    assertEquals(List.of(id(2)), end.childShards().stream().map(ChildShard::shardId).toList());
    assertEquals(List.of(id(0), id(1)), end.childShards().get(0).parentShards());
  }

  @Test
  void update_shard_count_scales_uniformly_up_and_down_with_new_ids_and_lineage() {
    String stream = "scale-" + flavor.ordinal();
    client.createActiveStream(stream, 2);
    UpdateShardCountResponse up = kinesis.updateShardCount(r -> r.streamName(stream).targetShardCount(4)
        .scalingType(ScalingType.UNIFORM_SCALING));
    assertEquals(2, up.currentShardCount());
    assertEquals(4, up.targetShardCount());
    assertEquals(stream, up.streamName());
    client.awaitActive(stream);
    List<Shard> open = kinesis.listShards(r -> r.streamName(stream).shardFilter(f -> f.type(ShardFilterType.AT_LATEST)))
        .shards();
    assertEquals(List.of(id(2), id(3), id(4), id(5)), open.stream().map(Shard::shardId).sorted().toList());
    for (int i = 0; i < 4; i++) {
      BigInteger start = BigInteger.ONE.shiftLeft(128).multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(4));
      Shard s = open.stream().filter(x -> x.hashKeyRange().startingHashKey().equals(start.toString())).findFirst()
          .orElseThrow(() -> new AssertionError("no open shard starts at " + start));
      assertNotNull(s.parentShardId());
    }

    kinesis.updateShardCount(r -> r.streamName(stream).targetShardCount(3).scalingType(ScalingType.UNIFORM_SCALING));
    client.awaitActive(stream);
    List<Shard> three = kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AT_LATEST))).shards();
    assertEquals(3, three.size());
    List<String> starts = three.stream().map(s -> s.hashKeyRange().startingHashKey()).sorted(
        (a, b) -> new BigInteger(a).compareTo(new BigInteger(b))).toList();
    for (int i = 0; i < 3; i++) {
      BigInteger start = BigInteger.ONE.shiftLeft(128).multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(3));
      assertEquals(start.toString(), starts.get(i));
    }
    assertTrue(three.stream().allMatch(s -> s.parentShardId() != null));
    Map<String, Shard> all = shards(stream);
    assertTrue(all.keySet().stream().allMatch(k -> k.compareTo(id(all.size())) < 0), "ids continue the counter");
    assertEquals(3, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .openShardCount());
  }

  @Test
  void list_shards_filters_give_the_parent_before_and_the_children_after_a_split() throws Exception {
    String stream = "filters-" + flavor.ordinal();
    client.createActiveStream(stream, 1);
    Instant beforeSplit = Instant.now();
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey(HALF.toString()));
    client.awaitActive(stream);
    List<String> children = List.of(id(1), id(2));
    List<String> all = List.of(id(0), id(1), id(2));
    assertEquals(children, filtered(stream, f -> f.type(ShardFilterType.AT_LATEST)));
    assertEquals(List.of(id(0)), filtered(stream, f -> f.type(ShardFilterType.AT_TRIM_HORIZON)));
    assertEquals(all, filtered(stream, f -> f.type(ShardFilterType.FROM_TRIM_HORIZON)));
    assertEquals(List.of(id(0)), filtered(stream, f -> f.type(ShardFilterType.AT_TIMESTAMP).timestamp(beforeSplit)));
    assertEquals(all, filtered(stream, f -> f.type(ShardFilterType.FROM_TIMESTAMP).timestamp(beforeSplit)));
    assertEquals(children, filtered(stream, f -> f.type(ShardFilterType.AFTER_SHARD_ID).shardId(id(0))));
    Instant muchLater = Instant.now().plusSeconds(5);
    assertEquals(children, filtered(stream, f -> f.type(ShardFilterType.AT_TIMESTAMP).timestamp(muchLater)));
    assertEquals(children, filtered(stream, f -> f.type(ShardFilterType.FROM_TIMESTAMP).timestamp(muchLater)));
  }

  @Test
  void split_refusals_use_aws_wording() {
    String stream = "split-errors-" + flavor.ordinal();
    client.createActiveStream(stream, 1);
    InvalidArgumentException small = assertThrows(InvalidArgumentException.class, () -> kinesis.splitShard(
        r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey("1")));
    assertEquals("NewStartingHashKey 1 used in SplitShard() on shard " + id(0) + " in stream " + stream
        + " under account " + ACCOUNT + " is not both greater than one plus the shard's StartingHashKey 0 and less "
        + "than the shard's EndingHashKey " + MAX_HASH + ".", small.awsErrorDetails().errorMessage());
    assertThrows(InvalidArgumentException.class, () -> kinesis.splitShard(
        r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey(MAX_HASH)));
    ResourceNotFoundException unknown = assertThrows(ResourceNotFoundException.class, () -> kinesis.splitShard(
        r -> r.streamName(stream).shardToSplit(id(5)).newStartingHashKey("2")));
    assertEquals("Could not find shard " + id(5) + " in stream " + stream + " under account " + ACCOUNT + ".",
        unknown.awsErrorDetails().errorMessage());

    kinesis.splitShard(r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey("2"));
    client.awaitActive(stream);
    InvalidArgumentException closed = assertThrows(InvalidArgumentException.class, () -> kinesis.splitShard(
        r -> r.streamName(stream).shardToSplit(id(0)).newStartingHashKey("5")));
    assertEquals("Shard " + id(0) + " in stream " + stream + " under account " + ACCOUNT + " has already been "
        + "merged or split, and thus is not eligible for splitting.", closed.awsErrorDetails().errorMessage());
  }

  @Test
  void merge_of_shards_that_are_not_adjacent_is_refused_in_aws_words() {
    String stream = "merge-errors-" + flavor.ordinal();
    client.createActiveStream(stream, 3);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> kinesis.mergeShards(
        r -> r.streamName(stream).shardToMerge(id(0)).adjacentShardToMerge(id(2))));
    assertEquals("Shards " + id(0) + " and " + id(2) + " in stream " + stream + " under account " + ACCOUNT
        + " are not an adjacent pair of shards eligible for merging", e.awsErrorDetails().errorMessage());
    assertThrows(ResourceNotFoundException.class, () -> kinesis.mergeShards(
        r -> r.streamName(stream).shardToMerge(id(0)).adjacentShardToMerge(id(9))));
    assertEquals(3, shards(stream).size());
  }

  @Test
  void update_shard_count_is_refused_for_an_on_demand_stream() {
    String stream = "on-demand-scale-" + flavor.ordinal();
    kinesis.createStream(r -> r.streamName(stream).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    client.awaitActive(stream);
    InvalidArgumentException refused = assertThrows(InvalidArgumentException.class, () -> kinesis.updateShardCount(
        r -> r.streamName(stream).targetShardCount(8).scalingType(ScalingType.UNIFORM_SCALING)));
    assertTrue(refused.awsErrorDetails().errorMessage().startsWith("UpdateShardCount is only supported for streams "
        + "in PROVISIONED mode"), refused.awsErrorDetails().errorMessage());
    assertEquals(4, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .openShardCount());
  }

  @Test
  void update_shard_count_beyond_double_or_below_half_is_refused_in_aws_words() {
    String stream = "scale-errors-" + flavor.ordinal();
    client.createActiveStream(stream, 2);
    LimitExceededException up = assertThrows(LimitExceededException.class, () -> kinesis.updateShardCount(
        r -> r.streamName(stream).targetShardCount(5).scalingType(ScalingType.UNIFORM_SCALING)));
    assertEquals("UpdateShardCount cannot scale up over double your current open shard count. Current open shard "
        + "count: 2, Target shard count: 5", up.awsErrorDetails().errorMessage());
    kinesis.updateShardCount(r -> r.streamName(stream).targetShardCount(4).scalingType(ScalingType.UNIFORM_SCALING));
    client.awaitActive(stream);
    LimitExceededException down = assertThrows(LimitExceededException.class, () -> kinesis.updateShardCount(
        r -> r.streamName(stream).targetShardCount(1).scalingType(ScalingType.UNIFORM_SCALING)));
    assertEquals("UpdateShardCount cannot scale down below half your current open shard count. Current open shard "
        + "count: 4, Target shard count: 1", down.awsErrorDetails().errorMessage());
  }
}
