package io.millrace.api.model;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The Kinesis request shapes, named and ordered exactly as in the AWS model, each declaring its syntactic
 * constraints once. Jackson binds them from JSON and CBOR (member names in PascalCase, see
 * {@link io.millrace.api.codec.Mappers}). State checks (stream exists, is ACTIVE...) are not here: they belong to the
 * core.
 *
 * <p>Design note: the shapes live as nested records of two namespaces ({@code Requests}, {@code Responses}) rather
 * than 70 files: each is a few lines and they are read together against the AWS model.
 */
public final class Requests {

  private Requests() {}

  /** ShardIteratorType's values in the order Kinesis lists them in its validation message. */
  static final List<String> SHARD_ITERATOR_TYPES = List.of("AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP",
      "AT_SEQUENCE_NUMBER", "TRIM_HORIZON");

  static final List<String> SHARD_LEVEL_METRICS = List.of("IncomingBytes", "IncomingRecords", "OutgoingBytes",
      "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
      "IteratorAgeMilliseconds", "ALL");

  /** A request that names a stream by StreamName and/or StreamARN. */
  public interface StreamScoped {
    String streamName();

    String streamARN();
  }

  public record StreamModeDetails(String streamMode) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("streamModeDetails.streamMode", streamMode)) {
        v.oneOf("streamModeDetails.streamMode", streamMode, List.of("PROVISIONED", "ON_DEMAND"));
      }
    }
  }

  public record CreateStreamRequest(String streamName, Integer shardCount, StreamModeDetails streamModeDetails,
                                    Map<String, String> tags, Integer warmThroughputMiBps,
                                    Integer maxRecordSizeInKiB) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("streamName", streamName)) {
        v.streamName("streamName", streamName);
      }
      v.range("shardCount", shardCount, 1, 100000);
      if (streamModeDetails != null) {
        streamModeDetails.validate(v);
      }
      v.size("tags", tags, 0, 200).mapLengths("tags", tags, 1, 128, 0, 256);
      v.range("warmThroughputMiBps", warmThroughputMiBps, 0, Integer.MAX_VALUE);
      v.range("maxRecordSizeInKiB", maxRecordSizeInKiB, 1024, 10240);
    }
  }

  public record DeleteStreamRequest(String streamName, Boolean enforceConsumerDeletion, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName).streamArn("streamARN", streamARN);
    }
  }

  public record DescribeStreamRequest(String streamName, Integer limit, String exclusiveStartShardId,
                                      String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName).range("limit", limit, 1, 10000)
          .string("exclusiveStartShardId", exclusiveStartShardId, 1, 128, Validator.NAME_PATTERN)
          .streamArn("streamARN", streamARN);
    }
  }

  public record DescribeStreamSummaryRequest(String streamName, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName).streamArn("streamARN", streamARN);
    }
  }

  public record ListStreamsRequest(Integer limit, String exclusiveStartStreamName, String nextToken)
      implements Validated {
    @Override
    public void validate(Validator v) {
      v.range("limit", limit, 1, 10000).streamName("exclusiveStartStreamName", exclusiveStartStreamName)
          .string("nextToken", nextToken, 1, 1048576, null);
    }
  }

  public record ShardFilter(String type, String shardId, Instant timestamp) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("shardFilter.type", type)) {
        v.oneOf("shardFilter.type", type, List.of("AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
            "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"));
      }
      v.string("shardFilter.shardId", shardId, 1, 128, Validator.NAME_PATTERN);
    }
  }

  public record ListShardsRequest(String streamName, String nextToken, String exclusiveStartShardId,
                                  Integer maxResults, Instant streamCreationTimestamp, ShardFilter shardFilter,
                                  String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName).string("nextToken", nextToken, 1, 1048576, null)
          .string("exclusiveStartShardId", exclusiveStartShardId, 1, 128, Validator.NAME_PATTERN)
          .range("maxResults", maxResults, 1, 10000);
      if (shardFilter != null) {
        shardFilter.validate(v);
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  public record PutRecordRequest(String streamName, byte[] data, String partitionKey, String explicitHashKey,
                                 String sequenceNumberForOrdering, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("data", data)) {
        v.blob("data", data, KinesisLimits.MAX_RECORD_DATA_BYTES);
      }
      v.requiredString("partitionKey", partitionKey, 1, 256, null)
          .string("explicitHashKey", explicitHashKey, 0, Integer.MAX_VALUE, Validator.HASH_KEY_PATTERN)
          .string("sequenceNumberForOrdering", sequenceNumberForOrdering, 0, 129, Validator.SEQUENCE_NUMBER_PATTERN)
          .streamArn("streamARN", streamARN);
    }
  }

  public record PutRecordsRequestEntry(byte[] data, String explicitHashKey, String partitionKey) {
    void validate(Validator v, String path) {
      if (v.required(path + ".data", data)) {
        v.blob(path + ".data", data, KinesisLimits.MAX_RECORD_DATA_BYTES);
      }
      v.string(path + ".explicitHashKey", explicitHashKey, 0, Integer.MAX_VALUE, Validator.HASH_KEY_PATTERN)
          .requiredString(path + ".partitionKey", partitionKey, 1, 256, null);
    }
  }

  public record PutRecordsRequest(List<PutRecordsRequestEntry> records, String streamName, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      if (v.required("records", records)) {
        v.size("records", records, 1, KinesisLimits.MAX_PUT_RECORDS_ENTRIES);
        for (int i = 0; i < records.size() && i < KinesisLimits.MAX_PUT_RECORDS_ENTRIES; i++) {
          PutRecordsRequestEntry e = records.get(i);
          if (v.required("records." + (i + 1) + ".member", e)) {
            e.validate(v, "records." + (i + 1) + ".member");
          }
        }
      }
      v.streamName("streamName", streamName).streamArn("streamARN", streamARN);
    }
  }

  public record GetShardIteratorRequest(String streamName, String shardId, String shardIteratorType,
                                        String startingSequenceNumber, Instant timestamp, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName)
          .requiredString("shardId", shardId, 1, 128, Validator.NAME_PATTERN);
      if (v.required("shardIteratorType", shardIteratorType)) {
        v.oneOf("shardIteratorType", shardIteratorType, SHARD_ITERATOR_TYPES);
      }
      v.string("startingSequenceNumber", startingSequenceNumber, 0, 129, Validator.SEQUENCE_NUMBER_PATTERN)
          .streamArn("streamARN", streamARN);
    }
  }

  public record GetRecordsRequest(String shardIterator, Integer limit, String streamARN) implements Validated {
    @Override
    public void validate(Validator v) {
      v.requiredString("shardIterator", shardIterator, 1, 512, null).range("limit", limit, 1, 10000)
          .streamArn("streamARN", streamARN);
    }
  }

  /** IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod. */
  public record RetentionPeriodRequest(String streamName, Integer retentionPeriodHours, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("retentionPeriodHours", retentionPeriodHours)) {
        v.range("retentionPeriodHours", retentionPeriodHours, 1, 8760);
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  public record AddTagsToStreamRequest(String streamName, Map<String, String> tags, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("tags", tags)) {
        v.size("tags", tags, 1, 200).mapLengths("tags", tags, 1, 128, 0, 256);
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  public record RemoveTagsFromStreamRequest(String streamName, List<String> tagKeys, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("tagKeys", tagKeys)) {
        v.size("tagKeys", tagKeys, 1, 50).memberLengths("tagKeys", tagKeys, 1, 128);
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  public record ListTagsForStreamRequest(String streamName, String exclusiveStartTagKey, Integer limit,
                                         String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName).string("exclusiveStartTagKey", exclusiveStartTagKey, 1, 128, null)
          .range("limit", limit, 1, 50).streamArn("streamARN", streamARN);
    }
  }

  public record TagResourceRequest(Map<String, String> tags, String resourceARN) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("tags", tags)) {
        v.size("tags", tags, 1, 200).mapLengths("tags", tags, 1, 128, 0, 256);
      }
      v.requiredString("resourceARN", resourceARN, 1, 2048, Validator.RESOURCE_ARN_PATTERN);
    }
  }

  public record UntagResourceRequest(List<String> tagKeys, String resourceARN) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("tagKeys", tagKeys)) {
        v.size("tagKeys", tagKeys, 1, 50).memberLengths("tagKeys", tagKeys, 1, 128);
      }
      v.requiredString("resourceARN", resourceARN, 1, 2048, Validator.RESOURCE_ARN_PATTERN);
    }
  }

  public record ListTagsForResourceRequest(String resourceARN) implements Validated {
    @Override
    public void validate(Validator v) {
      v.requiredString("resourceARN", resourceARN, 1, 2048, Validator.RESOURCE_ARN_PATTERN);
    }
  }

  public record RegisterStreamConsumerRequest(String streamARN, String consumerName, Map<String, String> tags)
      implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("streamARN", streamARN)) {
        v.streamArn("streamARN", streamARN);
      }
      v.requiredString("consumerName", consumerName, 1, 128, Validator.NAME_PATTERN).size("tags", tags, 0, 200)
          .mapLengths("tags", tags, 1, 128, 0, 256);
    }
  }

  /** DeregisterStreamConsumer and DescribeStreamConsumer: by ConsumerARN, or by StreamARN and ConsumerName. */
  public record StreamConsumerRequest(String streamARN, String consumerName, String consumerARN)
      implements Validated {
    @Override
    public void validate(Validator v) {
      v.streamArn("streamARN", streamARN).string("consumerName", consumerName, 1, 128, Validator.NAME_PATTERN)
          .string("consumerARN", consumerARN, 1, 2048, Validator.CONSUMER_ARN_PATTERN);
    }
  }

  public record ListStreamConsumersRequest(String streamARN, String nextToken, Integer maxResults,
                                           Instant streamCreationTimestamp) implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("streamARN", streamARN)) {
        v.streamArn("streamARN", streamARN);
      }
      v.string("nextToken", nextToken, 1, 1048576, null).range("maxResults", maxResults, 1, 10000);
    }
  }

  public record StartingPosition(String type, String sequenceNumber, Instant timestamp) {}

  public record SubscribeToShardRequest(String consumerARN, String shardId, StartingPosition startingPosition)
      implements Validated {
    @Override
    public void validate(Validator v) {
      v.requiredString("consumerARN", consumerARN, 1, 2048, Validator.CONSUMER_ARN_PATTERN)
          .requiredString("shardId", shardId, 1, 128, Validator.NAME_PATTERN);
      if (v.required("startingPosition", startingPosition)) {
        if (v.required("startingPosition.type", startingPosition.type())) {
          v.oneOf("startingPosition.type", startingPosition.type(), SHARD_ITERATOR_TYPES);
        }
        v.string("startingPosition.sequenceNumber", startingPosition.sequenceNumber(), 0, 129,
            Validator.SEQUENCE_NUMBER_PATTERN);
      }
    }
  }

  /** DescribeLimits, DescribeAccountSettings: no members. */
  public record EmptyRequest() implements Validated {
    @Override
    public void validate(Validator v) {}
  }

  /** EnableEnhancedMonitoring and DisableEnhancedMonitoring. */
  public record EnhancedMonitoringRequest(String streamName, List<String> shardLevelMetrics, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("shardLevelMetrics", shardLevelMetrics)) {
        v.size("shardLevelMetrics", shardLevelMetrics, 1, 7);
        for (int i = 0; i < shardLevelMetrics.size(); i++) {
          v.oneOf("shardLevelMetrics." + (i + 1) + ".member", shardLevelMetrics.get(i), SHARD_LEVEL_METRICS);
        }
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  /** StartStreamEncryption and StopStreamEncryption. */
  public record StreamEncryptionRequest(String streamName, String encryptionType, String keyId, String streamARN)
      implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("encryptionType", encryptionType)) {
        v.oneOf("encryptionType", encryptionType, List.of("NONE", "KMS"));
      }
      v.requiredString("keyId", keyId, 1, 2048, null).streamArn("streamARN", streamARN);
    }
  }

  public record SplitShardRequest(String streamName, String shardToSplit, String newStartingHashKey,
                                  String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName)
          .requiredString("shardToSplit", shardToSplit, 1, 128, Validator.NAME_PATTERN)
          .requiredString("newStartingHashKey", newStartingHashKey, 0, 128, Validator.HASH_KEY_PATTERN)
          .streamArn("streamARN", streamARN);
    }
  }

  public record MergeShardsRequest(String streamName, String shardToMerge, String adjacentShardToMerge,
                                   String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName)
          .requiredString("shardToMerge", shardToMerge, 1, 128, Validator.NAME_PATTERN)
          .requiredString("adjacentShardToMerge", adjacentShardToMerge, 1, 128, Validator.NAME_PATTERN)
          .streamArn("streamARN", streamARN);
    }
  }

  public record UpdateShardCountRequest(String streamName, Integer targetShardCount, String scalingType,
                                        String streamARN) implements Validated, StreamScoped {
    @Override
    public void validate(Validator v) {
      v.streamName("streamName", streamName);
      if (v.required("targetShardCount", targetShardCount)) {
        v.range("targetShardCount", targetShardCount, 1, Integer.MAX_VALUE);
      }
      if (v.required("scalingType", scalingType)) {
        v.oneOf("scalingType", scalingType, List.of("UNIFORM_SCALING"));
      }
      v.streamArn("streamARN", streamARN);
    }
  }

  public record UpdateStreamModeRequest(String streamARN, StreamModeDetails streamModeDetails,
                                        Integer warmThroughputMiBps) implements Validated, StreamScoped {
    @Override
    public String streamName() {
      return null;
    }

    @Override
    public void validate(Validator v) {
      if (v.required("streamARN", streamARN)) {
        v.streamArn("streamARN", streamARN);
      }
      if (v.required("streamModeDetails", streamModeDetails)) {
        streamModeDetails.validate(v);
      }
      v.range("warmThroughputMiBps", warmThroughputMiBps, 0, Integer.MAX_VALUE);
    }
  }

  public record UpdateMaxRecordSizeRequest(String streamARN, Integer maxRecordSizeInKiB, String streamId)
      implements Validated, StreamScoped {
    @Override
    public String streamName() {
      return null;
    }

    @Override
    public void validate(Validator v) {
      v.streamArn("streamARN", streamARN);
      if (v.required("maxRecordSizeInKiB", maxRecordSizeInKiB)) {
        v.range("maxRecordSizeInKiB", maxRecordSizeInKiB, 1024, 10240);
      }
    }
  }

  /** PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy. */
  public record ResourcePolicyRequest(String resourceARN, String policy) implements Validated {
    @Override
    public void validate(Validator v) {
      v.requiredString("resourceARN", resourceARN, 1, 2048, Validator.RESOURCE_ARN_PATTERN);
    }
  }

  public record MinimumThroughputBillingCommitmentInput(String status) {}

  public record UpdateAccountSettingsRequest(MinimumThroughputBillingCommitmentInput minimumThroughputBillingCommitment)
      implements Validated {
    @Override
    public void validate(Validator v) {
      if (v.required("minimumThroughputBillingCommitment", minimumThroughputBillingCommitment)) {
        String status = minimumThroughputBillingCommitment.status();
        if (v.required("minimumThroughputBillingCommitment.status", status)) {
          v.oneOf("minimumThroughputBillingCommitment.status", status, List.of("ENABLED", "DISABLED"));
        }
      }
    }
  }
}
