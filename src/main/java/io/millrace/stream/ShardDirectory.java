package io.millrace.stream;

import io.millrace.shard.ShardHandle;
import io.millrace.shard.ShardSettings;
import io.millrace.shard.ShardVerticle;
import io.millrace.storage.FileShardLog;
import io.millrace.storage.MemoryShardLog;
import io.millrace.storage.SegmentIo;
import io.millrace.storage.ShardLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Deploys one {@link ShardVerticle} per shard and finds its {@link ShardHandle}. Each shard's log lives in
 * {@code <dataDir>/streams/<account>/<region>/<stream>/<shardId>/}, or in memory.
 *
 * <p>Thread-safe: the map is concurrent; deploy and undeploy are called by the registry's context only.
 */
public final class ShardDirectory {

  private record Address(StreamKey stream, int index) {}

  private record Deployed(String deploymentId, ShardHandle handle) {}

  private final Vertx vertx;
  private final Path dataDir;
  private final long segmentMaxBytes;
  private final ShardSettings settings;
  private final SegmentIo segmentIo;
  private final Map<Address, Deployed> shards = new ConcurrentHashMap<>();

  /**
   * @param dataDir         the data directory, or null for in-memory shards
   * @param segmentMaxBytes segment size at which a shard log rolls to a new file
   */
  public ShardDirectory(Vertx vertx, Path dataDir, long segmentMaxBytes, ShardSettings settings) {
    this(vertx, dataDir, segmentMaxBytes, settings, SegmentIo.standard());
  }

  /**
   * @param segmentIo the file operations of every file-backed shard log ({@link SegmentIo#standard()} outside
   *                  fault-injection tests)
   */
  public ShardDirectory(Vertx vertx, Path dataDir, long segmentMaxBytes, ShardSettings settings,
                        SegmentIo segmentIo) {
    this.vertx = vertx;
    this.dataDir = dataDir;
    this.segmentMaxBytes = segmentMaxBytes;
    this.settings = settings;
    this.segmentIo = segmentIo;
  }

  /** The handle of a deployed shard, or null while it is not (yet, or any longer) deployed. */
  public ShardHandle find(StreamKey stream, int index) {
    Deployed d = shards.get(new Address(stream, index));
    return d == null ? null : d.handle();
  }

  /** Opens (recovering) and deploys the shard's verticle; idempotent. */
  public Future<ShardHandle> deploy(StreamMeta meta, ShardMeta shard) {
    StreamKey stream = meta.key();
    Address address = new Address(stream, shard.index());
    Deployed existing = shards.get(address);
    if (existing != null) {
      return Future.succeededFuture(existing.handle());
    }
    Path dir = shardDir(stream, shard.shardId());
    Callable<ShardLog> opener = dir == null ? MemoryShardLog::new : () -> {
      Files.createDirectories(dir);
      return FileShardLog.open(dir, segmentMaxBytes, segmentIo);
    };
    ShardVerticle verticle = new ShardVerticle(stream.name() + "/" + shard.shardId(), opener, settings,
        retentionMillis(meta.retentionHours()));
    return vertx.deployVerticle(verticle).map(id -> {
      ShardHandle handle = new ShardHandle(verticle, verticle.ownerContext());
      shards.put(address, new Deployed(id, handle));
      return handle;
    });
  }

  static long retentionMillis(int hours) {
    return hours * 3_600_000L;
  }

  /** Tells every deployed shard of the stream its new retention period. */
  public Future<Void> retention(StreamKey stream, int hours) {
    List<Future<Void>> changes = new ArrayList<>();
    shards.forEach((address, deployed) -> {
      if (address.stream().equals(stream)) {
        changes.add(deployed.handle().retentionMillis(retentionMillis(hours)));
      }
    });
    return Future.all(changes).mapEmpty();
  }

  /** Runs retention now on every deployed shard of the stream (it also runs periodically). */
  public Future<Void> enforceRetention(StreamKey stream) {
    List<Future<Long>> runs = new ArrayList<>();
    shards.forEach((address, deployed) -> {
      if (address.stream().equals(stream)) {
        runs.add(deployed.handle().enforceRetention());
      }
    });
    return Future.all(runs).mapEmpty();
  }

  /** Stops every deployed shard of the stream (flushing and closing their logs). */
  public Future<Void> undeployAll(StreamKey stream) {
    List<Future<Void>> stops = new ArrayList<>();
    shards.entrySet().removeIf(e -> {
      if (e.getKey().stream().equals(stream)) {
        stops.add(vertx.undeploy(e.getValue().deploymentId()));
        return true;
      }
      return false;
    });
    return Future.all(stops).mapEmpty();
  }

  /** Stops one shard (flushing and closing its log), if it is deployed. */
  public Future<Void> undeploy(StreamKey stream, int index) {
    Deployed deployed = shards.remove(new Address(stream, index));
    return deployed == null ? Future.succeededFuture() : vertx.undeploy(deployed.deploymentId());
  }

  /** Deletes one shard's files. Blocking; call on a worker after {@link #undeploy}. */
  public void deleteFiles(StreamKey stream, String shardId) throws IOException {
    deleteTree(shardDir(stream, shardId));
  }

  /** Deletes the stream's files. Blocking; call on a worker after {@link #undeployAll}. */
  public void deleteFiles(StreamKey stream) throws IOException {
    deleteTree(streamDir(stream));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private Path streamDir(StreamKey stream) {
    return dataDir == null ? null
        : dataDir.resolve("streams").resolve(stream.account()).resolve(stream.region()).resolve(stream.name());
  }

  private Path shardDir(StreamKey stream, String shardId) {
    Path s = streamDir(stream);
    return s == null ? null : s.resolve(shardId);
  }
}
