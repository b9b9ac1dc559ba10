package io.millrace.testing;

import io.millrace.storage.SegmentIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Real file I/O with switchable faults, for one log or a whole server ({@code TestServer.start(settings, clock,
 * faulty)}). A failing write stops halfway through its buffer and then throws (a torn write, as on a full disk);
 * failing forces throw before forcing. Each fault applies everywhere or only to files under one directory (say, one
 * shard's), and can be cleared again. Switches may be flipped from the test thread at any time. It also counts the
 * bytes read per file name, and can hold the next read of one file until the test lets it go (to stage a race
 * deterministically).
 */
public final class FaultySegmentIo implements SegmentIo {

  /** What can be made to fail. */
  public enum Fault {
    /** {@link SegmentFile#writeFully}: half the buffer is written, then "no space left on device". */
    WRITE,
    /** {@link SegmentFile#force}: fsync fails, nothing is forced. */
    FORCE,
    /** {@link SegmentIo#forceDirectory}: the directory fsync after creating a segment fails. */
    DIRECTORY_FORCE,
    /** {@link SegmentIo#open} and {@link SegmentIo#create}: "Too many open files", as when file handles run out. */
    OPEN,
    /** {@link SegmentFile#truncate}: fails, as on a failing device. */
    TRUNCATE
  }

  private static final Path EVERYWHERE = Path.of("/");

  /** Each active fault and the directory whose files it hits. */
  private final Map<Fault, Path> faults = new ConcurrentHashMap<>();
  /** Operations each fault lets pass before it starts to hit (absent: it hits at once). */
  private final Map<Fault, AtomicInteger> passesLeft = new ConcurrentHashMap<>();
  private final AtomicInteger injected = new AtomicInteger();
  private final Map<String, LongAdder> bytesRead = new ConcurrentHashMap<>();
  private volatile PausedRead pausedRead;
  private volatile PausedRead pausedOpen;

  /**
   * A read (or open) held at its start: {@link #arrived} opens when a reader reaches it, {@link #resume()} lets it go
   * on.
   */
  public static final class PausedRead {
    final String fileName;
    public final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    private PausedRead(String fileName) {
      this.fileName = fileName;
    }

    public void resume() {
      released.countDown();
    }

    /** Says it arrived and waits to be resumed. */
    void hold() throws IOException {
      arrived.countDown();
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while paused", e);
      }
    }
  }

  /** Holds the next read of the file named {@code fileName} until the returned handle is resumed. */
  public PausedRead pauseNextReadOf(String fileName) {
    PausedRead paused = new PausedRead(fileName);
    pausedRead = paused;
    return paused;
  }

  /** Holds the next open of the file named {@code fileName} (as recovery opens segments) until resumed. */
  public PausedRead pauseNextOpenOf(String fileName) {
    PausedRead paused = new PausedRead(fileName);
    pausedOpen = paused;
    return paused;
  }

  /** Bytes read so far from files named {@code fileName}. */
  public long bytesReadFrom(String fileName) {
    LongAdder counter = bytesRead.get(fileName);
    return counter == null ? 0 : counter.sum();
  }

  /** Makes {@code fault} happen to every file. */
  public FaultySegmentIo fail(Fault fault) {
    faults.put(fault, EVERYWHERE);
    return this;
  }

  /** Makes {@code fault} happen to files under {@code directory} only (replacing an earlier scope of it). */
  public FaultySegmentIo fail(Fault fault, Path directory) {
    faults.put(fault, directory.toAbsolutePath().normalize());
    return this;
  }

  /**
   * Makes {@code fault} happen to files under {@code directory}, but only after {@code passes} operations it would
   * hit went through unharmed (say, the second metadata save of a change, not the first).
   */
  public FaultySegmentIo failAfter(Fault fault, Path directory, int passes) {
    passesLeft.put(fault, new AtomicInteger(passes));
    return fail(fault, directory);
  }

  /** Stops injecting {@code fault}. */
  public void clear(Fault fault) {
    faults.remove(fault);
    passesLeft.remove(fault);
  }

  /** Stops injecting any fault. */
  public void clear() {
    faults.clear();
    passesLeft.clear();
  }

  /** How many operations have failed because of an injected fault so far. */
  public int injected() {
    return injected.get();
  }

  private boolean hits(Fault fault, Path path) {
    Path scope = faults.get(fault);
    if (scope == null || !(scope == EVERYWHERE || path.toAbsolutePath().normalize().startsWith(scope))) {
      return false;
    }
    AtomicInteger passes = passesLeft.get(fault);
    if (passes != null && passes.getAndDecrement() > 0) {
      return false;
    }
    injected.incrementAndGet();
    return true;
  }

  @Override
  public SegmentFile open(Path path) throws IOException {
    PausedRead paused = pausedOpen;
    if (paused != null && paused.fileName.equals(path.getFileName().toString())) {
      pausedOpen = null;
      paused.hold();
    }
    failIfOutOfHandles(path);
    return new FaultyFile(path, SegmentIo.standard().open(path));
  }

  @Override
  public SegmentFile create(Path path) throws IOException {
    failIfOutOfHandles(path);
    return new FaultyFile(path, SegmentIo.standard().create(path));
  }

  private void failIfOutOfHandles(Path path) throws IOException {
    if (hits(Fault.OPEN, path)) {
      throw new java.nio.file.FileSystemException(path.toString(), null, "Too many open files");
    }
  }

  @Override
  public void forceDirectory(Path directory) throws IOException {
    if (hits(Fault.DIRECTORY_FORCE, directory)) {
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
    private final Path path;
    private final SegmentFile delegate;

    FaultyFile(Path path, SegmentFile delegate) {
      this.path = path;
      this.delegate = delegate;
    }

    @Override
    public long size() throws IOException {
      return delegate.size();
    }

    @Override
    public void writeFully(ByteBuffer source, long position) throws IOException {
      if (hits(Fault.WRITE, path)) {
        ByteBuffer firstHalf = source.duplicate();
        firstHalf.limit(firstHalf.position() + firstHalf.remaining() / 2);
        delegate.writeFully(firstHalf, position);
        throw new IOException("injected: no space left on device");
      }
      delegate.writeFully(source, position);
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
      String fileName = path.getFileName().toString();
      PausedRead paused = pausedRead;
      if (paused != null && paused.fileName.equals(fileName)) {
        pausedRead = null;
        paused.hold();
      }
      int read = delegate.read(target, position);
      if (read > 0) {
        bytesRead.computeIfAbsent(fileName, name -> new LongAdder()).add(read);
      }
      return read;
    }

    @Override
    public void force() throws IOException {
      if (hits(Fault.FORCE, path)) {
        throw new IOException("injected: fsync failed");
      }
      delegate.force();
    }

    @Override
    public void truncate(long sizeBytes) throws IOException {
      if (hits(Fault.TRUNCATE, path)) {
        throw new IOException("injected: truncate failed");
      }
      delegate.truncate(sizeBytes);
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
