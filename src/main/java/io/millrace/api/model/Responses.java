package io.millrace.api.model;

import java.time.Instant;
import java.util.List;

/**
 * The Kinesis response shapes, named exactly as in the AWS model. Null members are omitted on the wire.
 * See {@link Requests} for why they share one file.
 */
public final class Responses {

  private Responses() {}

  /** Operations whose output is empty answer with {@code {}}. */
  public record Empty() {
    public static final Empty INSTANCE = new Empty();
  }

  public record UpdateShardCountOutput(String streamName, Integer currentShardCount, Integer targetShardCount,
                                       String streamARN) {}

  public record HashKeyRange(String startingHashKey, String endingHashKey) {}

  public record SequenceNumberRange(String startingSequenceNumber, String endingSequenceNumber) {}

  public record Shard(String shardId, String parentShardId, String adjacentParentShardId, HashKeyRange hashKeyRange,
                      SequenceNumberRange sequenceNumberRange) {}

  public record ChildShard(String shardId, List<String> parentShards, HashKeyRange hashKeyRange) {}

  public record StreamModeDetails(String streamMode) {}

  public record EnhancedMetrics(List<String> shardLevelMetrics) {}

  public record WarmThroughput(Integer targetMiBps, Integer currentMiBps) {}

  public record StreamDescription(String streamName, String streamARN, String streamStatus,
                                  StreamModeDetails streamModeDetails, List<Shard> shards, boolean hasMoreShards,
                                  int retentionPeriodHours, Instant streamCreationTimestamp,
                                  List<EnhancedMetrics> enhancedMonitoring, String encryptionType, String keyId) {}

  public record DescribeStreamResponse(StreamDescription streamDescription) {}

  public record StreamDescriptionSummary(String streamName, String streamARN, String streamStatus,
                                         StreamModeDetails streamModeDetails, int retentionPeriodHours,
                                         Instant streamCreationTimestamp, List<EnhancedMetrics> enhancedMonitoring,
                                         String encryptionType, String keyId, int openShardCount,
                                         int consumerCount, WarmThroughput warmThroughput,
                                         int maxRecordSizeInKiB) {}

  public record DescribeStreamSummaryResponse(StreamDescriptionSummary streamDescriptionSummary) {}

  public record StreamSummary(String streamName, String streamARN, String streamStatus,
                              StreamModeDetails streamModeDetails, Instant streamCreationTimestamp) {}

  public record ListStreamsResponse(List<String> streamNames, boolean hasMoreStreams, String nextToken,
                                    List<StreamSummary> streamSummaries) {}

  public record ListShardsResponse(List<Shard> shards, String nextToken) {}

  public record PutRecordResponse(String shardId, String sequenceNumber, String encryptionType) {}

  public record PutRecordsResultEntry(String sequenceNumber, String shardId, String errorCode, String errorMessage) {}

  public record PutRecordsResponse(int failedRecordCount, List<PutRecordsResultEntry> records,
                                   String encryptionType) {}

  public record GetShardIteratorResponse(String shardIterator) {}

  public record Record(String sequenceNumber, Instant approximateArrivalTimestamp, byte[] data, String partitionKey,
                       String encryptionType) {}

  public record GetRecordsResponse(List<Record> records, String nextShardIterator, long millisBehindLatest,
                                   List<ChildShard> childShards) {}

  public record Tag(String key, String value) {}

  public record ListTagsForStreamResponse(List<Tag> tags, boolean hasMoreTags) {}

  public record ListTagsForResourceResponse(List<Tag> tags) {}

  public record DescribeLimitsResponse(int shardLimit, int openShardCount, int onDemandStreamCount,
                                       int onDemandStreamCountLimit) {}

  public record EnhancedMonitoringOutput(String streamName, List<String> currentShardLevelMetrics,
                                         List<String> desiredShardLevelMetrics, String streamARN) {}

  public record GetResourcePolicyResponse(String policy) {}

  public record MinimumThroughputBillingCommitmentOutput(String status, Instant startedAt, Instant endedAt,
                                                          Instant earliestAllowedEndAt) {}

  public record AccountSettingsResponse(MinimumThroughputBillingCommitmentOutput minimumThroughputBillingCommitment) {}

  public record Consumer(String consumerName, String consumerARN, String consumerStatus,
                         Instant consumerCreationTimestamp) {}

  public record RegisterStreamConsumerResponse(Consumer consumer) {}

  public record ConsumerDescription(String consumerName, String consumerARN, String consumerStatus,
                                    Instant consumerCreationTimestamp, String streamARN) {}

  public record DescribeStreamConsumerResponse(ConsumerDescription consumerDescription) {}

  public record ListStreamConsumersResponse(List<Consumer> consumers, String nextToken) {}

  /** One event of a SubscribeToShard event stream (its payload, in JSON). */
  public record SubscribeToShardEvent(List<Record> records, String continuationSequenceNumber,
                                      long millisBehindLatest, List<ChildShard> childShards) {}
}
