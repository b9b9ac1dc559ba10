package io.millrace.firehose;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Where an S3 destination's objects go: files under the data directory ({@link LocalObjectStore}, the embedded
 * default) or an S3-compatible store ({@link S3ObjectStore}). Blocking; called on a worker.
 */
public interface ObjectStore {

  /**
   * Stores {@code file}'s bytes as object {@code key} of {@code bucket}, whole: a reader sees the previous object or
   * this one, never part of it, with Content-Type {@code application/octet-stream} and {@code contentEncoding} (null:
   * none) where the store keeps such metadata. The file is the caller's; it may be moved or deleted.
   */
  void put(String bucket, String key, Path file, String contentEncoding) throws IOException;

  /**
   * Opens object {@code key} of {@code bucket} for reading, as stored (a Redshift destination's COPY reads its
   * intermediate objects back). The caller closes the stream.
   */
  InputStream open(String bucket, String key) throws IOException;

  /** Where the objects are, for logs and errors. */
  String describe();
}
