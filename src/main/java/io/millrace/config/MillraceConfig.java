package io.millrace.config;

import java.nio.file.Path;

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
    long blockedThreadWarnMillis) {

}
