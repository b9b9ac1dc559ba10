package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * {@link SegmentIo} over {@link FileChannel}: positional reads and writes, {@code force(false)} for data,
 * a read-only directory channel forced for directory entries (Linux semantics).
 *
 * <p><b>Threading.</b> Stateless; each file is a {@link FileChannel}, whose positional reads are safe
 * concurrently with the single writer.
 */
final class StandardSegmentIo implements SegmentIo {
  static final StandardSegmentIo INSTANCE = new StandardSegmentIo();

  private StandardSegmentIo() {}

  @Override
  public SegmentFile open(Path path) throws IOException {
    return new ChannelFile(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
  }

  @Override
  public SegmentFile create(Path path) throws IOException {
    return new ChannelFile(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
        StandardOpenOption.CREATE_NEW));
  }

  @Override
  public void forceDirectory(Path directory) throws IOException {
    // Linux allows fsync on a directory opened read-only; that is what makes a created file's name durable.
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  @Override
  public void rename(Path source, Path target) throws IOException {
    Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void delete(Path path) throws IOException {
    Files.deleteIfExists(path);
  }

  private record ChannelFile(FileChannel channel) implements SegmentFile {
    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void writeFully(ByteBuffer source, long position) throws IOException {
      long at = position;
      while (source.hasRemaining()) {
        at += channel.write(source, at);
      }
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
      return channel.read(target, position);
    }

    @Override
    public void force() throws IOException {
      channel.force(false);
    }

    @Override
    public void truncate(long sizeBytes) throws IOException {
      channel.truncate(sizeBytes);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
