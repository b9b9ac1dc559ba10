package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.compat.FanOutIT.Counting;
import io.millrace.grpc.v1.ListStreamsRequest;
import io.millrace.grpc.v1.MillraceGrpcClient;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.TagStreamRequest;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.TestServer;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamType;
import software.amazon.awssdk.services.firehose.model.FirehoseException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;

/**
 * With signatures verified, what a caller may do follows IAM: the identity policy of its profile in the credentials
 * file, the resource policies stored by PutResourcePolicy, explicit denies first, both sides across accounts. The
 * AWS SDK for Java v2 (sync CBOR, async SubscribeToShard), the AWS CLI and the gRPC API are each refused with
 * AccessDeniedException in IAM's words, and a policy changed in its file takes effect without a restart.
 */
@Timeout(120)
class AuthorizationIT {

  private static final String ACCOUNT = "123456789012";
  private static final String OUTSIDE = "111122223333";
  private static final AwsCredentials ADMIN = AwsBasicCredentials.create("AKIDADMIN", "secret-admin");
  private static final AwsCredentials WRITER = AwsBasicCredentials.create("AKIDWRITER", "secret-writer");
  private static final AwsCredentials READER = AwsBasicCredentials.create("AKIDREADER", "secret-reader");
  private static final AwsCredentials OUTSIDER = AwsBasicCredentials.create("AKIDOUTSIDER", "secret-outsider");
  private static final AwsCredentials SCOPED = AwsBasicCredentials.create("AKIDSCOPED", "secret-scoped");
  private static final String ORDERS = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/orders";
  private static final String AUDIT = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/audit";
  private static final String WRITES_ORDERS = """
      {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"],
        "Resource": "arn:aws:kinesis:*:123456789012:stream/orders"}]}
      """;

  @TempDir
  Path dir;
  private Path writerPolicy;
  private TestServer server;
  private final List<AutoCloseable> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    writerPolicy = dir.resolve("writer-policy.json");
    Files.writeString(writerPolicy, WRITES_ORDERS);
    Path credentials = dir.resolve("credentials");
    Files.writeString(credentials, """
        [admin]
        aws_access_key_id = AKIDADMIN
        aws_secret_access_key = secret-admin
        aws_account_id = 123456789012

        [writer]
        aws_access_key_id = AKIDWRITER
        aws_secret_access_key = secret-writer
        aws_account_id = 123456789012
        millrace_policy_file = writer-policy.json

        [reader]
        aws_access_key_id = AKIDREADER
        aws_secret_access_key = secret-reader
        aws_account_id = 123456789012
        millrace_policy = {"Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}, \
        {"Effect": "Deny", "Action": "kinesis:SubscribeToShard", \
        "Resource": "arn:aws:kinesis:*:*:stream/*/consumer/blocked:*"}]}

        [scoped]
        aws_access_key_id = AKIDSCOPED
        aws_secret_access_key = secret-scoped
        aws_account_id = 123456789012
        millrace_policy = {"Statement": [{"Effect": "Allow", "Action": ["kinesis:ListShards", "kinesis:CreateStream", \
        "kinesis:ListTagsForResource", "kinesis:AddTagsToStream", "firehose:*"], \
        "Resource": ["arn:aws:kinesis:*:123456789012:stream/orders*", "arn:aws:firehose:*:*:*"]}]}

        [outsider]
        aws_access_key_id = AKIDOUTSIDER
        aws_secret_access_key = secret-outsider
        aws_account_id = 111122223333
        """);
    server = TestServer.start(Map.of("credentialsFile", credentials.toString(), "createStreamMillis", "0",
        "consumerCreateMillis", "0"));
    KinesisClient admin = kinesis(ADMIN);
    admin.createStream(b -> b.streamName("orders").shardCount(1));
    admin.createStream(b -> b.streamName("audit").shardCount(1));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private KinesisClient kinesis(AwsCredentials credentials) {
    KinesisClient client = KinesisClients.kinesis(server.endpoint(), credentials);
    clients.add(client);
    return client;
  }

