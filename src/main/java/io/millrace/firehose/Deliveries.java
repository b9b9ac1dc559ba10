package io.millrace.firehose;

import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The running deliveries: per delivery stream, its buffer (a {@link ShardVerticle} over its own log in
 * {@code <dataDir>/firehose/<account>/<region>/<name>/buffer/}, or in memory) and its {@link DeliveryStreamVerticle},
 * whose checkpoint and staging files sit beside the buffer (in a temporary directory for an in-memory server).
 *
 * <p>Thread-safe: the map is concurrent; deploy and remove are called by the registry's context.
 */
public final class Deliveries implements DeliveryStreamRegistry.DeliveryRuntime {

  /** A buffer's segment size: small, so that delivered records leave the disk soon. */
  static final long BUFFER_SEGMENT_BYTES = 16L * 1024 * 1024;
  /** A buffer keeps its records until they are delivered; its shard never expires them. */
  private static final long KEEP_UNTIL_DELIVERED = Long.MAX_VALUE / 4;

  private record Deployed(String bufferId, String deliveryId, Path dir, DeliveryStreamVerticle delivery,
                          DeliveryStats stats) {}

  private final Vertx vertx;
  private final Path dataDir;
  private final ShardSettings shardSettings;
  private final SegmentIo io;
  private final DeliveryStreamVerticle.Settings settings;
  private final MeterRegistry meters;
  private final Map<DeliveryStreamKey, Deployed> deployed = new ConcurrentHashMap<>();

  /**
   * @param dataDir       the data directory, or null for in-memory buffers
   * @param shardSettings the server's shard settings; a buffer never throttles
   * @param meters        where each delivery stream's {@link DeliveryStats} are registered (null: nowhere)
   */
  public Deliveries(Vertx vertx, Path dataDir, ShardSettings shardSettings, SegmentIo io,
                    DeliveryStreamVerticle.Settings settings, MeterRegistry meters) {
    this.vertx = vertx;
    this.dataDir = dataDir;
    this.shardSettings = new ShardSettings(shardSettings.durability(), shardSettings.fsyncIntervalMillis(),
        shardSettings.tailCacheBytes(), false, shardSettings.clock(), shardSettings.events(),
        shardSettings.tailCacheBudget(), shardSettings.retentionCheckMillis());
    this.io = io;
    this.settings = settings;
    this.meters = meters;
  }

  /** The running delivery of {@code key}, or null. */
  public DeliveryHandle find(DeliveryStreamKey key) {
    Deployed d = deployed.get(key);
    return d == null ? null : new DeliveryHandle(d.delivery());
  }

  @Override
  public Future<Void> deploy(DeliveryStreamMeta stream) {
    DeliveryStreamKey key = stream.key();
    if (deployed.containsKey(key)) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      Path dir = dataDir == null ? Files.createTempDirectory("millrace-firehose-")
          : dataDir.resolve("firehose").resolve(key.account()).resolve(key.region()).resolve(key.name());
      Files.createDirectories(dir);
      return dir;
    }).compose(dir -> {
      Path bufferDir = dir.resolve("buffer");
      Callable<ShardLog> opener = dataDir == null ? MemoryShardLog::new : () -> {
        Files.createDirectories(bufferDir);
        return FileShardLog.open(bufferDir, BUFFER_SEGMENT_BYTES, io);
      };
      ShardVerticle buffer = new ShardVerticle("firehose/" + key.name(), opener, shardSettings,
          KEEP_UNTIL_DELIVERED);
      return vertx.deployVerticle(buffer).compose(bufferId -> {
        ShardHandle handle = new ShardHandle(buffer, buffer.ownerContext());
        DeliveryStats stats = new DeliveryStats();
        DeliveryStreamVerticle delivery = new DeliveryStreamVerticle(stream, handle, dir, settings, stats);
        return vertx.deployVerticle(delivery)
            .onSuccess(deliveryId -> {
              deployed.put(key, new Deployed(bufferId, deliveryId, dir, delivery, stats));
              stats.register(meters, key.name(), stream.destination().kind(),
                  settings.clock()::millis);
            })
            .onFailure(e -> vertx.undeploy(bufferId))
            .<Void>mapEmpty();
      });
    });
  }

  @Override
  public void reconfigure(DeliveryStreamMeta stream) {
    Deployed d = deployed.get(stream.key());
    if (d != null) {
      d.delivery().ownerContext().runOnContext(v -> d.delivery().reconfigure(stream));
    }
  }

  @Override
  public Future<Void> remove(DeliveryStreamKey key) {
    Deployed d = deployed.remove(key);
    if (d != null) {
      d.stats().unregister(meters);
    }
    Path dir = d != null ? d.dir() : dataDir == null ? null
        : dataDir.resolve("firehose").resolve(key.account()).resolve(key.region()).resolve(key.name());
    Future<Void> stopped = d == null ? Future.succeededFuture()
        : vertx.undeploy(d.deliveryId()).eventually(() -> vertx.undeploy(d.bufferId()));
    return stopped.compose(v -> vertx.executeBlocking(() -> {
      deleteTree(dir);
      return null;
    }));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
