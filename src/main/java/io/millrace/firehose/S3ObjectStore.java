package io.millrace.firehose;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3-compatible store (S3Proxy, MinIO, AWS S3 itself) through the AWS SDK's S3 client: path-style requests to the
 * configured endpoint, signed with the configured credentials. A PUT is atomic in S3. Thread-safe; blocking.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {

  private final String endpoint;
  private final S3Client client;

  /** @param accessKeyId empty: the SDK's default credentials, else none ({@link OutboundCredentials}) */
  public S3ObjectStore(String endpoint, String region, String accessKeyId, String secretAccessKey) {
    this.endpoint = endpoint;
    this.client = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.of(region))
        .forcePathStyle(true).credentialsProvider(OutboundCredentials.of(accessKeyId, secretAccessKey))
        .httpClient(UrlConnectionHttpClient.create())
        // The delivery retries on its own schedule (Retries); the SDK's retries would only hide failures in it.
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  @Override
  public void put(String bucket, String key, Path file, String contentEncoding) throws IOException {
    try {
      client.putObject(b -> b.bucket(bucket).key(key).contentType("application/octet-stream")
          .contentEncoding(contentEncoding), RequestBody.fromFile(file));
    } catch (SdkException e) {
      throw new IOException("S3 PutObject of s3://" + bucket + "/" + key + " to " + endpoint + " failed: "
          + e.getMessage(), e);
    }
  }

  @Override
  public InputStream open(String bucket, String key) throws IOException {
    try {
      return client.getObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw new IOException("S3 GetObject of s3://" + bucket + "/" + key + " from " + endpoint + " failed: "
          + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "the S3-compatible store at " + endpoint;
  }

  @Override
  public void close() {
    client.close();
  }
}
