package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.kinesis.model.DescribeLimitsResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsRequest;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.StreamDescription;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.StreamSummary;

/**
 * The stream lifecycle and shard listing through the AWS SDK, in all four client flavors: CreateStream,
 * DeleteStream, DescribeStream, DescribeStreamSummary, ListStreams (with the SDK paginator), ListShards (pages and
 * every ShardFilter), DescribeLimits, and the errors AWS gives for unknown and existing streams.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class CompatStreamsIT extends CompatSuite {

  private String name(String base) {
    return base + "-" + flavor.name().toLowerCase().replace('_', '-');
  }

  @Test
  void the_client_speaks_the_intended_wire_format_and_gets_it_back() {
    kinesis.listStreams();
    assertEquals(flavor.contentType(), client.lastRequestContentType());
    assertEquals(flavor.contentType(), client.lastResponseContentType());
  }

  @Test
  void a_provisioned_stream_gets_the_requested_shards_with_even_hash_ranges() {
    String stream = name("provisioned");
    Instant before = Instant.now().minusSeconds(1);
    kinesis.createStream(r -> r.streamName(stream).shardCount(3));
    client.awaitActive(stream);

    StreamDescription d = kinesis.describeStream(r -> r.streamName(stream)).streamDescription();
    assertEquals(stream, d.streamName());
    assertEquals("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream, d.streamARN());
    assertEquals(StreamStatus.ACTIVE, d.streamStatus());
    assertEquals(StreamMode.PROVISIONED, d.streamModeDetails().streamMode());
    assertEquals(24, d.retentionPeriodHours());
    assertFalse(d.hasMoreShards());
    assertTrue(d.streamCreationTimestamp().isAfter(before) && d.streamCreationTimestamp().isBefore(Instant.now()));
    assertEquals(3, d.shards().size());
    for (int i = 0; i < 3; i++) {
      Shard s = d.shards().get(i);
      assertEquals(HashKeys.shardId(i), s.shardId());
      assertEquals(HashKeys.start(i, 3).toString(), s.hashKeyRange().startingHashKey());
      assertEquals(HashKeys.start(i + 1, 3).subtract(BigInteger.ONE).toString(), s.hashKeyRange().endingHashKey());
      assertNotNull(s.sequenceNumberRange().startingSequenceNumber());
      assertNull(s.sequenceNumberRange().endingSequenceNumber(), "an open shard has no ending sequence number");
      assertNull(s.parentShardId());
    }
    assertEquals("340282366920938463463374607431768211455", d.shards().get(2).hashKeyRange().endingHashKey());
  }

  @Test
  void an_on_demand_stream_starts_with_four_shards() {
    String stream = name("on-demand");
    kinesis.createStream(r -> r.streamName(stream).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    client.awaitActive(stream);

    StreamDescriptionSummary s = kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary();
    assertEquals(StreamMode.ON_DEMAND, s.streamModeDetails().streamMode());
    assertEquals(4, s.openShardCount());
    assertEquals(4, kinesis.listShards(r -> r.streamName(stream)).shards().size());
  }

  @Test
  void creating_a_stream_that_exists_is_refused_with_resource_in_use() {
    String stream = name("twice");
    client.createActiveStream(stream, 1);
    ResourceInUseException e = assertThrows(ResourceInUseException.class,
        () -> kinesis.createStream(r -> r.streamName(stream).shardCount(1)));
    assertEquals("Stream " + stream + " under account " + ACCOUNT + " already exists.",
        e.awsErrorDetails().errorMessage());
    assertEquals(400, e.statusCode());
  }

  @Test
  void an_unknown_stream_is_refused_with_resource_not_found_in_aws_words() {
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> kinesis.describeStream(r -> r.streamName("x")));
    assertEquals("Stream x under account " + ACCOUNT + " not found.", e.awsErrorDetails().errorMessage());
    assertEquals("ResourceNotFoundException", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
    assertThrows(ResourceNotFoundException.class, () -> kinesis.describeStreamSummary(r -> r.streamName("x")));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.listShards(r -> r.streamName("x")));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.deleteStream(r -> r.streamName("x")));
  }

  @Test
  void a_deleted_stream_disappears_and_its_name_can_be_used_again() {
    String stream = name("deleted");
    client.createActiveStream(stream, 2);
    kinesis.deleteStream(r -> r.streamName(stream));
    client.awaitGone(stream);
    assertFalse(kinesis.listStreams(r -> r.limit(100)).streamNames().contains(stream));

    client.createActiveStream(stream, 1);
    assertEquals(1, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .openShardCount());
  }

  @Test
  void describe_stream_pages_shards_with_limit_and_exclusive_start_shard_id() {
    String stream = name("describe-pages");
    client.createActiveStream(stream, 5);

    DescribeStreamResponse first = kinesis.describeStream(r -> r.streamName(stream).limit(2));
    assertEquals(List.of(HashKeys.shardId(0), HashKeys.shardId(1)), ids(first.streamDescription().shards()));
    assertTrue(first.streamDescription().hasMoreShards());

    DescribeStreamResponse second = kinesis.describeStream(r -> r.streamName(stream).limit(2)
        .exclusiveStartShardId(HashKeys.shardId(1)));
    assertEquals(List.of(HashKeys.shardId(2), HashKeys.shardId(3)), ids(second.streamDescription().shards()));
    assertTrue(second.streamDescription().hasMoreShards());

    DescribeStreamResponse last = kinesis.describeStream(r -> r.streamName(stream).limit(2)
        .exclusiveStartShardId(HashKeys.shardId(3)));
    assertEquals(List.of(HashKeys.shardId(4)), ids(last.streamDescription().shards()));
    assertFalse(last.streamDescription().hasMoreShards());
  }

  @Test
  void describe_stream_summary_reports_open_shards_and_default_settings() {
    String stream = name("summary");
    client.createActiveStream(stream, 3);

    StreamDescriptionSummary s = kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary();
    assertEquals(stream, s.streamName());
    assertEquals("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream, s.streamARN());
    assertEquals(StreamStatus.ACTIVE, s.streamStatus());
    assertEquals(3, s.openShardCount());
    assertEquals(24, s.retentionPeriodHours());
    assertEquals("NONE", s.encryptionTypeAsString());
    assertEquals(1, s.enhancedMonitoring().size());
    assertEquals(List.<MetricsName>of(), s.enhancedMonitoring().get(0).shardLevelMetrics());
    assertEquals(1024, s.maxRecordSizeInKiB());
  }

  /** With no creation or deletion delay (the default), the transition is over when the call answers. */
  @Test
  void with_no_delay_a_stream_is_active_when_create_stream_answers_and_gone_when_delete_stream_answers() {
    for (int i = 0; i < 10; i++) {
      String stream = name("instant-" + i);
      kinesis.createStream(r -> r.streamName(stream).shardCount(2));
      assertEquals(StreamStatus.ACTIVE, kinesis.describeStreamSummary(r -> r.streamName(stream))
          .streamDescriptionSummary().streamStatus());
      kinesis.deleteStream(r -> r.streamName(stream));
      assertThrows(ResourceNotFoundException.class, () -> kinesis.describeStreamSummary(r -> r.streamName(stream)));
    }
  }

  @Test
  void the_sdk_list_streams_paginator_walks_every_stream_in_small_pages() {
    for (int i = 0; i < 5; i++) {
      client.createActiveStream(name("paged-" + i), 1);
    }
    List<String> everything = kinesis.listStreams(r -> r.limit(100)).streamNames();

    List<ListStreamsResponse> pages = client.listStreamsPages(ListStreamsRequest.builder().limit(2).build());
    List<String> walked = new ArrayList<>();
    for (int p = 0; p < pages.size(); p++) {
      ListStreamsResponse page = pages.get(p);
      assertTrue(page.streamNames().size() <= 2, "page " + p + " has " + page.streamNames());
      assertEquals(p < pages.size() - 1, page.hasMoreStreams(), "HasMoreStreams of page " + p);
      assertEquals(page.streamNames(), page.streamSummaries().stream().map(StreamSummary::streamName).toList());
      walked.addAll(page.streamNames());
    }
    assertTrue(pages.size() >= 3, "5 streams in pages of 2 take at least 3 pages, got " + pages.size());
    assertEquals(everything, walked);
    assertEquals(walked.stream().sorted().toList(), walked, "streams are listed by name");
    for (int i = 0; i < 5; i++) {
      assertTrue(walked.contains(name("paged-" + i)));
    }
  }

  /**
   * AWS's API reference for ListStreams: Limit is valid from 1 to 10000, and "if you specify a value greater than 100,
   * at most 100 results are returned". So Limit 1000 is accepted and answers 100 names, HasMoreStreams and a
   * NextToken that leads on to the rest.
   */
  @Test
  void list_streams_accepts_a_limit_up_to_ten_thousand_and_answers_at_most_a_hundred_names_a_call() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 105; i++) {
      String stream = name(String.format("many-%03d", i));
      kinesis.createStream(r -> r.streamName(stream).shardCount(1));
      created.add(stream);
    }
    ListStreamsResponse first = kinesis.listStreams(r -> r.limit(1000));
    assertEquals(100, first.streamNames().size());
    assertTrue(first.hasMoreStreams());
    assertNotNull(first.nextToken());
    List<String> all = new ArrayList<>(first.streamNames());
    String token = first.nextToken();
    while (token != null) {
      String next = token;
      ListStreamsResponse page = kinesis.listStreams(r -> r.nextToken(next));
      assertTrue(page.streamNames().size() <= 100);
      all.addAll(page.streamNames());
      token = page.nextToken();
    }
    assertTrue(all.containsAll(created), "every stream is listed across the pages");
    assertEquals(100, kinesis.listStreams(r -> r.limit(10000)).streamNames().size());
    software.amazon.awssdk.services.kinesis.model.KinesisException tooMany = assertThrows(
        software.amazon.awssdk.services.kinesis.model.KinesisException.class,
        () -> kinesis.listStreams(r -> r.limit(10001)));
    assertEquals("ValidationException", tooMany.awsErrorDetails().errorCode());
    created.forEach(stream -> kinesis.deleteStream(r -> r.streamName(stream)));
  }

  @Test
  void list_streams_reports_summaries_and_resumes_after_an_exclusive_start_stream_name() {
    String a = name("summaries-a");
    String b = name("summaries-b");
    client.createActiveStream(a, 1);
    client.createActiveStream(b, 2);

    ListStreamsResponse after = kinesis.listStreams(r -> r.exclusiveStartStreamName(a).limit(1));
    assertEquals(List.of(b), after.streamNames());
    StreamSummary summary = after.streamSummaries().get(0);
    assertEquals("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + b, summary.streamARN());
    assertEquals(StreamStatus.ACTIVE, summary.streamStatus());
    assertEquals(StreamMode.PROVISIONED, summary.streamModeDetails().streamMode());
    assertNotNull(summary.streamCreationTimestamp());
  }

  @Test
  void list_streams_refuses_a_garbage_next_token() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> kinesis.listStreams(r -> r.nextToken("bm90IGEgdG9rZW4=")));
    assertEquals("Invalid NextToken.", e.awsErrorDetails().errorMessage());
  }

  @Test
  void list_shards_pages_with_a_next_token_that_is_sent_alone() {
    String stream = name("shard-pages");
    client.createActiveStream(stream, 5);

    List<String> seen = new ArrayList<>();
    ListShardsResponse page = kinesis.listShards(r -> r.streamName(stream).maxResults(2));
    int pages = 1;
    seen.addAll(ids(page.shards()));
    assertEquals(2, page.shards().size());
    while (page.nextToken() != null) {
      String token = page.nextToken();
      page = kinesis.listShards(r -> r.nextToken(token));
      pages++;
      assertTrue(page.shards().size() <= 2);
      seen.addAll(ids(page.shards()));
    }
    assertEquals(3, pages);
    assertEquals(List.of(HashKeys.shardId(0), HashKeys.shardId(1), HashKeys.shardId(2), HashKeys.shardId(3),
        HashKeys.shardId(4)), seen);
  }

  @Test
  void list_shards_refuses_a_next_token_together_with_a_stream_name() {
    String stream = name("token-and-name");
    client.createActiveStream(stream, 3);
    String token = kinesis.listShards(r -> r.streamName(stream).maxResults(1)).nextToken();
    assertNotNull(token);

    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> kinesis.listShards(r -> r.streamName(stream).nextToken(token)));
    assertEquals("NextToken and StreamName cannot be provided together.", e.awsErrorDetails().errorMessage());
  }

  @Test
  void list_shards_refuses_a_garbage_next_token() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> kinesis.listShards(r -> r.nextToken("garbage-token")));
    assertEquals("Invalid NextToken.", e.awsErrorDetails().errorMessage());
  }

  @Test
  void list_shards_honours_every_shard_filter_type_on_an_unresharded_stream() {
    String stream = name("filters");
    client.createActiveStream(stream, 3);
    Instant created = kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .streamCreationTimestamp();
    List<String> all = List.of(HashKeys.shardId(0), HashKeys.shardId(1), HashKeys.shardId(2));

    assertEquals(all, ids(kinesis.listShards(r -> r.streamName(stream)).shards()));
    assertEquals(all, filtered(stream, ShardFilterType.AT_LATEST, null, null));
    assertEquals(all, filtered(stream, ShardFilterType.AT_TRIM_HORIZON, null, null));
    assertEquals(all, filtered(stream, ShardFilterType.FROM_TRIM_HORIZON, null, null));
    assertEquals(List.of(HashKeys.shardId(1), HashKeys.shardId(2)),
        filtered(stream, ShardFilterType.AFTER_SHARD_ID, HashKeys.shardId(0), null));
    assertEquals(List.of(), filtered(stream, ShardFilterType.AFTER_SHARD_ID, HashKeys.shardId(2), null));
    assertEquals(all, filtered(stream, ShardFilterType.AT_TIMESTAMP, null, Instant.now()));
    assertEquals(all, filtered(stream, ShardFilterType.FROM_TIMESTAMP, null, created));
  }

  @Test
  void list_shards_accepts_exclusive_start_shard_id_and_refuses_a_filter_missing_its_shard_id() {
    String stream = name("exclusive-start");
    client.createActiveStream(stream, 3);
    assertEquals(List.of(HashKeys.shardId(2)),
        ids(kinesis.listShards(r -> r.streamName(stream).exclusiveStartShardId(HashKeys.shardId(1))).shards()));
    assertThrows(InvalidArgumentException.class, () -> kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AFTER_SHARD_ID))));
  }

  @Test
  void a_stream_arn_is_accepted_in_place_of_the_stream_name() {
    String stream = name("by-arn");
    client.createActiveStream(stream, 2);
    String arn = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream;

    assertEquals(stream, kinesis.describeStreamSummary(r -> r.streamARN(arn)).streamDescriptionSummary()
        .streamName());
    assertEquals(stream, kinesis.describeStream(r -> r.streamARN(arn)).streamDescription().streamName());
    assertEquals(2, kinesis.listShards(r -> r.streamARN(arn)).shards().size());
    kinesis.deleteStream(r -> r.streamARN(arn));
    client.awaitGone(stream);
  }

  @Test
  void describe_limits_counts_the_open_shards_of_the_account() {
    DescribeLimitsResponse before = kinesis.describeLimits();
    assertEquals(1000, before.shardLimit());
    assertEquals(50, before.onDemandStreamCountLimit());

    client.createActiveStream(name("limits"), 2);
    kinesis.createStream(r -> r.streamName(name("limits-on-demand"))
        .streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    client.awaitActive(name("limits-on-demand"));

    DescribeLimitsResponse after = kinesis.describeLimits();
    assertEquals(before.openShardCount() + 6, after.openShardCount());
    assertEquals(before.onDemandStreamCount() + 1, after.onDemandStreamCount());
  }

  private List<String> filtered(String stream, ShardFilterType type, String shardId, Instant timestamp) {
    return ids(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(type).shardId(shardId).timestamp(timestamp))).shards());
  }

  private static List<String> ids(List<Shard> shards) {
    return shards.stream().map(Shard::shardId).toList();
  }
}
