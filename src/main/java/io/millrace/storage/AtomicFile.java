package io.millrace.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The one crash-safe way Millrace replaces a small file (metadata, index files, checkpoints, the iterator key): the
 * bytes go to a temporary file beside it, which is fsynced and then renamed over the target. A crash leaves the old
 * file or the new one, never a mix. With {@code durableName}, the directory is fsynced too, so that the rename
 * itself survives a power loss; without it a crash may bring back the old file, which callers must accept as true.
 *
 * <p>Blocking; every file operation goes through the {@link SegmentIo} given, so fault tests can fail any step. On
 * failure the temporary file is removed (best effort) and the target is untouched.
 */
public final class AtomicFile {

  private AtomicFile() {}

  /** Replaces {@code target} with {@code bytes} (from position to limit) through {@code temporary}. Blocking. */
  public static void write(SegmentIo io, Path target, Path temporary, ByteBuffer bytes, boolean durableName)
      throws IOException {
    io.delete(temporary); // left over from a crash, perhaps
    try (SegmentIo.SegmentFile file = io.create(temporary)) {
      file.writeFully(bytes, 0);
      file.force();
    } catch (IOException e) {
      try {
        io.delete(temporary);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    io.rename(temporary, target);
    if (durableName) {
      io.forceDirectory(target.getParent());
    }
  }

  /** {@link #write(SegmentIo, Path, Path, ByteBuffer, boolean)} with the temporary file {@code <target>.tmp}. */
  public static void write(SegmentIo io, Path target, byte[] bytes) throws IOException {
    write(io, target, target.resolveSibling(target.getFileName() + ".tmp"), ByteBuffer.wrap(bytes), true);
  }
}
