package io.millrace.stream;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Collections;
import java.util.TreeMap;

/**
 * Everything Millrace knows about one stream except its records. Immutable; changes produce a new instance
 * through {@link #toBuilder()} and are published by {@link StreamRegistry}.
 *
 * @param key                 account, region and name
 * @param status              lifecycle state
 * @param mode                PROVISIONED or ON_DEMAND
 * @param createdMillis       creation time; also tells apart incarnations of the same name
 * @param retentionHours      24..8760
 * @param shards              every shard not yet expired, by index
 * @param nextShardIndex      the index the next new shard gets
 * @param tags                tag key to value, sorted by key
 * @param encryptionType      {@code NONE} or {@code KMS}
 * @param keyId               the KMS key id while encryption is on
 * @param shardLevelMetrics   enabled enhanced-monitoring metrics, sorted
 * @param maxRecordSizeKiB    the largest record accepted, 1024..10240
 * @param warmThroughputMiBps the requested warm throughput, or null
 */
public record StreamMeta(StreamKey key, StreamStatus status, StreamMode mode, long createdMillis, int retentionHours,
                         List<ShardMeta> shards, int nextShardIndex, Map<String, String> tags,
                         String encryptionType, String keyId, List<String> shardLevelMetrics, int maxRecordSizeKiB,
                         Integer warmThroughputMiBps) {

  public static final int DEFAULT_RETENTION_HOURS = 24;
  public static final int DEFAULT_MAX_RECORD_SIZE_KIB = 1024;

  public StreamMeta {
    shards = List.copyOf(shards);
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
    shardLevelMetrics = List.copyOf(shardLevelMetrics);
  }

  public String arn() {
    return key.arn();
  }

  public String name() {
    return key.name();
  }

  public List<ShardMeta> openShards() {
    return shards.stream().filter(ShardMeta::open).toList();
  }

  public Optional<ShardMeta> shard(String shardId) {
    return shards.stream().filter(s -> s.shardId().equals(shardId)).findFirst();
  }

  public Optional<ShardMeta> shard(int index) {
    return shards.stream().filter(s -> s.index() == index).findFirst();
  }

  public long maxRecordBytes() {
    return maxRecordSizeKiB * 1024L;
  }

  public boolean encrypted() {
    return "KMS".equals(encryptionType);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Copies a stream with some fields changed. */
  public static final class Builder {
    private StreamKey key;
    private StreamStatus status;
    private StreamMode mode;
    private long createdMillis;
    private int retentionHours;
    private List<ShardMeta> shards;
    private int nextShardIndex;
    private Map<String, String> tags;
    private String encryptionType;
    private String keyId;
    private List<String> shardLevelMetrics;
    private int maxRecordSizeKiB;
    private Integer warmThroughputMiBps;

    private Builder(StreamMeta m) {
      key = m.key;
      status = m.status;
      mode = m.mode;
      createdMillis = m.createdMillis;
      retentionHours = m.retentionHours;
      shards = m.shards;
      nextShardIndex = m.nextShardIndex;
      tags = m.tags;
      encryptionType = m.encryptionType;
      keyId = m.keyId;
      shardLevelMetrics = m.shardLevelMetrics;
      maxRecordSizeKiB = m.maxRecordSizeKiB;
      warmThroughputMiBps = m.warmThroughputMiBps;
    }

    public Builder status(StreamStatus v) { status = v; return this; }
    public Builder mode(StreamMode v) { mode = v; return this; }
    public Builder retentionHours(int v) { retentionHours = v; return this; }
    public Builder shards(List<ShardMeta> v, int next) { shards = v; nextShardIndex = next; return this; }
    public Builder tags(Map<String, String> v) { tags = new TreeMap<>(v); return this; }
    public Builder encryption(String type, String key) { encryptionType = type; keyId = key; return this; }
    public Builder shardLevelMetrics(List<String> v) { shardLevelMetrics = v; return this; }
    public Builder maxRecordSizeKiB(int v) { maxRecordSizeKiB = v; return this; }
    public Builder warmThroughputMiBps(Integer v) { warmThroughputMiBps = v; return this; }

    public StreamMeta build() {
      return new StreamMeta(key, status, mode, createdMillis, retentionHours, shards, nextShardIndex, tags,
          encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps);
    }
  }
}
