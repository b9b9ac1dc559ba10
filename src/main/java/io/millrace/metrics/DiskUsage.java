package io.millrace.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Bytes on disk per stream ({@code millrace_stream_disk_bytes{StreamName,Account,Region}}): every file under the
 * stream's directory ({@code <dataDir>/streams/<account>/<region>/<stream>/}: its shards' segments and indexes),
 * measured by walking the directories on a worker every {@link #PERIOD_MILLIS} (a scrape must not wait on the disk,
 * and segment sizes change with every append, which is not worth a counter on the write path). A stream's gauge
 * appears with its directory and goes with it.
 *
 * <p>Threading: the walk runs on a worker; the gauges' values are atomics read by scrapes on any thread.
 */
public final class DiskUsage {

  static final long PERIOD_MILLIS = 5_000;

  private final Path streamsDir;
  private final MeterRegistry registry;
  private final Map<Tags, AtomicLong> bytes = new ConcurrentHashMap<>();
  private final Map<Tags, Gauge> gauges = new ConcurrentHashMap<>();
  /** Whether a walk is under way (read and written on the verticle's context). */
  private boolean sampling;
  /** Whether the last walk failed (on the verticle's context). */
  private boolean failing;

  private DiskUsage(Path streamsDir, MeterRegistry registry) {
    this.streamsDir = streamsDir;
    this.registry = registry;
  }

  /** Starts measuring the streams under {@code dataDir}, in a verticle of its own (undeployed with Vert.x). */
  public static Future<String> start(Vertx vertx, Path dataDir, MeterRegistry registry) {
    DiskUsage usage = new DiskUsage(dataDir.resolve("streams"), registry);
    return vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        usage.sample(vertx);
        vertx.setPeriodic(PERIOD_MILLIS, id -> usage.sample(vertx));
        return Future.succeededFuture();
      }
    });
  }

  private void sample(Vertx vertx) {
    if (sampling) {
      return; // the last walk is still going (a slow disk): skip this one
    }
    sampling = true;
    vertx.executeBlocking(this::measure, false).onComplete(ar -> {
      sampling = false;
      if (ar.succeeded()) {
        failing = false;
        publish(ar.result());
      } else if (!failing) { // once per spell of failures: a directory it may not read would say so every 5 s
        failing = true;
        LoggerFactory.getLogger(DiskUsage.class).warn("Bytes on disk per stream not measured: {}", ar.cause()
            .toString());
      }
    });
  }

  /**
   * Bytes per stream directory, as the file system has them now. Blocking. A file or directory that goes during the
   * walk (a retention trim, an index rewritten, a stream deleted) is skipped.
   */
  private Map<Tags, Long> measure() throws IOException {
    Map<Tags, Long> now = new HashMap<>();
    if (!Files.isDirectory(streamsDir)) {
      return now;
    }
    Path root = streamsDir.toRealPath(); // the directory itself may be a link; nothing under it is followed
    Files.walkFileTree(root, java.util.Set.of(), 5, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
        Tags stream = streamOf(root, dir);
        if (stream != null) {
          now.putIfAbsent(stream, 0L); // an empty stream directory is a stream with no bytes yet
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
        Tags stream = streamOf(root, file);
        if (stream != null && attributes.isRegularFile()) {
          now.merge(stream, attributes.size(), Long::sum);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }
    });
    return now;
  }

  /** The stream a path under {@code <root>/<account>/<region>/<stream>/} belongs to, or null above that. */
  private static Tags streamOf(Path root, Path path) {
    Path relative = root.relativize(path);
    return relative.getNameCount() < 3 ? null : Tags.of("StreamName", relative.getName(2).toString(), "Account",
        relative.getName(0).toString(), "Region", relative.getName(1).toString());
  }

  /** Updates the gauges (on the verticle's context): new streams get one, streams gone lose theirs. */
  private void publish(Map<Tags, Long> now) {
    now.forEach((stream, size) -> bytes.computeIfAbsent(stream, s -> {
      AtomicLong value = new AtomicLong();
      gauges.put(s, Gauge.builder("millrace.stream.disk", value, AtomicLong::get).baseUnit("bytes").tags(s)
          .description("Bytes of the stream's files on disk (sampled every few seconds)").register(registry));
      return value;
    }).set(size));
    for (Tags stream : Map.copyOf(bytes).keySet()) {
      if (!now.containsKey(stream)) {
        bytes.remove(stream);
        registry.remove(gauges.remove(stream));
      }
    }
  }
}
