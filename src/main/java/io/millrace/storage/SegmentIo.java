package io.millrace.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The raw file operations {@link FileShardLog} performs, behind a seam so tests (and later fault-injection
 * work) can make writes or fsyncs fail. {@link #standard()} is the real thing over {@link FileChannel}.
 *
 * <p><b>Threading.</b> Implementations must allow {@link SegmentFile#read} from several threads concurrently
 * with one thread calling {@link SegmentFile#write}, {@link SegmentFile#force} or {@link SegmentFile#truncate}
 * (as {@link FileChannel}'s positional operations do).
 */
public interface SegmentIo {

  /** Opens an existing segment file for reading and writing. */
  SegmentFile open(Path path) throws IOException;

  /** Creates a new, empty segment file; fails if it exists. */
  SegmentFile create(Path path) throws IOException;

  /** Forces the directory entry changes (created, renamed, deleted files) of {@code directory} to stable storage. */
  void forceDirectory(Path directory) throws IOException;

  /** Renames {@code source} to {@code target} atomically, replacing {@code target} if it exists. */
  void rename(Path source, Path target) throws IOException;

  /** Deletes {@code path} if it exists. */
  void delete(Path path) throws IOException;

  /** One open segment file. All positions are absolute; nothing depends on a channel position. */
  interface SegmentFile extends Closeable {

    /** Current size in bytes. */
    long size() throws IOException;

    /** Writes all of {@code source} at {@code position}, looping until it is fully written. */
    void writeFully(ByteBuffer source, long position) throws IOException;

    /** Reads into {@code target} at {@code position}; returns bytes read or -1 at end of file. */
    int read(ByteBuffer target, long position) throws IOException;

    /** Forces written data (not necessarily metadata) to stable storage: {@code fsync}/{@code fdatasync}. */
    void force() throws IOException;

    /** Cuts the file to {@code sizeBytes}. */
    void truncate(long sizeBytes) throws IOException;
  }

  /** The real implementation over {@link FileChannel}. */
  static SegmentIo standard() {
    return StandardSegmentIo.INSTANCE;
  }
}
