package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.EnableEnhancedMonitoringResponse;
import software.amazon.awssdk.services.kinesis.model.DisableEnhancedMonitoringResponse;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListTagsForStreamResponse;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentOutput;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.Tag;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

/**
 * Per-stream and account settings through the AWS SDK, in all four client flavors: retention, tags (by stream name
 * and by ARN), enhanced monitoring, encryption, capacity mode, maximum record size, resource policies and account
 * settings.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class CompatStreamSettingsIT extends CompatSuite {

  private static String arn(String stream) {
    return "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream;
  }

  private static StreamDescriptionSummary summary(String stream) {
    return kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary();
  }

  private static List<Record> readAll(String stream, String shardId) {
    String it = kinesis.getShardIterator(g -> g.streamName(stream).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    return kinesis.getRecords(r -> r.shardIterator(it)).records();
  }

  @Test
  void retention_can_be_increased_and_decreased_within_24_to_8760_hours() {
    String stream = "retention";
    client.createActiveStream(stream, 1);
    kinesis.increaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(48));
    assertEquals(48, summary(stream).retentionPeriodHours());
    kinesis.decreaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(36));
    assertEquals(36, summary(stream).retentionPeriodHours());
    kinesis.increaseStreamRetentionPeriod(r -> r.streamARN(arn(stream)).retentionPeriodHours(8760));
    assertEquals(8760, kinesis.describeStream(r -> r.streamName(stream)).streamDescription().retentionPeriodHours());
    kinesis.decreaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(24));
    assertEquals(24, summary(stream).retentionPeriodHours());
  }

  @Test
  void retention_changes_out_of_range_or_in_the_wrong_direction_are_refused_in_aws_words() {
    String stream = "retention-errors";
    client.createActiveStream(stream, 1);
    InvalidArgumentException tooShort = assertThrows(InvalidArgumentException.class,
        () -> kinesis.decreaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(23)));
    assertEquals("Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.",
        tooShort.awsErrorDetails().errorMessage());

    kinesis.increaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(72));
    InvalidArgumentException shorter = assertThrows(InvalidArgumentException.class,
        () -> kinesis.increaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(48)));
    assertEquals("Requested retention period (48 hours) for stream " + stream + " can not be shorter than existing "
        + "retention period (72 hours). Use DecreaseRetentionPeriod API.", shorter.awsErrorDetails().errorMessage());

    InvalidArgumentException longer = assertThrows(InvalidArgumentException.class,
        () -> kinesis.decreaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(100)));
    assertEquals("Requested retention period (100 hours) for stream " + stream + " can not be longer than existing "
        + "retention period (72 hours). Use IncreaseRetentionPeriod API.", longer.awsErrorDetails().errorMessage());

    ValidationException tooLong = assertThrows(ValidationException.class,
        () -> kinesis.increaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(8761)));
    assertEquals("1 validation error detected: Value '8761' at 'retentionPeriodHours' failed to satisfy constraint: "
        + "Member must have value less than or equal to 8760", tooLong.awsErrorDetails().errorMessage());
    assertEquals(72, summary(stream).retentionPeriodHours(), "refused changes leave retention alone");
  }

  @Test
  void stream_tags_are_added_listed_in_pages_and_removed() {
    String stream = "tags";
    client.createActiveStream(stream, 1);
    kinesis.addTagsToStream(r -> r.streamName(stream).tags(Map.of("team", "data", "env", "test", "cost", "42")));

    ListTagsForStreamResponse first = kinesis.listTagsForStream(r -> r.streamName(stream).limit(2));
    assertEquals(List.of(tag("cost", "42"), tag("env", "test")), first.tags());
    assertTrue(first.hasMoreTags());
    ListTagsForStreamResponse rest = kinesis.listTagsForStream(r -> r.streamName(stream).limit(2)
        .exclusiveStartTagKey("env"));
    assertEquals(List.of(tag("team", "data")), rest.tags());
    assertFalse(rest.hasMoreTags());

    kinesis.addTagsToStream(r -> r.streamName(stream).tags(Map.of("env", "prod")));
    kinesis.removeTagsFromStream(r -> r.streamName(stream).tagKeys("cost"));
    ListTagsForStreamResponse after = kinesis.listTagsForStream(r -> r.streamName(stream));
    assertEquals(List.of(tag("env", "prod"), tag("team", "data")), after.tags());
    assertFalse(after.hasMoreTags());
  }

  @Test
  void resource_tags_work_by_stream_arn_and_share_the_stream_tags() {
    String stream = "resource-tags";
    client.createActiveStream(stream, 1);
    kinesis.tagResource(r -> r.resourceARN(arn(stream)).tags(Map.of("a", "1", "b", "2")));
    assertEquals(List.of(tag("a", "1"), tag("b", "2")),
        kinesis.listTagsForResource(r -> r.resourceARN(arn(stream))).tags());
    assertEquals(List.of(tag("a", "1"), tag("b", "2")), kinesis.listTagsForStream(r -> r.streamName(stream)).tags());

    kinesis.untagResource(r -> r.resourceARN(arn(stream)).tagKeys("a"));
    assertEquals(List.of(tag("b", "2")), kinesis.listTagsForResource(r -> r.resourceARN(arn(stream))).tags());

    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.listTagsForResource(r -> r.resourceARN(arn("no-such-stream"))));
  }

  @Test
  void enhanced_monitoring_reports_current_and_desired_metrics() {
    String stream = "monitoring";
    client.createActiveStream(stream, 1);
    EnableEnhancedMonitoringResponse enabled = kinesis.enableEnhancedMonitoring(r -> r.streamName(stream)
        .shardLevelMetrics(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS));
    assertEquals(stream, enabled.streamName());
    assertEquals(arn(stream), enabled.streamARN());
    assertEquals(List.of(), enabled.currentShardLevelMetrics());
    assertEquals(List.of(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS), enabled.desiredShardLevelMetrics());
    assertEquals(List.of(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS),
        summary(stream).enhancedMonitoring().get(0).shardLevelMetrics());

    DisableEnhancedMonitoringResponse disabled = kinesis.disableEnhancedMonitoring(r -> r.streamName(stream)
        .shardLevelMetrics(MetricsName.INCOMING_BYTES));
    assertEquals(List.of(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS),
        disabled.currentShardLevelMetrics());
    assertEquals(List.of(MetricsName.OUTGOING_RECORDS), disabled.desiredShardLevelMetrics());

    kinesis.enableEnhancedMonitoring(r -> r.streamName(stream).shardLevelMetrics(MetricsName.ALL));
    assertEquals(7, kinesis.describeStream(r -> r.streamName(stream)).streamDescription().enhancedMonitoring().get(0)
        .shardLevelMetrics().size());
  }

  @Test
  void records_put_while_encryption_is_on_carry_encryption_type_kms() {
    String stream = "encryption";
    client.createActiveStream(stream, 1);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("before")));
    kinesis.startStreamEncryption(r -> r.streamName(stream).encryptionType(EncryptionType.KMS)
        .keyId("alias/aws/kinesis"));
    client.awaitActive(stream);
    StreamDescriptionSummary on = summary(stream);
    assertEquals(EncryptionType.KMS, on.encryptionType());
    assertEquals("alias/aws/kinesis", on.keyId());

    PutRecordResponse put = kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("during")));
    assertEquals(EncryptionType.KMS, put.encryptionType());
    assertEquals(EncryptionType.KMS, kinesis.putRecords(r -> r.streamName(stream).records(b -> b.partitionKey("k")
        .data(bytes("during-batch")))).encryptionType());

    kinesis.stopStreamEncryption(r -> r.streamName(stream).encryptionType(EncryptionType.KMS)
        .keyId("alias/aws/kinesis"));
    client.awaitActive(stream);
    assertEquals(EncryptionType.NONE, summary(stream).encryptionType());
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("after")));

    List<Record> records = readAll(stream, HashKeys.shardId(0));
    assertEquals(List.of("before", "during", "during-batch", "after"),
        records.stream().map(r -> r.data().asUtf8String()).toList());
    assertNull(records.get(0).encryptionType());
    assertEquals(EncryptionType.KMS, records.get(1).encryptionType());
    assertEquals(EncryptionType.KMS, records.get(2).encryptionType());
    assertNull(records.get(3).encryptionType());
  }

  @Test
  void update_stream_mode_keeps_the_shards_and_the_data() {
    String stream = "mode";
    client.createActiveStream(stream, 2);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").explicitHashKey("0").data(bytes("kept")));
    List<Shard> before = kinesis.listShards(r -> r.streamName(stream)).shards();

    kinesis.updateStreamMode(r -> r.streamARN(arn(stream)).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
    client.awaitActive(stream);
    assertEquals(StreamMode.ON_DEMAND, summary(stream).streamModeDetails().streamMode());
    assertEquals(before, kinesis.listShards(r -> r.streamName(stream)).shards());
    assertEquals(List.of("kept"), readAll(stream, HashKeys.shardId(0)).stream().map(r -> r.data().asUtf8String())
        .toList());

    kinesis.updateStreamMode(r -> r.streamARN(arn(stream))
        .streamModeDetails(m -> m.streamMode(StreamMode.PROVISIONED)));
    client.awaitActive(stream);
    assertEquals(StreamMode.PROVISIONED, summary(stream).streamModeDetails().streamMode());
  }

  @Test
  void update_max_record_size_lets_a_two_mebibyte_record_in() {
    String stream = "max-record-size";
    client.createActiveStream(stream, 1);
    SdkBytes twoMiB = SdkBytes.fromByteArray(new byte[2 * 1024 * 1024]);
    KinesisException refused = assertThrows(KinesisException.class,
        () -> kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(twoMiB)));
    assertEquals(400, refused.statusCode());

    kinesis.updateMaxRecordSize(r -> r.streamARN(arn(stream)).maxRecordSizeInKiB(2048 + 1));
    assertEquals(2049, summary(stream).maxRecordSizeInKiB());
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(twoMiB));
    List<Record> records = readAll(stream, HashKeys.shardId(0));
    assertEquals(1, records.size());
    assertEquals(2 * 1024 * 1024, records.get(0).data().asByteArray().length);

    ValidationException outOfRange = assertThrows(ValidationException.class,
        () -> kinesis.updateMaxRecordSize(r -> r.streamARN(arn(stream)).maxRecordSizeInKiB(1023)));
    assertEquals("1 validation error detected: Value '1023' at 'maxRecordSizeInKiB' failed to satisfy constraint: "
        + "Member must have value greater than or equal to 1024", outOfRange.awsErrorDetails().errorMessage());
  }

  @Test
  void a_resource_policy_is_put_read_and_deleted() {
    String stream = "policy";
    client.createActiveStream(stream, 1);
    String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
        + "\"arn:aws:iam::111122223333:root\"},\"Action\":\"kinesis:GetRecords\",\"Resource\":\"" + arn(stream)
        + "\"}]}";
    kinesis.putResourcePolicy(r -> r.resourceARN(arn(stream)).policy(policy));
    assertEquals(policy, kinesis.getResourcePolicy(r -> r.resourceARN(arn(stream))).policy());

    kinesis.deleteResourcePolicy(r -> r.resourceARN(arn(stream)));
    assertEquals("{}", kinesis.getResourcePolicy(r -> r.resourceARN(arn(stream))).policy());
    assertThrows(ResourceNotFoundException.class, () -> kinesis.deleteResourcePolicy(r -> r.resourceARN(arn(stream))));
    assertThrows(InvalidArgumentException.class,
        () -> kinesis.putResourcePolicy(r -> r.resourceARN(arn(stream)).policy("not json")));
    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.getResourcePolicy(r -> r.resourceARN(arn("no-such-stream"))));
  }

  @Test
  void account_settings_start_disabled_and_a_commitment_cannot_end_in_its_first_day() {
    MinimumThroughputBillingCommitmentOutput initial = kinesis.describeAccountSettings(r -> { })
        .minimumThroughputBillingCommitment();
    assertEquals("DISABLED", initial.statusAsString());

    MinimumThroughputBillingCommitmentOutput enabled = kinesis.updateAccountSettings(r -> r
        .minimumThroughputBillingCommitment(m -> m.status("ENABLED"))).minimumThroughputBillingCommitment();
    assertEquals("ENABLED", enabled.statusAsString());
    assertNotNull(enabled.startedAt());
    assertTrue(Duration.between(enabled.startedAt(), Instant.now()).abs().compareTo(Duration.ofSeconds(10)) < 0);
    assertEquals(enabled.startedAt().plus(Duration.ofDays(1)), enabled.earliestAllowedEndAt());
    assertEquals("ENABLED", kinesis.describeAccountSettings(r -> { }).minimumThroughputBillingCommitment().statusAsString());

    assertThrows(InvalidArgumentException.class, () -> kinesis.updateAccountSettings(r -> r
        .minimumThroughputBillingCommitment(m -> m.status("DISABLED"))));
  }

  @Test
  void settings_on_an_unknown_stream_are_refused_with_resource_not_found() {
    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.increaseStreamRetentionPeriod(r -> r.streamName("x").retentionPeriodHours(48)));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.enableEnhancedMonitoring(r -> r.streamName("x")
        .shardLevelMetrics(MetricsName.ALL)));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.startStreamEncryption(r -> r.streamName("x")
        .encryptionType(EncryptionType.KMS).keyId("k")));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.addTagsToStream(r -> r.streamName("x")
        .tags(Map.of("a", "b"))));
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> kinesis.updateStreamMode(r -> r.streamARN(arn("x")).streamModeDetails(m -> m.streamMode(
            StreamMode.ON_DEMAND))));
    assertEquals("Stream x under account " + ACCOUNT + " not found.", e.awsErrorDetails().errorMessage());
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
