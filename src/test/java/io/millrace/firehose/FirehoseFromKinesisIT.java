package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.Poll;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.KplAggregate;
import io.millrace.testing.KplAggregate.Sub;
import io.millrace.testing.MutableClock;
import io.millrace.testing.TestServer;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamType;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * A delivery stream that reads a Kinesis stream: every record acknowledged by PutRecords after the delivery stream
 * was created is delivered, across a split and a merge of the stream's shards, and records from before its
 * DeliveryStartTimestamp are not; records the KPL aggregated arrive as their user records.
 */
class FirehoseFromKinesisIT {

  private static final String ACCOUNT = "000000000000";

  @TempDir
  Path dir;

  @Test
  void every_record_put_after_creation_is_delivered_across_a_split_and_a_merge() throws Exception {
    MutableClock clock = new MutableClock();
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()), clock);
         KinesisClient kinesis = KinesisClients.kinesis(server.endpoint());
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("orders").shardCount(2));
      await(() -> kinesis.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
          .streamStatus() == StreamStatus.ACTIVE);
      Set<String> before = put(kinesis, "before", 50);
      clock.advance(Duration.ofSeconds(1)); // every earlier record arrived strictly before the delivery start
      firehose.createDeliveryStream(b -> b.deliveryStreamName("orders-to-s3")
          .deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE)
          .kinesisStreamSourceConfiguration(k -> k.kinesisStreamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT
              + ":stream/orders").roleARN("arn:aws:iam::000000000000:role/firehose"))
          .extendedS3DestinationConfiguration(s -> s.roleARN("arn:aws:iam::000000000000:role/firehose")
              .bucketARN("arn:aws:s3:::orders-archive").bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));

      Set<String> expected = new HashSet<>(put(kinesis, "first", 200));
      kinesis.splitShard(b -> b.streamName("orders").shardToSplit("shardId-000000000000")
          .newStartingHashKey(BigInteger.TWO.pow(126).toString()));
      await(() -> kinesis.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
          .streamStatus() == StreamStatus.ACTIVE);
      expected.addAll(put(kinesis, "after-split", 200));
      kinesis.mergeShards(b -> b.streamName("orders").shardToMerge("shardId-000000000003")
          .adjacentShardToMerge("shardId-000000000001"));
      await(() -> kinesis.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
          .streamStatus() == StreamStatus.ACTIVE);
      expected.addAll(put(kinesis, "after-merge", 200));

      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      Set<String> delivered = delivered();
      while (!delivered.containsAll(expected) && System.nanoTime() < deadline) {
        Thread.sleep(100); // the source is polled by the delivery stream: there is no event to await here
        delivered = delivered();
      }
      Set<String> missing = new HashSet<>(expected);
      missing.removeAll(delivered);
      assertEquals(Set.of(), missing, "records put to the stream but never delivered");
      Set<String> early = new HashSet<>(before);
      early.retainAll(delivered);
      assertEquals(Set.of(), early, "records from before the delivery start were delivered");
    }
  }

  private static Set<String> put(KinesisClient kinesis, String label, int count) {
    Set<String> acknowledged = new HashSet<>();
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String value = label + "-" + i;
      values.add(value);
      entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (i % 17))
          .data(SdkBytes.fromUtf8String(value + "\n")).build());
    }
    PutRecordsResponse r = kinesis.putRecords(b -> b.streamName("orders").records(entries));
    for (int i = 0; i < count; i++) {
      if (r.records().get(i).errorCode() == null) {
        acknowledged.add(values.get(i));
      }
    }
    assertTrue(acknowledged.size() > count / 2, "most records of " + label + " were acknowledged");
    return acknowledged;
  }

  private Set<String> delivered() {
    return new HashSet<>(new LocalBuckets(dir).lines("orders-archive"));
  }

  @Test
  void kpl_aggregated_records_in_the_stream_are_delivered_as_their_user_records() throws Exception {
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
         KinesisClient kinesis = KinesisClients.kinesis(server.endpoint());
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("producer").shardCount(1));
      await(() -> kinesis.describeStreamSummary(b -> b.streamName("producer")).streamDescriptionSummary()
          .streamStatus() == StreamStatus.ACTIVE);
      firehose.createDeliveryStream(b -> b.deliveryStreamName("producer-to-s3")
          .deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE)
          .kinesisStreamSourceConfiguration(k -> k.kinesisStreamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT
              + ":stream/producer").roleARN("arn:aws:iam::000000000000:role/firehose"))
          .extendedS3DestinationConfiguration(s -> s.roleARN("arn:aws:iam::000000000000:role/firehose")
              .bucketARN("arn:aws:s3:::producer-archive").bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));

      byte[] aggregate = KplAggregate.of(List.of("user-a", "user-b"), List.of(), Sub.of("u1\n"),
          new Sub(1, -1, "u2\n"), Sub.of("u3\n"));
      kinesis.putRecord(b -> b.streamName("producer").partitionKey("aggregate")
          .data(SdkBytes.fromByteArray(aggregate)));
      kinesis.putRecord(b -> b.streamName("producer").partitionKey("plain").data(SdkBytes.fromUtf8String("p\n")));

      List<String> lines = new LocalBuckets(dir).awaitLines("producer-archive", l -> l.size() >= 4);
      assertEquals(List.of("p", "u1", "u2", "u3"), lines.stream().sorted().toList(),
          "each user record once, and no aggregate");
    }
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    Poll.until("the stream state", condition);
  }
}