  private static String denied(Runnable call) {
    KinesisException e = assertThrows(KinesisException.class, call::run);
    assertEquals("AccessDeniedException", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
    return e.awsErrorDetails().errorMessage();
  }

  private static void put(KinesisClient kinesis, String streamArn, String data) {
    kinesis.putRecord(b -> b.streamARN(streamArn).partitionKey("k").data(SdkBytes.fromUtf8String(data)));
  }

  private List<String> records(String stream) {
    KinesisClient admin = kinesis(ADMIN);
    String iterator = admin.getShardIterator(b -> b.streamName(stream).shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    return admin.getRecords(b -> b.shardIterator(iterator)).records().stream().map(r -> r.data().asUtf8String())
        .toList();
  }

  @Test
  void an_identity_policy_allows_what_it_lists_and_everything_else_is_refused_in_iams_words() {
    KinesisClient writer = kinesis(WRITER);
    put(writer, ORDERS, "allowed");
    writer.putRecords(b -> b.streamName("orders").records(r -> r.partitionKey("k")
        .data(SdkBytes.fromUtf8String("batched"))));
    assertEquals(List.of("allowed", "batched"), records("orders"));

    assertEquals("User: arn:aws:iam::123456789012:user/writer is not authorized to perform: "
        + "kinesis:GetShardIterator on resource: " + ORDERS + " because no identity-based policy allows the "
        + "kinesis:GetShardIterator action", denied(() -> writer.getShardIterator(b -> b.streamName("orders")
        .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.TRIM_HORIZON))));
    assertTrue(denied(() -> put(writer, AUDIT, "refused")).contains("kinesis:PutRecord on resource: " + AUDIT));
    assertEquals("User: arn:aws:iam::123456789012:user/writer is not authorized to perform: kinesis:ListStreams "
        + "because no identity-based policy allows the kinesis:ListStreams action", denied(writer::listStreams));
    assertEquals(List.of(), records("audit"), "a refused put stores nothing");
  }

  @Test
  void resource_policies_let_a_user_in_and_their_explicit_deny_stops_even_the_accounts_root() {
    KinesisClient admin = kinesis(ADMIN);
    admin.putResourcePolicy(b -> b.resourceARN(AUDIT).policy("""
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/writer"},
           "Action": "kinesis:PutRecord", "Resource": "%1$s"},
          {"Effect": "Deny", "Principal": "*", "Action": "kinesis:DeleteStream", "Resource": "%1$s"}]}
        """.formatted(AUDIT)));
    put(kinesis(WRITER), AUDIT, "let in by the stream's policy");
    assertEquals(List.of("let in by the stream's policy"), records("audit"));
    assertEquals("User: arn:aws:iam::123456789012:root is not authorized to perform: kinesis:DeleteStream on "
        + "resource: " + AUDIT + " with an explicit deny in a resource-based policy",
        denied(() -> admin.deleteStream(b -> b.streamName("audit"))));

    KinesisException conditional = assertThrows(KinesisException.class, () -> admin.putResourcePolicy(b -> b
        .resourceARN(ORDERS).policy("{\"Statement\": {\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"*\","
            + " \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}}")));
    assertEquals("InvalidArgumentException", conditional.awsErrorDetails().errorCode());
    assertEquals("Policy is not a resource policy Millrace can enforce: statement 1 has a Condition, which "
        + "Millrace does not evaluate; express the rule with Action, Resource and Principal instead.",
        conditional.awsErrorDetails().errorMessage());
    admin.deleteResourcePolicy(b -> b.resourceARN(AUDIT));
    admin.deleteStream(b -> b.streamName("audit"));
  }

  @Test
  void a_caller_from_another_account_needs_the_streams_resource_policy_to_allow_its_account() {
    KinesisClient outsider = kinesis(OUTSIDER);
    assertEquals("User: arn:aws:iam::111122223333:root is not authorized to perform: kinesis:PutRecord on "
        + "resource: " + ORDERS + " because no resource-based policy allows the kinesis:PutRecord action",
        denied(() -> put(outsider, ORDERS, "refused")));
    kinesis(ADMIN).putResourcePolicy(b -> b.resourceARN(ORDERS).policy("""
        {"Statement": {"Effect": "Allow", "Principal": {"AWS": "%s"}, "Action": "kinesis:PutRecord",
         "Resource": "%s"}}""".formatted(OUTSIDE, ORDERS)));
    put(outsider, ORDERS, "from another account");
    assertEquals(List.of("from another account"), records("orders"));
  }

  @Test
  void subscribe_to_shard_is_authorized_on_the_consumer_it_names() throws Exception {
    KinesisClient admin = kinesis(ADMIN);
    String open = admin.registerStreamConsumer(b -> b.streamARN(ORDERS).consumerName("open")).consumer()
        .consumerARN();
    String blocked = admin.registerStreamConsumer(b -> b.streamARN(ORDERS).consumerName("blocked")).consumer()
        .consumerARN();
    for (String consumer : List.of(open, blocked)) {
      Poll.until("consumer ACTIVE", () -> admin.describeStreamConsumer(b -> b.consumerARN(consumer))
          .consumerDescription().consumerStatusAsString().equals("ACTIVE"));
    }
    put(admin, ORDERS, "pushed");
    KinesisAsyncClient reader = KinesisClients.defaultAsync(server.endpoint(), READER);
    clients.add(reader);
    Counting allowed = new Counting(1);
    reader.subscribeToShard(subscription(open), allowed.handler());
    allowed.reachedTarget.get(30, TimeUnit.SECONDS);

    Counting refused = new Counting(1);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> reader.subscribeToShard(
        subscription(blocked), refused.handler()).get(30, TimeUnit.SECONDS));
    KinesisException e = assertInstanceOf(KinesisException.class, failed.getCause());
    assertEquals("AccessDeniedException", e.awsErrorDetails().errorCode());
    assertEquals("User: arn:aws:iam::123456789012:user/reader is not authorized to perform: "
        + "kinesis:SubscribeToShard on resource: " + blocked + " with an explicit deny in an identity-based policy",
        e.awsErrorDetails().errorMessage());
  }

