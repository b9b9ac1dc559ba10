package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Real file I/O with switchable faults: a failing write stops halfway through its buffer and then throws (a torn
 * write, as on a full disk); failing forces throw before forcing. Switches may be flipped from the test thread
 * between calls.
 */
final class FaultySegmentIo implements SegmentIo {
  volatile boolean failWrites;
  volatile boolean failForces;
  volatile boolean failDirectoryForces;

  @Override
  public SegmentFile open(Path path) throws IOException {
    return new FaultyFile(SegmentIo.standard().open(path));
  }

  @Override
  public SegmentFile create(Path path) throws IOException {
    return new FaultyFile(SegmentIo.standard().create(path));
  }

  @Override
  public void forceDirectory(Path directory) throws IOException {
    if (failDirectoryForces) {
      throw new IOException("injected: directory fsync failed");
    }
    SegmentIo.standard().forceDirectory(directory);
  }

  private final class FaultyFile implements SegmentFile {
    private final SegmentFile delegate;

    FaultyFile(SegmentFile delegate) {
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
      return delegate.read(target, position);
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
