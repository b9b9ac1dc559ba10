package io.millrace.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.millrace.storage.SegmentIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link SegmentIo} that measures what storage costs: every fsync as a latency histogram
 * ({@code millrace_fsync_seconds}, {@code kind} file or directory; buckets, so quantiles can be computed across
 * servers) and the segment files open ({@code millrace_segment_files}: every segment of every shard log stays open,
 * so this is the segment count, plus a metadata file for the moment it is written). Everything else passes through.
 *
 * <p>Thread-safe as its delegate is: the meters are.
 */
public final class TimedSegmentIo implements SegmentIo {

  private final SegmentIo delegate;
  private final Timer fileForce;
  private final Timer directoryForce;
  private final AtomicInteger open = new AtomicInteger();

  public TimedSegmentIo(SegmentIo delegate, MeterRegistry registry) {
    this.delegate = delegate;
    this.fileForce = timer(registry, "file");
    this.directoryForce = timer(registry, "directory");
    io.micrometer.core.instrument.Gauge.builder("millrace.segment.files", open, AtomicInteger::get)
        .description("Segment files open: every segment of every shard log").register(registry);
  }

  private static Timer timer(MeterRegistry registry, String kind) {
    return Timer.builder("millrace.fsync").tag("kind", kind).publishPercentileHistogram()
        .description("Time an fsync took (file: a segment's data; directory: a new or removed file's entry)")
        .register(registry);
  }

  @Override
  public SegmentFile open(Path path) throws IOException {
    return counted(delegate.open(path));
  }

  @Override
  public SegmentFile create(Path path) throws IOException {
    return counted(delegate.create(path));
  }

  @Override
  public void forceDirectory(Path directory) throws IOException {
    long started = System.nanoTime();
    try {
      delegate.forceDirectory(directory);
    } finally {
      directoryForce.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void rename(Path source, Path target) throws IOException {
    delegate.rename(source, target);
  }

  @Override
  public void delete(Path path) throws IOException {
    delegate.delete(path);
  }

  private SegmentFile counted(SegmentFile file) {
    open.incrementAndGet();
    return new SegmentFile() {
      private boolean closed;

      @Override
      public long size() throws IOException {
        return file.size();
      }

      @Override
      public void writeFully(ByteBuffer source, long position) throws IOException {
        file.writeFully(source, position);
      }

      @Override
      public int read(ByteBuffer target, long position) throws IOException {
        return file.read(target, position);
      }

      @Override
      public void force() throws IOException {
        long started = System.nanoTime();
        try {
          file.force();
        } finally {
          fileForce.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
      }

      @Override
      public void truncate(long sizeBytes) throws IOException {
        file.truncate(sizeBytes);
      }

      @Override
      public synchronized void close() throws IOException {
        if (!closed) {
          closed = true;
          open.decrementAndGet();
        }
        file.close();
      }
    };
  }
}
