package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.compat.FanOutIT.Counting;
import io.millrace.grpc.v1.ListStreamsRequest;
import io.millrace.grpc.v1.MillraceGrpcClient;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.TestServer;
import io.vertx.core.Future;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;

/**
 * With a credentials file configured, the server verifies SigV4 as AWS does: the AWS SDK for Java v2 (CBOR, sync
 * and async, SubscribeToShard included), the AWS SDK's own signer (for clocks that are off and presigned requests)
 * and the AWS CLI with a profile from the same file get in with a key pair the file holds, and nothing else does,
 * each refusal in AWS's words. Keys rotate without a restart.
 */
@Timeout(120)
class SignatureVerificationIT {

  private static final AwsCredentials ONE = AwsBasicCredentials.create("AKIDMILLRACEONE", "secret-one");
  private static final AwsCredentials TEAM = AwsBasicCredentials.create("AKIDMILLRACETEAM", "secret-team");
  private static final AwsCredentials TEMPORARY = AwsSessionCredentials.create("ASIAMILLRACETMP", "secret-tmp",
      "token-tmp");

  @TempDir
  Path dir;
  private Path file;
  private TestServer server;
  private final List<AutoCloseable> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    file = dir.resolve("credentials");
    Files.writeString(file, """
        # the key pairs Millrace accepts, in the AWS CLI's format
        [default]
        aws_access_key_id = AKIDMILLRACEONE
        aws_secret_access_key = secret-one

        [team]
        aws_access_key_id = AKIDMILLRACETEAM
        aws_secret_access_key = secret-team
        aws_account_id = 111122223333

        [temporary]
        aws_access_key_id = ASIAMILLRACETMP
        aws_secret_access_key = secret-tmp
        aws_session_token = token-tmp

        [expired]
        aws_access_key_id = ASIAMILLRACEOLD
        aws_secret_access_key = secret-old
        aws_session_token = token-old
        x_security_token_expires = 2020-01-01T00:00:00Z
        """);
    server = TestServer.start(Map.of("credentialsFile", file.toString(), "createStreamMillis", "0",
        "consumerCreateMillis", "0"));
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

  private static void refused(String type, String message, Runnable call) {
    KinesisException e = assertThrows(KinesisException.class, call::run);
    assertEquals(type, e.awsErrorDetails().errorCode());
    assertEquals(message, e.awsErrorDetails().errorMessage());
  }

