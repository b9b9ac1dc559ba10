package io.millrace.testing;

import io.millrace.grpc.v1.MillraceGrpcClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The generated Vert.x gRPC client of Millrace's native API, over h2c to a test server, with a Vert.x of its own;
 * {@link #await} turns its futures into values within a deadline.
 */
public final class GrpcClients implements AutoCloseable {

  /** Large enough for a full GetRecords answer (10 MiB of records) and a 5 MiB Produce batch. */
  private static final long MAX_MESSAGE_BYTES = 16L * 1024 * 1024;

  private final Vertx vertx = Vertx.vertx();
  private final GrpcClient client;
  private final SocketAddress server;
  private final java.util.List<GrpcClient> others = new java.util.ArrayList<>();

  public GrpcClients(URI endpoint) {
    this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
    this.server = SocketAddress.inetSocketAddress(endpoint.getPort(), endpoint.getHost());
  }

  private GrpcClients(URI endpoint, io.vertx.core.http.HttpClientOptions http) {
    this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES), http);
    this.server = SocketAddress.inetSocketAddress(endpoint.getPort(), endpoint.getHost());
  }

  /** Clients of a TLS port ({@code https://...}), trusting any certificate, HTTP/2 negotiated by ALPN. */
  public static GrpcClients overTls(URI endpoint) {
    return new GrpcClients(endpoint, new io.vertx.core.http.HttpClientOptions().setSsl(true).setTrustAll(true)
        .setVerifyHost(false).setUseAlpn(true).setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2));
  }

  /** The generated stub. */
  public MillraceGrpcClient millrace() {
    return MillraceGrpcClient.create(client, server);
  }

  /** A stub on a connection of its own (each GrpcClient keeps one HTTP/2 connection per server). */
  public MillraceGrpcClient onNewConnection() {
    return MillraceGrpcClient.create(newConnection(), server);
  }

  /** A low-level client on a connection of its own (for calls to cancel), closed with this. */
  public GrpcClient newConnection() {
    GrpcClient other = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
    others.add(other);
    return other;
  }

  public GrpcClient client() {
    return client;
  }

  public SocketAddress server() {
    return server;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Adds to {@code call} the SigV4 headers the AWS SDK's signer gives a POST of {@code message} to {@code rpcPath}
   * (e.g. {@code /millrace.v1.Millrace/ListStreams}) on {@code endpoint}, for Kinesis in us-east-1.
   */
  public static void sign(io.vertx.grpc.client.GrpcClientRequest<?, ?> call, AwsCredentials credentials,
                          URI endpoint, String rpcPath, byte[] message) {
    SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(credentials.accessKeyId(), credentials.secretAccessKey()))
        .request(SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(endpoint.resolve(rpcPath)).build())
        .payload(ContentStreamProvider.fromByteArray(message))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kinesis")
        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")).request();
    signed.forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("host")) {
        call.headers().add(name.toLowerCase(java.util.Locale.ROOT), values);
      }
    });
  }

  /** The future's value, or its failure thrown, within 30 seconds. */
  public static <T> T await(Future<T> future) {
    return await(future, Duration.ofSeconds(30));
  }

  public static <T> T await(Future<T> future, Duration limit) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within " + limit, e);
    }
  }

  @Override
  public void close() {
    others.forEach(other -> await(other.close()));
    await(client.close());
    await(vertx.close());
  }
}
