package io.millrace.testing;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Builds AWS SDK v2 Kinesis clients for a local endpoint: dummy credentials, us-east-1, an explicit HTTP client
 * (several are on the test classpath) for the synchronous ones. The caller keeps the client in a field and closes it.
 */
public final class KinesisClients {

  private KinesisClients() {}

  /** A client with the SDK's default retries. */
  public static KinesisClient kinesis(URI endpoint) {
    return build(endpoint, false);
  }

  /**
   * A client that never retries: every request is sent at most once, so a test can tell what the server
   * acknowledged from what it merely received.
   */
  public static KinesisClient kinesisWithoutRetries(URI endpoint) {
    return build(endpoint, true);
  }

  /**
   * The async client as an application gets it, for SubscribeToShard: the SDK's own HTTP client (Netty, HTTP/2 with
   * prior knowledge) and its default timeouts and retries.
   */
  public static KinesisAsyncClient defaultAsync(URI endpoint) {
    return KinesisAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .build();
  }

  /** A client signing with {@code credentials} (a server that verifies signatures knows them), without retries. */
  public static KinesisClient kinesis(URI endpoint, AwsCredentials credentials) {
    return build(endpoint, true, StaticCredentialsProvider.create(credentials));
  }

  /** As {@link #defaultAsync(URI)}, signing with {@code credentials}. */
  public static KinesisAsyncClient defaultAsync(URI endpoint, AwsCredentials credentials) {
    return KinesisAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(credentials)).build();
  }

  private static KinesisClient build(URI endpoint, boolean noRetries) {
    return build(endpoint, noRetries,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")));
  }

  private static KinesisClient build(URI endpoint, boolean noRetries, StaticCredentialsProvider credentials) {
    SdkHttpClient http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2))
        .socketTimeout(Duration.ofSeconds(10)).build();
    return KinesisClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(credentials)
        .httpClient(http)
        .overrideConfiguration(c -> {
          if (noRetries) {
            c.retryStrategy(AwsRetryStrategy.doNotRetry());
          }
          c.apiCallTimeout(Duration.ofSeconds(20));
        })
        .build();
  }
}
