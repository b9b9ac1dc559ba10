package io.millrace.firehose;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The embedded S3: object {@code key} of {@code bucket} is the file {@code <root>/<bucket>/<key>}, each {@code /} of
 * the key a directory. An object appears whole (its bytes are synced, then renamed into place, then the directory is
 * synced), so the AWS CLI's and SDK's users read finished files only.
 *
 * <p>Files carry no metadata: the Content-Encoding an S3 store would keep is the object name's extension here.
 *
 * <p>Key segments a file system cannot hold as they are ({@code ""}, {@code .}, {@code ..}) are written as
 * {@code %00}, {@code %2E}, {@code %2E%2E}, so no key, however its partition keys were made, can leave the bucket's
 * directory. Thread-safe.
 */
public final class LocalObjectStore implements ObjectStore {

  private final Path root;

  public LocalObjectStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The file that holds {@code key} of {@code bucket}. */
  public Path file(String bucket, String key) {
    Path path = root.resolve(safe(bucket));
    for (String segment : key.split("/", -1)) {
      path = path.resolve(safe(segment));
    }
    return path;
  }

  private static String safe(String segment) {
    return switch (segment) {
      case "" -> "%00";
      case "." -> "%2E";
      case ".." -> "%2E%2E";
      default -> segment.replace('\0', '_');
    };
  }

  @Override
  public void put(String bucket, String key, Path file, String contentEncoding) throws IOException {
    Path target = file(bucket, key);
    Files.createDirectories(target.getParent());
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Path staged = target.resolveSibling("." + target.getFileName() + ".millrace-tmp");
    Files.move(file, staged, StandardCopyOption.REPLACE_EXISTING);
    try {
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(staged, target, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  @Override
  public InputStream open(String bucket, String key) throws IOException {
    return Files.newInputStream(file(bucket, key));
  }

  @Override
  public String describe() {
    return "files under " + root;
  }
}
