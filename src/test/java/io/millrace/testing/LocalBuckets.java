package io.millrace.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The objects of Firehose's embedded S3 default as a test reads them: {@code <dataDir>/s3/<bucket>/<key>}, without
 * the hidden files an object is written to before it is renamed into place. Delivery happens on the server's own
 * schedule, so the waits poll the files, bounded by a deadline.
 */
public final class LocalBuckets {

  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

  private final Path root;

  /** The buckets of the server whose data directory is {@code dataDir}. */
  public LocalBuckets(Path dataDir) {
    this.root = dataDir.resolve("s3");
  }

  /** The keys of the bucket's objects, sorted; empty when the bucket has none. */
  public List<String> keys(String bucket) {
    Path dir = root.resolve(bucket);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
          .map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public byte[] read(String bucket, String key) {
    try {
      return Files.readAllBytes(root.resolve(bucket).resolve(key));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String readString(String bucket, String key) {
    return new String(read(bucket, key), UTF_8);
  }

  /** The lines of every object of the bucket (objects stored uncompressed), in key order. */
  public List<String> lines(String bucket) {
    List<String> lines = new ArrayList<>();
    for (String key : keys(bucket)) {
      readString(bucket, key).lines().forEach(lines::add);
    }
    return lines;
  }

  /** Waits until the bucket holds at least {@code count} objects (30 s at most); their keys. */
  public List<String> awaitKeys(String bucket, int count) throws InterruptedException {
    return await(bucket, keys -> keys.size() >= count, this::keys);
  }

  /** Waits until the lines of the bucket's objects satisfy {@code done} (30 s at most); the lines. */
  public List<String> awaitLines(String bucket, Predicate<List<String>> done) throws InterruptedException {
    return await(bucket, done, this::lines);
  }

  private static <T> T await(String bucket, Predicate<T> done, java.util.function.Function<String, T> look)
      throws InterruptedException {
    return Poll.until("bucket " + bucket + " reaching the expected state", () -> look.apply(bucket), done);
  }
}
