package io.millrace.firehose;

import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The credentials Millrace signs its calls to external stores and functions with (an S3-compatible store, a Lambda
 * endpoint): the configured access key when there is one; else the AWS SDK's default chain (environment variables,
 * system properties, profile files, container and instance roles), and, when that finds nothing, none: requests go
 * unsigned, which a local Lambda runtime or an S3-compatible store open to anonymous writes accepts, and any other
 * store refuses with its own access-denied error rather than a missing-credentials one.
 */
final class OutboundCredentials {

  private OutboundCredentials() {}

  /** @param accessKeyId empty or null: the default chain, then anonymous */
  static AwsCredentialsProvider of(String accessKeyId, String secretAccessKey) {
    if (accessKeyId != null && !accessKeyId.isEmpty()) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey));
    }
    return AwsCredentialsProviderChain.builder().reuseLastProviderEnabled(true)
        .credentialsProviders(DefaultCredentialsProvider.builder().build(), AnonymousCredentialsProvider.create())
        .build();
  }
}