  private static SubscribeToShardRequest subscription(String consumer) {
    return SubscribeToShardRequest.builder().consumerARN(consumer).shardId("shardId-000000000000")
        .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build();
  }

  @Test
  void a_policy_changed_in_its_file_takes_effect_without_a_restart() throws Exception {
    KinesisClient writer = kinesis(WRITER);
    denied(writer::listStreams);
    Files.writeString(writerPolicy, WRITES_ORDERS.replace("]}", ", {\"Effect\": \"Allow\", \"Action\": "
        + "\"kinesis:ListStreams\", \"Resource\": \"*\"}]}"));
    Poll.until("the new policy allows ListStreams", () -> {
      try {
        return writer.listStreams().streamNames().contains("orders");
      } catch (KinesisException e) {
        return false;
      }
    });
  }

  @Test
  void a_grpc_call_the_caller_may_not_make_is_permission_denied_with_the_aws_error() {
    ListStreamsRequest request = ListStreamsRequest.getDefaultInstance();
    try (GrpcClients grpc = new GrpcClients(server.endpoint())) {
      Map<String, String> answer = GrpcClients.await(grpc.client().request(grpc.server(),
          MillraceGrpcClient.ListStreams).compose(call -> {
            GrpcClients.sign(call, WRITER, server.endpoint(), "/millrace.v1.Millrace/ListStreams",
                request.toByteArray());
            return call.end(request).compose(v -> call.response()).compose(response -> response.last()
                .transform(ar -> Future.succeededFuture(Map.of("status", response.status().name(),
                    "type", String.valueOf(response.headers().get("aws-error-type"))))));
          }));
      assertEquals(Map.of("status", "PERMISSION_DENIED", "type", "AccessDeniedException"), answer);
    }
  }

  @Test
  void the_aws_cli_with_a_profile_whose_policy_refuses_the_call_shows_the_reason() throws Exception {
    Path aws = Path.of("/usr/bin/aws");
    assumeTrue(Files.isExecutable(aws), "AWS CLI v2 is not at /usr/bin/aws (.ci/run installs it)");
    ProcessBuilder pb = new ProcessBuilder(aws.toString(), "--profile", "writer", "--endpoint-url",
        server.endpoint().toString(), "kinesis", "list-streams").redirectOutput(dir.resolve("cli.out").toFile())
        .redirectError(dir.resolve("cli.err").toFile());
    pb.environment().putAll(Map.of("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("credentials").toString(),
        "AWS_CONFIG_FILE", dir.resolve("no-config").toString(), "AWS_DEFAULT_REGION", "us-east-1",
        "AWS_EC2_METADATA_DISABLED", "true"));
    pb.environment().remove("AWS_ACCESS_KEY_ID");
    pb.environment().remove("AWS_SECRET_ACCESS_KEY");
    Process cli = pb.start();
    assertTrue(cli.waitFor(60, TimeUnit.SECONDS), "the CLI did not finish");
    String err = Files.readString(dir.resolve("cli.err"), StandardCharsets.UTF_8);
    assertEquals(254, cli.exitValue(), err);
    assertTrue(err.contains("An error occurred (AccessDeniedException) when calling the ListStreams operation: User: "
        + "arn:aws:iam::123456789012:user/writer is not authorized to perform: kinesis:ListStreams"), err);
  }

