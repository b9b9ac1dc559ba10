package io.millrace.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Every setting of a Millrace server, validated once at boot ({@link ConfigLoader}). Units are in the names.
 * {@code conf/millrace.yaml} documents each one with its default.
 */
public record MillraceConfig(
    String host,
    int port,
    Path dataDir,
    boolean inMemory,
    Durability durability,
    long fsyncIntervalMillis,
    long segmentMaxBytes,
    long tailCacheBytesPerShard,
    long tailCacheBytesTotal,
    long retentionCheckMillis,
    long maxRequestBytes,
    int maxConnections,
    long connectionIdleTimeoutMillis,
    long requestReadTimeoutMillis,
    long maxReceivingBytes,
    String defaultAccountId,
    String defaultRegion,
    int shardLimit,
    int onDemandStreamLimit,
    long createStreamMillis,
    long deleteStreamMillis,
    long updateStreamMillis,
    int scalingsPerDay,
    long onDemandCheckMillis,
    long onDemandQuietMillis,
    int onDemandMaxShards,
    long consumerCreateMillis,
    long consumerDeleteMillis,
    long subscriptionLifetimeMillis,
    long subscriptionHeartbeatMillis,
    long subscriptionTakeoverMillis,
    long subscriptionMaxBytesPerSecond,
    long subscriptionMaxInFlightBytes,
    boolean enforceThroughputLimits,
    String iteratorSecret,
    int eventLoops,
    long blockedThreadWarnMillis,
    Firehose firehose,
    String analyticsClasspath,
    String analyticsFlinkRestUrl,
    String credentialsFile,
    int tlsPort,
    String tlsCertFile,
    String tlsKeyFile,
    long tlsHandshakeTimeoutMillis,
    List<ConfigLoader.InitialStream> initializeStreams,
    String logFormat,
    String accessLog,
    boolean console) {

  /**
   * The Firehose settings.
   *
   * @param deliveryStreamLimit            delivery streams allowed per account and region
   * @param deliveryStreamCreateMillis     time a delivery stream spends CREATING
   * @param deliveryStreamDeleteMillis     time a delivery stream spends DELETING
   * @param deliveryStreamMaxBufferedBytes disk a delivery stream's undelivered records may take before puts are
   *                                       refused with ServiceUnavailableException
   * @param directPutLimits                enforce AWS's Direct PUT quotas per delivery stream
   * @param s3Endpoint                     an S3-compatible store to deliver to; empty: files under dataDir/s3
   * @param lambdaEndpoint                 where the Lambda Invoke API of data-transformation functions is served
   * @param outboundAccessKeyId            credentials for the S3 and Lambda endpoints
   * @param outboundSecretAccessKey        (with the key id above)
   * @param outboundRegion                 region the S3 and Lambda clients sign for
   * @param httpEndpointTimeoutMillis      how long an HTTP endpoint may take to answer one delivery
   * @param openSearchDomainEndpoints      where OpenSearch destinations given by DomainARN are served:
   *                                       {@code <domain ARN>=<endpoint URL>}, comma-separated
   * @param hecAckTimeoutMaxMillis         the longest a Splunk delivery waits for an indexer acknowledgement,
   *                                       whatever HECAcknowledgmentTimeoutInSeconds says (0: as it says)
   */
  public record Firehose(int deliveryStreamLimit, long deliveryStreamCreateMillis, long deliveryStreamDeleteMillis,
                         long deliveryStreamMaxBufferedBytes, boolean directPutLimits, String s3Endpoint,
                         String lambdaEndpoint, String outboundAccessKeyId, String outboundSecretAccessKey,
                         String outboundRegion, long httpEndpointTimeoutMillis, String openSearchDomainEndpoints,
                         long hecAckTimeoutMaxMillis) {}
}
