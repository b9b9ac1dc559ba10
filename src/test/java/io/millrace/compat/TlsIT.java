package io.millrace.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.millrace.compat.FanOutIT.Counting;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.ListStreamsRequest;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.TestServer;
import io.vertx.core.net.SelfSignedCertificate;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * The TLS port ({@code tlsPort}) with the self-signed certificate made at start: the AWS SDK for Java v2's default
 * async client (HTTP/2 right after the handshake, no ALPN) including SubscribeToShard, and its synchronous client
 * (HTTP/1.1), on the same server as the plain port; gRPC over TLS; and a server whose plain port is off.
 */
@Timeout(60)
class TlsIT {

  private static final AttributeMap TRUST_ALL = AttributeMap.builder()
      .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build();

  private TestServer server;
  private URI endpoint;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("createStreamMillis", "0", "consumerCreateMillis", "0", "tlsPort", "0"));
    endpoint = URI.create("https://127.0.0.1:" + server.millrace().tlsPort());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void the_sdk_is_served_over_tls_by_its_http2_async_client_and_its_http1_sync_client() throws Exception {
    StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"));
    try (KinesisClient sync = KinesisClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.builder().buildWithDefaults(TRUST_ALL))
        .build();
         KinesisAsyncClient async = KinesisAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
             .credentialsProvider(credentials).httpClient(NettyNioAsyncHttpClient.builder()
                 .readTimeout(Duration.ofSeconds(20)).buildWithDefaults(TRUST_ALL)).build()) {
      sync.createStream(b -> b.streamName("secure").shardCount(1));
      sync.putRecord(b -> b.streamName("secure").partitionKey("k").data(SdkBytes.fromUtf8String("over tls")));
      assertEquals(1, async.listStreams().get(20, TimeUnit.SECONDS).streamNames().size());
      String arn = async.describeStreamSummary(b -> b.streamName("secure")).get(20, TimeUnit.SECONDS)
          .streamDescriptionSummary().streamARN();
      String consumer = async.registerStreamConsumer(b -> b.streamARN(arn).consumerName("c"))
          .get(20, TimeUnit.SECONDS).consumer().consumerARN();
      Counting counting = new Counting(1);
      async.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumer).shardId("shardId-000000000000")
          .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(), counting.handler());
      counting.reachedTarget.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_configured_pem_certificate_and_key_are_served() throws Exception {
    server.close();
    SelfSignedCertificate pem = SelfSignedCertificate.create("localhost"); // PEM files, as an operator would give
    server = TestServer.start(Map.of("tlsPort", "0", "tlsCertFile", pem.certificatePath(), "tlsKeyFile",
        pem.privateKeyPath()));
    URI configured = URI.create("https://127.0.0.1:" + server.millrace().tlsPort());
    try (KinesisClient sync = KinesisClient.builder().endpointOverride(configured).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
        .httpClient(UrlConnectionHttpClient.builder().buildWithDefaults(TRUST_ALL)).build()) {
      assertEquals(0, sync.listStreams().streamNames().size());
    }
  }

  @Test
  void grpc_is_served_over_tls_negotiated_by_alpn() {
    try (GrpcClients grpc = GrpcClients.overTls(endpoint)) {
      GrpcClients.await(grpc.millrace().createStream(CreateStreamRequest.newBuilder().setName("grpc-tls")
          .setShardCount(1).build()));
      assertEquals(List.of("grpc-tls"), GrpcClients.await(grpc.millrace().listStreams(
          ListStreamsRequest.getDefaultInstance())).getStreamsList().stream().map(s -> s.getName()).toList());
    }
  }

  @Test
  void with_the_plain_port_off_the_api_is_served_over_tls_only() {
    server.close();
    server = TestServer.start(Map.of("port", "-1", "tlsPort", "0"));
    assertEquals(-1, server.millrace().port());
    URI tlsOnly = URI.create("https://127.0.0.1:" + server.millrace().tlsPort());
    try (KinesisClient sync = KinesisClient.builder().endpointOverride(tlsOnly).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
        .httpClient(UrlConnectionHttpClient.builder().buildWithDefaults(TRUST_ALL)).build()) {
      sync.createStream(b -> b.streamName("tls-only").shardCount(1));
      assertEquals(List.of("tls-only"), sync.listStreams().streamNames());
    }
  }

  @ParameterizedTest
  @EnumSource(Flavor.class)
  void every_sdk_flavor_is_served_over_tls_with_its_signature_verified(Flavor flavor, @TempDir Path dir)
      throws Exception {
    server.close();
    Path credentials = dir.resolve("credentials");
    Files.writeString(credentials, "[compat]\naws_access_key_id = AKIDCOMPAT\naws_secret_access_key = compat-secret\n");
    server = TestServer.start(Map.of("port", "-1", "tlsPort", "0", "credentialsFile", credentials.toString(),
        "createStreamMillis", "0"));
    URI tls = URI.create("https://127.0.0.1:" + server.millrace().tlsPort());
    try (CompatClient signed = CompatClient.connect(tls, flavor)) {
      signed.kinesis().createStream(b -> b.streamName("signed-" + flavor.ordinal()).shardCount(1));
      signed.kinesis().putRecord(b -> b.streamName("signed-" + flavor.ordinal()).partitionKey("k")
          .data(SdkBytes.fromUtf8String("over tls")));
      assertEquals(List.of("signed-" + flavor.ordinal()), signed.kinesis().listStreams().streamNames());
    }
    try (CompatClient guessing = CompatClient.connect(tls, flavor, AwsBasicCredentials.create("AKIDCOMPAT",
        "guessed"))) {
      KinesisException refused = assertThrows(KinesisException.class, () -> guessing.kinesis().listStreams());
      assertEquals("InvalidSignatureException", refused.awsErrorDetails().errorCode());
    }
  }
}