  @Test
  void every_action_is_checked_against_the_stream_it_touches_however_the_request_names_it() {
    KinesisClient admin = kinesis(ADMIN);
    KinesisClient scoped = kinesis(SCOPED);
    admin.createStream(b -> b.streamName("orders-wide").shardCount(3));
    ListShardsResponse first = scoped.listShards(b -> b.streamName("orders-wide").maxResults(1));
    assertEquals("shardId-000000000001", scoped.listShards(b -> b.nextToken(first.nextToken())).shards().get(0)
        .shardId(), "a NextToken continues on the stream it came from, which the policy allows");
    admin.createStream(b -> b.streamName("audit-wide").shardCount(3));
    String auditToken = admin.listShards(b -> b.streamName("audit-wide").maxResults(1)).nextToken();
    assertTrue(denied(() -> scoped.listShards(b -> b.nextToken(auditToken))).contains(
        "kinesis:ListShards on resource: arn:aws:kinesis:us-east-1:123456789012:stream/audit-wide "));

    scoped.createStream(b -> b.streamName("orders-more").shardCount(1));
    assertTrue(denied(() -> scoped.createStream(b -> b.streamName("elsewhere").shardCount(1))).contains(
        "kinesis:CreateStream on resource: arn:aws:kinesis:us-east-1:123456789012:stream/elsewhere "));
    scoped.listTagsForResource(b -> b.resourceARN(ORDERS));
    denied(() -> scoped.listTagsForResource(b -> b.resourceARN(AUDIT)));
    assertTrue(denied(() -> kinesis(OUTSIDER).tagResource(b -> b.resourceARN(ORDERS).tags(Map.of("by", "outsider"))))
        .endsWith("because no resource-based policy allows the kinesis:TagResource action"));
    assertEquals(Map.of(), admin.listTagsForResource(b -> b.resourceARN(ORDERS)).tags().stream()
        .collect(java.util.stream.Collectors.toMap(t -> t.key(), t -> t.value())));
  }

  @Test
  void a_delivery_stream_may_read_only_a_source_stream_its_creator_may_read() {
    try (FirehoseClient firehose = FirehoseClient.builder().endpointOverride(server.endpoint())
        .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(SCOPED))
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
      FirehoseException e = assertThrows(FirehoseException.class, () -> firehose.createDeliveryStream(b -> b
          .deliveryStreamName("copy-of-orders").deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE)
          .kinesisStreamSourceConfiguration(k -> k.kinesisStreamARN(ORDERS)
              .roleARN("arn:aws:iam::123456789012:role/firehose"))
          .extendedS3DestinationConfiguration(d -> d.bucketARN("arn:aws:s3:::copies")
              .roleARN("arn:aws:iam::123456789012:role/firehose"))));
      assertEquals("AccessDeniedException", e.awsErrorDetails().errorCode());
      assertEquals("User: arn:aws:iam::123456789012:user/scoped is not authorized to perform: kinesis:DescribeStream "
          + "on resource: " + ORDERS + " because no identity-based policy allows the kinesis:DescribeStream action",
          e.awsErrorDetails().errorMessage());
      assertThrows(software.amazon.awssdk.services.firehose.model.ResourceNotFoundException.class,
          () -> firehose.describeDeliveryStream(b -> b.deliveryStreamName("copy-of-orders")), "nothing was created");
    }
  }

  @Test
  void a_grpc_tag_stream_the_caller_may_not_answer_leaves_the_tags_unchanged() {
    TagStreamRequest request = TagStreamRequest.newBuilder().setStream(StreamRef.newBuilder().setName("orders"))
        .putTags("team", "scoped").build();
    try (GrpcClients grpc = new GrpcClients(server.endpoint())) {
      String status = GrpcClients.await(grpc.client().request(grpc.server(), MillraceGrpcClient.TagStream)
          .compose(call -> {
            GrpcClients.sign(call, SCOPED, server.endpoint(), "/millrace.v1.Millrace/TagStream",
                request.toByteArray());
            return call.end(request).compose(v -> call.response())
                .compose(response -> response.last().transform(ar -> Future.succeededFuture(
                    response.status().name())));
          }));
      assertEquals("PERMISSION_DENIED", status);
    }
    assertEquals(List.of(), kinesis(ADMIN).listTagsForStream(b -> b.streamName("orders")).tags());
  }
}
