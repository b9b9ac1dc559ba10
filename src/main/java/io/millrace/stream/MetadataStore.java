package io.millrace.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.storage.AtomicFile;
import io.millrace.storage.SegmentIo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the {@link RegistrySnapshot} crash-safe through {@link AtomicFile}: written to a new file, fsynced, renamed
 * over the old one and the directory fsynced, so a crash leaves either the old or the new metadata, never a mix.
 * Blocking; call on a worker.
 * A {@code null} directory keeps nothing (in-memory mode).
 */
public final class MetadataStore {

  private static final String FILE = "streams.json";
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

  private final Path dir;
  private final SegmentIo io;

  /** Keeps the metadata in {@code dir}, writing through {@code io} (fault tests make it fail). */
  public MetadataStore(Path dir, SegmentIo io) {
    this.dir = dir;
    this.io = io;
  }

  public MetadataStore(Path dir) {
    this(dir, SegmentIo.standard());
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
    AtomicFile.write(io, dir.resolve(FILE), MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(snapshot));
  }
}
