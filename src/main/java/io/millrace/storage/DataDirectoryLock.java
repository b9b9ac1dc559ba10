package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive claim of one server on a data directory: an OS file lock on {@code <dataDir>/millrace.lock}, taken
 * before anything else in the directory is read and held until the server stops. Two servers writing one set of
 * shard logs would hand out the same sequence numbers and overwrite each other's acknowledged records, so the second
 * one must not start at all.
 *
 * <p>The lock file holds one line describing its holder (process id, host, port, start time), written once the lock
 * is held, so a refused server can say who is in the way. The lock itself is the kernel's ({@code fcntl}): it goes
 * with the process, so a server killed with {@code kill -9} leaves no stale claim behind; the stale line in the file
 * is simply overwritten by the next holder.
 *
 * <p>Blocking; call on a worker. Not thread-safe: one owner acquires, describes and releases.
 */
public final class DataDirectoryLock implements AutoCloseable {

  /** The lock file's name inside the data directory. */
  public static final String FILE_NAME = "millrace.lock";

  /** Thrown when another process (or another server in this one) holds the directory. */
  public static final class HeldElsewhereException extends IOException {
    private final Path directory;
    private final String holder;

    HeldElsewhereException(Path directory, String holder) {
      super("Data directory " + directory + " is in use by another Millrace server (" + holder + "). Stop that "
          + "server first, or give this one its own directory with --data-dir.");
      this.directory = directory;
      this.holder = holder;
    }

    public Path directory() {
      return directory;
    }

    /** What the holder wrote about itself, or a note saying it wrote nothing readable. */
    public String holder() {
      return holder;
    }
  }

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code directory} if needed and locks it, describing this holder as {@code holder}. Blocking.
   *
   * @throws HeldElsewhereException if another server holds it; its message names the directory and the holder
   */
  public static DataDirectoryLock acquire(Path directory, String holder) throws IOException {
    Files.createDirectories(directory);
    Path file = directory.resolve(FILE_NAME);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by another server in this very JVM (tests start several)
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String current = readHolder(channel);
      channel.close();
      throw new HeldElsewhereException(directory, current);
    }
    DataDirectoryLock held = new DataDirectoryLock(file, channel, lock);
    held.describe(holder);
    return held;
  }

  /** Replaces the holder line (say, once the real port is known). Blocking. */
  public void describe(String holder) throws IOException {
    byte[] line = (holder + "\n").getBytes(StandardCharsets.UTF_8);
    channel.truncate(0);
    ByteBuffer buffer = ByteBuffer.wrap(line);
    long position = 0;
    while (buffer.hasRemaining()) {
      position += channel.write(buffer, position);
    }
    channel.force(false);
  }

  public Path file() {
    return file;
  }

  /** Releases the directory. Idempotent. Blocking. */
  @Override
  public void close() throws IOException {
    if (channel.isOpen()) {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }

  private static String readHolder(FileChannel channel) {
    try {
      ByteBuffer buffer = ByteBuffer.allocate(1024);
      int read = channel.read(buffer, 0);
      String text = read <= 0 ? "" : new String(buffer.array(), 0, read, StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? "it has not described itself yet" : text;
    } catch (IOException e) {
      return "its description is unreadable: " + e.getMessage();
    }
  }
}
