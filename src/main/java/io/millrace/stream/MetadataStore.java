package io.millrace.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Keeps the {@link RegistrySnapshot} crash-safe: written to a new file, fsynced, renamed over the old one and the
 * directory fsynced, so a crash leaves either the old or the new metadata, never a mix. Blocking; call on a worker.
 * A {@code null} directory keeps nothing (in-memory mode).
 */
public final class MetadataStore {

  private static final String FILE = "streams.json";
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

  private final Path dir;

  public MetadataStore(Path dir) {
    this.dir = dir;
  }

  public static MetadataStore inMemory() {
    return new MetadataStore(null);
  }

  /** The last saved snapshot, or an empty one. Blocking. */
  public RegistrySnapshot load() throws IOException {
    if (dir == null) {
      return RegistrySnapshot.empty();
    }
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return RegistrySnapshot.empty();
    }
    RegistrySnapshot snapshot = MAPPER.readValue(file.toFile(), RegistrySnapshot.class);
    if (snapshot.version() < RegistrySnapshot.OLDEST_READABLE_VERSION
        || snapshot.version() > RegistrySnapshot.VERSION) {
      throw new IOException("Unsupported metadata version " + snapshot.version() + " in " + file);
    }
    return snapshot;
  }

  /** Replaces the saved snapshot atomically and durably. Blocking. */
  public void save(RegistrySnapshot snapshot) throws IOException {
    if (dir == null) {
      return;
    }
    Files.createDirectories(dir);
    Path tmp = dir.resolve(FILE + ".tmp");
    byte[] bytes = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(snapshot);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.force(true);
    }
    try {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory(dir);
  }

  /** fsyncs a directory so a rename or new file in it survives a crash. */
  public static void syncDirectory(Path directory) throws IOException {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