  @Test
  void the_sdk_signing_with_a_key_pair_of_the_file_is_served_sync_and_async_with_subscribe_to_shard()
      throws Exception {
    KinesisClient kinesis = kinesis(ONE);
    kinesis.createStream(b -> b.streamName("signed").shardCount(1));
    kinesis.putRecord(b -> b.streamName("signed").partitionKey("k").data(SdkBytes.fromUtf8String("hello")));
    String iterator = kinesis.getShardIterator(b -> b.streamName("signed").shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    assertEquals("hello", kinesis.getRecords(b -> b.shardIterator(iterator)).records().get(0).data()
        .asUtf8String());

    String streamArn = kinesis.describeStreamSummary(b -> b.streamName("signed")).streamDescriptionSummary()
        .streamARN();
    String consumer = kinesis.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("c")).consumer()
        .consumerARN();
    Poll.until("consumer ACTIVE", () -> kinesis.describeStreamConsumer(b -> b.consumerARN(consumer))
        .consumerDescription().consumerStatusAsString().equals("ACTIVE"));
    KinesisAsyncClient async = KinesisClients.defaultAsync(server.endpoint(), ONE);
    clients.add(async);
    Counting counting = new Counting(1);
    async.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumer).shardId("shardId-000000000000")
        .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(), counting.handler());
    counting.reachedTarget.get(30, TimeUnit.SECONDS);
  }

  @Test
  void a_wrong_secret_and_an_unknown_key_are_refused_in_aws_words() {
    refused("InvalidSignatureException", "The request signature we calculated does not match the signature you "
        + "provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for "
        + "details.", () -> kinesis(AwsBasicCredentials.create("AKIDMILLRACEONE", "not-the-secret")).listStreams());
    refused("UnrecognizedClientException", "The security token included in the request is invalid.",
        () -> kinesis(AwsBasicCredentials.create("AKIDSOMEONEELSE", "secret-one")).listStreams());
  }

  @Test
  void a_profile_s_account_id_is_the_account_its_requests_act_in() {
    kinesis(TEAM).createStream(b -> b.streamName("teams").shardCount(1));
    assertEquals("arn:aws:kinesis:us-east-1:111122223333:stream/teams", kinesis(TEAM).describeStreamSummary(
        b -> b.streamName("teams")).streamDescriptionSummary().streamARN());
    assertEquals(List.of(), kinesis(ONE).listStreams().streamNames(), "another account's streams are not listed");
  }

  @Test
  void temporary_credentials_are_served_only_with_their_session_token() {
    assertEquals(List.of(), kinesis(TEMPORARY).listStreams().streamNames());
    refused("UnrecognizedClientException", "The security token included in the request is invalid.",
        () -> kinesis(AwsBasicCredentials.create("ASIAMILLRACETMP", "secret-tmp")).listStreams());
    refused("UnrecognizedClientException", "The security token included in the request is invalid.",
        () -> kinesis(AwsSessionCredentials.create("ASIAMILLRACETMP", "secret-tmp", "stolen")).listStreams());
  }

  @Test
  void temporary_credentials_past_their_expiry_are_refused_as_expired() {
    refused("ExpiredTokenException", "The security token included in the request is expired",
        () -> kinesis(AwsSessionCredentials.create("ASIAMILLRACEOLD", "secret-old", "token-old")).listStreams());
    refused("InvalidSignatureException", "The request signature we calculated does not match the signature you "
        + "provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for "
        + "details.", () -> kinesis(AwsSessionCredentials.create("ASIAMILLRACEOLD", "guessed", "token-old"))
        .listStreams());
  }

  /** ListStreams signed by the AWS SDK's own signer with {@code clock}, in the header or in the query string. */
  private HttpResponse<String> listStreams(String service, Clock clock, Duration presignedFor) throws Exception {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    String target = service.startsWith("firehose") ? "Firehose_20150804.ListDeliveryStreams"
        : "Kinesis_20131202.ListStreams";
    SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(server.endpoint())
        .putHeader("Content-Type", "application/x-amz-json-1.1").putHeader("X-Amz-Target", target).build();
    SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(AwsCredentialsIdentity.create(ONE.accessKeyId(), ONE.secretAccessKey())).request(request)
          .payload(ContentStreamProvider.fromByteArray(body))
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service.equals("firehose-as-kinesis") ? "kinesis"
              : service)
          .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1").putProperty(HttpSigner.SIGNING_CLOCK, clock);
      if (presignedFor != null) {
        r.putProperty(AwsV4HttpSigner.AUTH_LOCATION, AwsV4HttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, presignedFor);
      }
    }).request();
    HttpRequest.Builder http = HttpRequest.newBuilder(signed.getUri()).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    signed.forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("host")) {
        values.forEach(v -> http.header(name, v));
      }
    });
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(http.build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void a_clock_more_than_five_minutes_off_is_refused_and_a_presigned_request_is_served_until_it_expires()
      throws Exception {
    Clock now = Clock.systemUTC();
    assertEquals(200, listStreams("kinesis", now, null).statusCode());
    HttpResponse<String> late = listStreams("kinesis", Clock.offset(now, Duration.ofMinutes(-10)), null);
    assertEquals(400, late.statusCode());
    assertTrue(late.body().contains("\"__type\":\"InvalidSignatureException\"")
        && late.body().contains("Signature expired: "), late.body());
    HttpResponse<String> early = listStreams("kinesis", Clock.offset(now, Duration.ofMinutes(10)), null);
    assertTrue(early.body().contains("Signature not yet current: "), early.body());

    assertEquals(200, listStreams("kinesis", now, Duration.ofMinutes(5)).statusCode());
    HttpResponse<String> expired = listStreams("kinesis", Clock.offset(now, Duration.ofMinutes(-2)),
        Duration.ofMinutes(1));
    assertTrue(expired.body().contains("Signature expired: "), expired.body());

    assertEquals(200, listStreams("firehose", now, null).statusCode(), "Firehose verifies its own signing name");
    HttpResponse<String> wrongService = listStreams("firehose-as-kinesis", now, null);
    assertTrue(wrongService.body().contains("Credential should be scoped to correct service: 'firehose'."),
        wrongService.body());
  }

  /** ListStreams over gRPC, its call's headers signed by the SDK's signer with {@code credentials} (or unsigned). */
  private Map<String, String> grpcListStreams(AwsCredentials credentials) {
    return grpcListStreams(credentials, ListStreamsRequest.getDefaultInstance(),
        ListStreamsRequest.getDefaultInstance());
  }

  /** As {@link #grpcListStreams(AwsCredentials)}, signed for {@code request} and sending {@code sent}. */
  private Map<String, String> grpcListStreams(AwsCredentials credentials, ListStreamsRequest request,
                                              ListStreamsRequest sent) {
    try (GrpcClients grpc = new GrpcClients(server.endpoint())) {
      return GrpcClients.await(grpc.client().request(grpc.server(), MillraceGrpcClient.ListStreams).compose(call -> {
        if (credentials != null) {
          GrpcClients.sign(call, credentials, server.endpoint(), "/millrace.v1.Millrace/ListStreams",
              request.toByteArray());
        }
        return call.end(sent).compose(v -> call.response())
            .compose(response -> response.last().transform(ar -> Future.succeededFuture(Map.of(
                "status", response.status().name(),
                "type", String.valueOf(response.trailers().get("aws-error-type") != null
                    ? response.trailers().get("aws-error-type") : response.headers().get("aws-error-type")),
                "streams", ar.succeeded() ? ar.result().getStreamsList().stream().map(d -> d.getName()).toList()
                    .toString() : ""))));
      }));
    }
  }

  @Test
  void grpc_calls_are_signed_as_any_request_and_act_in_their_key_s_account() {
    kinesis(TEAM).createStream(b -> b.streamName("team-stream").shardCount(1));
    Map<String, String> unsigned = grpcListStreams(null);
    assertEquals("UNAUTHENTICATED", unsigned.get("status"));
    assertEquals("MissingAuthenticationTokenException", unsigned.get("type"));
    assertEquals(Map.of("status", "OK", "type", "null", "streams", "[team-stream]"), grpcListStreams(TEAM));
    assertEquals("[]", grpcListStreams(ONE).get("streams"));
    Map<String, String> wrong = grpcListStreams(AwsBasicCredentials.create("AKIDMILLRACETEAM", "guessed"));
    assertEquals("UNAUTHENTICATED", wrong.get("status"));
    assertEquals("InvalidSignatureException", wrong.get("type"));
    ListStreamsRequest signedFor = ListStreamsRequest.newBuilder().setLimit(5).build();
    assertEquals("OK", grpcListStreams(TEAM, signedFor, signedFor).get("status"));
    Map<String, String> replayed = grpcListStreams(TEAM, signedFor, ListStreamsRequest.newBuilder().setLimit(6)
        .build());
    assertEquals("UNAUTHENTICATED", replayed.get("status"), "a signature covers its call's message");
  }

  @Test
  void a_key_pair_rotated_in_the_file_is_served_without_a_restart() throws Exception {
    AwsCredentials rotated = AwsBasicCredentials.create("AKIDMILLRACEONE", "secret-one-rotated");
    Files.writeString(file, Files.readString(file).replace("secret-one\n", "secret-one-rotated\n"));
    Poll.until("the rotated secret is accepted", () -> {
      try {
        kinesis(rotated).listStreams();
        return true;
      } catch (KinesisException e) {
        return false;
      }
    });
    refused("InvalidSignatureException", "The request signature we calculated does not match the signature you "
        + "provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for "
        + "details.", () -> kinesis(ONE).listStreams());
  }

  @Test
  void the_aws_cli_gets_in_with_a_profile_of_the_same_file_and_not_with_another() throws Exception {
    Path aws = Path.of("/usr/bin/aws");
    assumeTrue(Files.isExecutable(aws), "AWS CLI v2 is not at /usr/bin/aws (.ci/run installs it)");
    kinesis(TEAM).createStream(b -> b.streamName("cli-visible").shardCount(1));
    assertEquals(0, cli(aws, "team").exitValue());
    Path other = dir.resolve("other-credentials");
    Files.writeString(other, "[team]\naws_access_key_id = AKIDMILLRACETEAM\naws_secret_access_key = guessed\n");
    Process refused = cli(aws, "team", other);
    assertEquals(254, refused.exitValue());
    assertTrue(new String(refused.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
        .contains("InvalidSignatureException"));
  }

  private Process cli(Path aws, String profile) throws Exception {
    return cli(aws, profile, file);
  }

  private Process cli(Path aws, String profile, Path credentials) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(aws.toString(), "--profile", profile, "--endpoint-url",
        server.endpoint().toString(), "kinesis", "list-streams").redirectOutput(dir.resolve("cli.out").toFile());
    pb.environment().putAll(Map.of("AWS_SHARED_CREDENTIALS_FILE", credentials.toString(),
        "AWS_CONFIG_FILE", dir.resolve("no-config").toString(), "AWS_DEFAULT_REGION", "us-east-1",
        "AWS_EC2_METADATA_DISABLED", "true"));
    pb.environment().remove("AWS_ACCESS_KEY_ID");
    pb.environment().remove("AWS_SECRET_ACCESS_KEY");
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI did not finish");
    if (credentials == file) {
      assertTrue(Files.readString(dir.resolve("cli.out")).contains("cli-visible"),
          Files.readString(dir.resolve("cli.out")));
    }
    return p;
  }
}
