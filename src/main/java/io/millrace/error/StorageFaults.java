package io.millrace.error;

import java.io.IOException;
import java.nio.file.FileSystemException;

/** How a storage failure is named to a client: the file system's own reason, never a Java class or stack. */
public final class StorageFaults {

  private StorageFaults() {}

  /**
   * The reason a person can act on: a {@link FileSystemException}'s reason ("No space left on device", "Too many
   * open files"), another {@link IOException}'s message, else "a storage error".
   */
  public static String reason(Throwable cause) {
    if (cause instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return cause instanceof IOException && cause.getMessage() != null ? cause.getMessage() : "a storage error";
  }
}
