package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * Real file I/O with switchable faults: a failing write stops halfway through its buffer and then throws (a torn
 * write, as on a full disk); failing forces throw before forcing. Switches may be flipped from the test thread
 * between calls. It also counts the bytes read per file name, and can hold the next read of one file until the
 * test lets it go (to stage a race deterministically).
 */
final class FaultySegmentIo implements SegmentIo {
  volatile boolean failWrites;
  volatile boolean failForces;
  volatile boolean failDirectoryForces;
  private final Map<String, LongAdder> bytesRead = new ConcurrentHashMap<>();
  private volatile PausedRead pausedRead;

  /** A read held at its start: {@link #arrived} opens when a reader reaches it, {@link #resume()} lets it go on. */
  static final class PausedRead {
    final String fileName;
    final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    private PausedRead(String fileName) {
      this.fileName = fileName;
    }

    void resume() {
      released.countDown();
    }
  }

  /** Holds the next read of the file named {@code fileName} until the returned handle is resumed. */
  PausedRead pauseNextReadOf(String fileName) {
    PausedRead paused = new PausedRead(fileName);
    pausedRead = paused;
    return paused;
  }

  /** Bytes read so far from files named {@code fileName}. */
  long bytesReadFrom(String fileName) {
    LongAdder counter = bytesRead.get(fileName);
    return counter == null ? 0 : counter.sum();
  }

  @Override
  public SegmentFile open(Path path) throws IOException {
    return new FaultyFile(path.getFileName().toString(), SegmentIo.standard().open(path));
  }

  @Override
  public SegmentFile create(Path path) throws IOException {
    return new FaultyFile(path.getFileName().toString(), SegmentIo.standard().create(path));
  }

  @Override
  public void forceDirectory(Path directory) throws IOException {
    if (failDirectoryForces) {
      throw new IOException("injected: directory fsync failed");
    }
    SegmentIo.standard().forceDirectory(directory);
  }

  @Override
  public void rename(Path source, Path target) throws IOException {
    SegmentIo.standard().rename(source, target);
  }

  @Override
  public void delete(Path path) throws IOException {
    SegmentIo.standard().delete(path);
  }

  private final class FaultyFile implements SegmentFile {
    private final String fileName;
    private final SegmentFile delegate;

    FaultyFile(String fileName, SegmentFile delegate) {
      this.fileName = fileName;
      this.delegate = delegate;
    }

    @Override
    public long size() throws IOException {
      return delegate.size();
    }

    @Override
    public void writeFully(ByteBuffer source, long position) throws IOException {
      if (failWrites) {
        ByteBuffer firstHalf = source.duplicate();
        firstHalf.limit(firstHalf.position() + firstHalf.remaining() / 2);
        delegate.writeFully(firstHalf, position);
        throw new IOException("injected: no space left on device");
      }
      delegate.writeFully(source, position);
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
      PausedRead paused = pausedRead;
      if (paused != null && paused.fileName.equals(fileName)) {
        pausedRead = null;
        paused.arrived.countDown();
        try {
          paused.released.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while paused", e);
        }
      }
      int read = delegate.read(target, position);
      if (read > 0) {
        bytesRead.computeIfAbsent(fileName, name -> new LongAdder()).add(read);
      }
      return read;
    }

    @Override
    public void force() throws IOException {
      if (failForces) {
        throw new IOException("injected: fsync failed");
      }
      delegate.force();
    }

    @Override
    public void truncate(long sizeBytes) throws IOException {
      delegate.truncate(sizeBytes);
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
