package io.millrace.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of {@link FileShardLog} (not tests; compiled only with {@code -Pjmh}, see README "Storage
 * benchmarks").
 *
 * <ul>
 *   <li>{@code appendOneLog} / {@code appendEightLogs}: batches of {@value #BATCH_RECORDS} records of
 *       {@code recordBytes} data bytes appended to one log, or to eight logs from eight threads (one log each).
 *       Durability {@code always} syncs after every batch, {@code none} never, {@code interval} whenever a timer
 *       thread has flagged that {@code syncIntervalMillis} passed (the appender does the sync, as the single-writer
 *       contract requires). Scores are records/s; MB/s = records/s x recordBytes / 10^6 (payload bytes; each record
 *       adds about 40 bytes of key and framing on disk). To bound disk use, arrival times are the offsets and the
 *       appender trims everything older than {@code retainedMegabytes} every 64 batches (cheap: no deletion most
 *       of the time).</li>
 *   <li>{@code randomRead}: {@code read(offset, 1, ...)} at uniformly random offsets of a log populated with
 *       {@code readLogMegabytes} of {@code readRecordBytes}-byte records (page cache warm).</li>
 *   <li>{@code openAllShards}: opens and closes {@code shards} logs of {@code shardMegabytes} each (1 KiB records,
 *       {@code segmentMegabytes} segments) with their index files (sealed indexes and the active segment's
 *       checkpoint from the clean close), or with all index files deleted before each open
 *       ({@code indexFiles=false}: every segment is scanned and its index rewritten, as after an upgrade or a crash
 *       before any checkpoint).
 *       Single-shot time per open of all shards. The page cache is not dropped.</li>
 * </ul>
 *
 * <p>Files go under {@code -Dmillrace.bench.dir} (passed to the forked JVM with {@code -jvmArgsAppend}), default
 * {@code java.io.tmpdir}, and are deleted when a trial ends.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ShardLogBenchmark {

  static final int BATCH_RECORDS = 500;
  static final long SEGMENT_BYTES = FileShardLog.DEFAULT_MAX_SEGMENT_BYTES;

  /** One appender's log. Scope.Thread: with eight threads there are eight logs. */
  @State(Scope.Thread)
  public static class Appender {
    @Param({"1024", "100"})
    public int recordBytes;
    @Param({"always", "none", "interval"})
    public String durability;
    @Param({"50"})
    public long syncIntervalMillis;
    @Param({"256"})
    public long retainedMegabytes;

    private Path directory;
    private FileShardLog log;
    private byte[] data;
    private ScheduledExecutorService timer;
    private final AtomicBoolean syncDue = new AtomicBoolean();
    private long batches;
    private long retainedRecords;

    @Setup(Level.Trial)
    public void open() throws IOException {
      directory = Files.createTempDirectory(benchmarkRoot(), "append-");
      log = FileShardLog.open(directory, SEGMENT_BYTES);
      data = new byte[recordBytes];
      ThreadLocalRandom.current().nextBytes(data);
      retainedRecords = retainedMegabytes * 1024 * 1024 / recordBytes;
      if (durability.equals("interval")) {
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
          Thread thread = new Thread(runnable, "sync-timer");
          thread.setDaemon(true);
          return thread;
        });
        timer.scheduleAtFixedRate(() -> syncDue.set(true), syncIntervalMillis, syncIntervalMillis,
            TimeUnit.MILLISECONDS);
      } else if (!durability.equals("always") && !durability.equals("none")) {
        throw new IllegalArgumentException("durability must be always, none or interval, was " + durability);
      }
    }

    void appendBatch() throws IOException {
      long offset = log.nextOffset();
      List<LogRecord> batch = new ArrayList<>(BATCH_RECORDS);
      for (int i = 0; i < BATCH_RECORDS; i++) {
        long recordOffset = offset + i;
        batch.add(new LogRecord(recordOffset, recordOffset, PARTITION_KEYS[i % PARTITION_KEYS.length], null, 0,
            data));
      }
      log.append(batch);
      if (durability.equals("always") || (durability.equals("interval") && syncDue.getAndSet(false))) {
        log.sync();
      }
      if (++batches % 64 == 0) {
        log.trimOlderThan(offset - retainedRecords);
      }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      if (timer != null) {
        timer.shutdownNow();
      }
      log.close();
      deleteRecursively(directory);
    }
  }

  /** A log populated once per trial for random reads. */
  @State(Scope.Benchmark)
  public static class PopulatedLog {
    @Param({"200"})
    public int readLogMegabytes;
    @Param({"1024"})
    public int readRecordBytes;

    private Path directory;
    private FileShardLog log;

    @Setup(Level.Trial)
    public void populate() throws IOException {
      directory = Files.createTempDirectory(benchmarkRoot(), "read-");
      log = FileShardLog.open(directory, SEGMENT_BYTES);
      fill(log, (long) readLogMegabytes * 1024 * 1024, readRecordBytes);
      log.sync();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      log.close();
      deleteRecursively(directory);
    }
  }

  /** A directory of many shard logs, created once per trial. */
  @State(Scope.Benchmark)
  public static class ShardDirectories {
    @Param({"200"})
    public int shards;
    @Param({"50"})
    public int shardMegabytes;
    @Param({"16"})
    public int segmentMegabytes;
    @Param({"true", "false"})
    public boolean indexFiles;

    private Path root;
    private List<Path> shardDirectories;

    @Setup(Level.Trial)
    public void create() throws IOException {
      root = Files.createTempDirectory(benchmarkRoot(), "startup-");
      shardDirectories = new ArrayList<>(shards);
      for (int shard = 0; shard < shards; shard++) {
        Path directory = root.resolve(String.format("shardId-%012d", shard));
        try (FileShardLog log = FileShardLog.open(directory, segmentBytes())) {
          fill(log, (long) shardMegabytes * 1024 * 1024, 1024);
        }
        shardDirectories.add(directory);
      }
    }

    long segmentBytes() {
      return (long) segmentMegabytes * 1024 * 1024;
    }

    @Setup(Level.Invocation)
    public void maybeDeleteIndexFiles() throws IOException {
      if (indexFiles) {
        return;
      }
      for (Path directory : shardDirectories) {
        try (Stream<Path> files = Files.list(directory)) {
          for (Path file : files.filter(path -> path.toString().endsWith(SegmentFormat.INDEX_SUFFIX)).toList()) {
            Files.delete(file);
          }
        }
      }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
      deleteRecursively(root);
    }
  }

  private static final String[] PARTITION_KEYS = new String[64];

  static {
    for (int i = 0; i < PARTITION_KEYS.length; i++) {
      PARTITION_KEYS[i] = "partition-key-" + i;
    }
  }

  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(BATCH_RECORDS)
  public void appendOneLog(Appender appender) throws IOException {
    appender.appendBatch();
  }

  @Benchmark
  @Threads(8)
  @OperationsPerInvocation(BATCH_RECORDS)
  public void appendEightLogs(Appender appender) throws IOException {
    appender.appendBatch();
  }

  @Benchmark
  @Threads(1)
  public LogRecord randomRead(PopulatedLog populated) throws IOException {
    long offset = ThreadLocalRandom.current().nextLong(populated.log.nextOffset());
    return populated.log.read(offset, 1, Long.MAX_VALUE).get(0);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public long openAllShards(ShardDirectories directories) throws IOException {
    long records = 0;
    for (Path directory : directories.shardDirectories) {
      try (FileShardLog log = FileShardLog.open(directory, directories.segmentBytes())) {
        records += log.nextOffset() - log.startOffset();
      }
    }
    return records;
  }

  /** Appends batches of {@value #BATCH_RECORDS} records until the log holds about {@code bytes} of data. */
  static void fill(FileShardLog log, long bytes, int recordBytes) throws IOException {
    byte[] data = new byte[recordBytes];
    ThreadLocalRandom.current().nextBytes(data);
    long records = Math.max(1, bytes / recordBytes);
    List<LogRecord> batch = new ArrayList<>(BATCH_RECORDS);
    for (long offset = 0; offset < records; offset++) {
      batch.add(new LogRecord(offset, offset, PARTITION_KEYS[(int) (offset % PARTITION_KEYS.length)], null, 0,
          data));
      if (batch.size() == BATCH_RECORDS || offset == records - 1) {
        log.append(batch);
        batch = new ArrayList<>(BATCH_RECORDS);
      }
    }
  }

  static Path benchmarkRoot() throws IOException {
    Path root = Path.of(System.getProperty("millrace.bench.dir", System.getProperty("java.io.tmpdir")));
    return Files.createDirectories(root);
  }

  static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
