package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;

/**
 * After a known workload, {@code /metrics} holds Kinesis's CloudWatch metrics with the values CloudWatch would show:
 * per stream always, per shard for what enhanced monitoring enables, throttling counted as the client saw it, and
 * nothing left of a deleted stream.
 */
@Timeout(120)
class KinesisMetricsIT {

  private static final String SHARD_0 = "shardId-000000000000";
  private static final String SHARD_1 = "shardId-000000000001";
  private static final String UPPER_HALF = BigInteger.TWO.pow(127).toString();

  private TestServer server;
  private KinesisClient kinesis;

  @BeforeEach
  void start() {
    // A minute before a subscription may be taken over, so that one made at once is refused (RateExceeded).
    server = TestServer.start(Map.of("createStreamMillis", "0", "consumerCreateMillis", "0",
        "enforceThroughputLimits", "true", "subscriptionTakeoverMillis", "60000"));
    kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint());
  }

  @AfterEach
  void stop() {
    kinesis.close();
    server.close();
  }

  private String scrape() {
    return PrometheusText.scrape(server.endpoint());
  }

  /** The value of {@code kinesis_<name>} for stream {@code stream} (and shard, if given), or 0 if absent. */
  private static double value(String text, String name, String stream, String shard) {
    Pattern line = Pattern.compile("^kinesis_" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    double total = 0;
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("StreamName=\"" + stream + "\"")
          && (shard == null ? !labels.contains("ShardId=") : labels.contains("ShardId=\"" + shard + "\""))) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }

  /** The value of {@code kinesis_<name>} for stream {@code stream} and consumer {@code consumer}, or 0 if absent. */
  private static double consumerValue(String text, String name, String stream, String consumer) {
    Matcher m = Pattern.compile("^kinesis_" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
        .matcher(text);
    double total = 0;
    while (m.find()) {
      if (m.group(1).contains("StreamName=\"" + stream + "\"") && m.group(1).contains("ConsumerName=\"" + consumer
          + "\"")) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }

  @Test
  void a_known_workload_shows_in_the_cloudwatch_named_metrics_per_stream_and_per_enabled_shard_metric()
      throws Exception {
    kinesis.createStream(b -> b.streamName("metered").shardCount(2));
    kinesis.enableEnhancedMonitoring(b -> b.streamName("metered").shardLevelMetrics(MetricsName.INCOMING_BYTES,
        MetricsName.OUTGOING_RECORDS));
    for (int i = 0; i < 3; i++) {
      kinesis.putRecord(b -> b.streamName("metered").partitionKey("k").explicitHashKey("0")
          .data(SdkBytes.fromUtf8String("ten bytes!")));
    }
    List<PutRecordsRequestEntry> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(PutRecordsRequestEntry.builder().partitionKey("k").explicitHashKey(UPPER_HALF)
          .data(SdkBytes.fromUtf8String("twenty bytes of data")).build());
    }
    assertEquals(0, kinesis.putRecords(b -> b.streamName("metered").records(five)).failedRecordCount());
    String iterator = kinesis.getShardIterator(b -> b.streamName("metered").shardId(SHARD_1)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    assertEquals(5, kinesis.getRecords(b -> b.shardIterator(iterator)).records().size());

    String streamArn = kinesis.describeStreamSummary(b -> b.streamName("metered")).streamDescriptionSummary()
        .streamARN();
    String consumer = kinesis.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("c")).consumer()
        .consumerARN();
    Poll.until("consumer ACTIVE", () -> kinesis.describeStreamConsumer(b -> b.consumerARN(consumer))
        .consumerDescription().consumerStatusAsString().equals("ACTIVE"));
    Throwable refused;
    try (KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint())) {
      FanOutIT.Counting counting = new FanOutIT.Counting(3);
      async.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumer).shardId(SHARD_0)
          .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(), counting.handler());
      counting.reachedTarget.get(30, TimeUnit.SECONDS);
      // A second subscription of the same consumer and shard, before the first may be taken over, is refused.
      FanOutIT.Counting tooSoon = new FanOutIT.Counting(1);
      async.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumer).shardId(SHARD_0)
          .startingPosition(p -> p.type(ShardIteratorType.LATEST)).build(), tooSoon.handler());
      refused = tooSoon.error.get(30, TimeUnit.SECONDS);
    }

    String text = scrape();
    assertEquals(8.0, value(text, "IncomingRecords_total", "metered", null), text);
    assertEquals(3 * 10 + 5 * 20.0, value(text, "IncomingBytes_total", "metered", null));
    assertEquals(3.0, value(text, "PutRecord_Success_total", "metered", null));
    assertEquals(30.0, value(text, "PutRecord_Bytes_total", "metered", null));
    assertEquals(3.0, value(text, "PutRecord_Latency_milliseconds_count", "metered", null));
    assertEquals(1.0, value(text, "PutRecords_Success_total", "metered", null));
    assertEquals(5.0, value(text, "PutRecords_Records_total", "metered", null));
    assertEquals(100.0, value(text, "PutRecords_Bytes_total", "metered", null));
    assertEquals(0.0, value(text, "PutRecords_FailedRecords_total", "metered", null));
    assertEquals(1.0, value(text, "GetRecords_Success_total", "metered", null));
    assertEquals(5.0, value(text, "GetRecords_Records_total", "metered", null));
    assertEquals(100.0, value(text, "GetRecords_Bytes_total", "metered", null));
    // Enhanced fan-out: by consumer, as CloudWatch's StreamName and ConsumerName dimensions.
    assertEquals(1.0, consumerValue(text, "SubscribeToShard_Success_total", "metered", "c"), text);
    assertEquals(3.0, consumerValue(text, "SubscribeToShardEvent_Records_total", "metered", "c"));
    assertEquals(30.0, consumerValue(text, "SubscribeToShardEvent_Bytes_total", "metered", "c"));
    assertTrue(consumerValue(text, "SubscribeToShardEvent_Success_total", "metered", "c") >= 1, text);
    assertTrue(consumerValue(text, "SubscribeToShardEvent_MillisBehindLatest_milliseconds_count", "metered", "c")
        >= 1, "lag recorded per event");
    assertTrue(refused instanceof ResourceInUseException || refused.getCause() instanceof ResourceInUseException,
        String.valueOf(refused));
    assertEquals(1.0, consumerValue(text, "SubscribeToShard_RateExceeded_total", "metered", "c"));
    assertEquals(5.0 + 3.0, value(text, "OutgoingRecords_total", "metered", null), "GetRecords and pushes");
    // Shard level: only what enhanced monitoring enabled, by shard.
    assertEquals(30.0, value(text, "shard_IncomingBytes_total", "metered", SHARD_0));
    assertEquals(100.0, value(text, "shard_IncomingBytes_total", "metered", SHARD_1));
    assertEquals(3.0, value(text, "shard_OutgoingRecords_total", "metered", SHARD_0));
    assertEquals(5.0, value(text, "shard_OutgoingRecords_total", "metered", SHARD_1));
    assertFalse(text.contains("kinesis_shard_IncomingRecords_total"), "not enabled");
    assertTrue(text.contains("# TYPE kinesis_GetRecords_IteratorAgeMilliseconds_milliseconds summary"), text);

    kinesis.deregisterStreamConsumer(b -> b.consumerARN(consumer));
    Poll.until("a deregistered consumer's metrics are removed", () -> !scrape().contains("ConsumerName=\"c\""));
    kinesis.deleteStream(b -> b.streamName("metered").enforceConsumerDeletion(true));
    Poll.until("the stream is gone", () -> kinesis.listStreams().streamNames().isEmpty());
    assertFalse(scrape().contains("StreamName=\"metered\""), "a deleted stream's metrics are removed");
  }

  @Test
  void throttled_writes_and_reads_are_counted_as_the_clients_saw_them() {
    kinesis.createStream(b -> b.streamName("busy").shardCount(1));
    List<PutRecordsRequestEntry> batch = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      batch.add(PutRecordsRequestEntry.builder().partitionKey("k" + i).data(SdkBytes.fromUtf8String("x")).build());
    }
    int throttledRecords = 0;
    for (int i = 0; i < 40 && throttledRecords == 0; i++) { // AWS's 1,000 records per second per shard refuses some
      throttledRecords += kinesis.putRecords(b -> b.streamName("busy").records(batch)).records().stream()
          .filter(r -> "ProvisionedThroughputExceededException".equals(r.errorCode())).count();
    }
    String iterator = kinesis.getShardIterator(b -> b.streamName("busy").shardId(SHARD_0)
        .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
    int throttledReads = 0;
    int reads = 0;
    for (; reads < 100 && throttledReads == 0; reads++) { // AWS's 5 GetRecords calls per second per shard
      try {
        kinesis.getRecords(b -> b.shardIterator(iterator));
      } catch (ProvisionedThroughputExceededException e) {
        throttledReads++;
      }
    }
    assertTrue(throttledRecords > 0 && throttledReads > 0, throttledRecords + " " + throttledReads);
    String text = scrape();
    assertEquals(throttledRecords, value(text, "WriteProvisionedThroughputExceeded_total", "busy", null));
    assertEquals(throttledRecords, value(text, "PutRecords_ThrottledRecords_total", "busy", null));
    assertEquals(throttledReads, value(text, "ReadProvisionedThroughputExceeded_total", "busy", null));
    assertEquals(reads - throttledReads, value(text, "GetRecords_Success_total", "busy", null));
  }
}
