package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.ExpiredNextTokenException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Account limits and time-outs through the AWS SDK, in all four client flavors, on a server with a shard limit of
 * 10 and a clock the tests move: LimitExceededException over the shard limit, ExpiredIteratorException for an
 * iterator older than 300 s, ExpiredNextTokenException for an old ListShards token.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class CompatLimitsAndExpiryIT {

  @Parameter
  Flavor flavor;

  private static MutableClock clock;
  private static CompatClient client;
  private static KinesisClient kinesis;

  /** One server and one client per flavor, shared by that flavor's tests. */
  @BeforeParameterizedClassInvocation
  static void start(Flavor flavor) {
    clock = new MutableClock();
    client = CompatClient.withServer(flavor, Map.of("shardLimit", "10"), clock);
    kinesis = client.kinesis();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    client.close();
  }

  @Test
  void creating_a_stream_beyond_the_shard_limit_is_refused_in_aws_words() {
    int open = kinesis.describeLimits(r -> { }).openShardCount();
    int room = 10 - open;
    assertTrue(room >= 2, "the test needs room for 2 shards, " + open + " are open");
    client.createActiveStream("fills-the-limit", room - 1);

    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> kinesis.createStream(r -> r.streamName("one-too-many").shardCount(2)));
    assertEquals("This request would exceed the shard limit for the account " + ACCOUNT + " in us-east-1. Current "
        + "shard count for the account: 9. Limit: 10. Number of additional shards that would have resulted from this "
        + "request: 2. Refer to the AWS Service Limits page "
        + "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to "
        + "request higher limits.", e.awsErrorDetails().errorMessage());
    assertEquals(400, e.statusCode());

    client.createActiveStream("exactly-at-the-limit", 1);
    assertEquals(10, kinesis.describeLimits(r -> { }).openShardCount());
    kinesis.deleteStream(r -> r.streamName("exactly-at-the-limit"));
    kinesis.deleteStream(r -> r.streamName("fills-the-limit"));
    client.awaitGone("exactly-at-the-limit");
    client.awaitGone("fills-the-limit");
  }

  @Test
  void a_shard_iterator_older_than_300_seconds_has_expired() {
    String stream = "expiry";
    client.createActiveStream(stream, 1);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
        .data(SdkBytes.fromString("v", StandardCharsets.UTF_8)));
    String atLimit = iterator(stream);
    clock.advance(Duration.ofSeconds(300));
    assertEquals(1, kinesis.getRecords(r -> r.shardIterator(atLimit)).records().size(), "300 s is still valid");

    String old = iterator(stream);
    clock.advance(Duration.ofSeconds(301));
    ExpiredIteratorException e = assertThrows(ExpiredIteratorException.class,
        () -> kinesis.getRecords(r -> r.shardIterator(old)));
    String message = e.awsErrorDetails().errorMessage();
    assertTrue(message.matches("Iterator expired\\. The iterator was created at time \\w{3} \\w{3} \\d{2} "
        + "\\d{2}:\\d{2}:\\d{2} UTC \\d{4} while right now it is \\w{3} \\w{3} \\d{2} \\d{2}:\\d{2}:\\d{2} UTC \\d{4} "
        + "which is further in the future than the tolerated delay of 300000 milliseconds\\."), message);
    assertEquals(400, e.statusCode());

    assertEquals(List.of("v"), kinesis.getRecords(r -> r.shardIterator(iterator(stream))).records().stream()
        .map(rec -> rec.data().asUtf8String()).toList(), "a fresh iterator works");
  }

  @Test
  void a_list_shards_next_token_older_than_300_seconds_has_expired() {
    String stream = "token-expiry";
    client.createActiveStream(stream, 3);
    String token = kinesis.listShards(r -> r.streamName(stream).maxResults(1)).nextToken();
    clock.advance(Duration.ofSeconds(301));
    assertThrows(ExpiredNextTokenException.class, () -> kinesis.listShards(r -> r.nextToken(token)));
  }

  private static String iterator(String stream) {
    return kinesis.getShardIterator(g -> g.streamName(stream).shardId(HashKeys.shardId(0))
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
  }
}
