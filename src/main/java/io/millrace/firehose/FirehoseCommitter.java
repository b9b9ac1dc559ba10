package io.millrace.firehose;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.meta.Committer;
import io.millrace.storage.AtomicFile;
import io.millrace.storage.SegmentIo;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Firehose's {@link Committer}: every delivery stream change is durable before anyone sees it. The delivery streams
 * are kept in {@code <dataDir>/meta/firehose.json} (replaced through {@link AtomicFile}), in the Firehose API's member
 * names; in memory when there is no data directory.
 */
public final class FirehoseCommitter extends Committer<FirehoseMetadata, FirehoseMetadata.Draft> {

  static final String FILE = "firehose.json";
  /** Format version of {@link #FILE}. */
  static final int VERSION = 1;

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

  private static final Model<FirehoseMetadata, FirehoseMetadata.Draft> MODEL = new Model<>() {
    @Override
    public FirehoseMetadata.Draft draft(FirehoseMetadata committed) {
      return committed.draft();
    }

    @Override
    public FirehoseMetadata build(FirehoseMetadata.Draft draft) {
      return draft.build();
    }
  };

  /** The persisted form. */
  record Snapshot(int version, List<DeliveryStreamMeta> deliveryStreams) {}

  /** @param dir the metadata directory, or null to keep nothing */
  public FirehoseCommitter(Vertx vertx, Context context, Path dir, SegmentIo io) {
    super(vertx, context, MODEL, new Store<>() {
      @Override
      public FirehoseMetadata load() throws IOException {
        if (dir == null || !Files.exists(dir.resolve(FILE))) {
          return FirehoseMetadata.EMPTY;
        }
        Snapshot snapshot = MAPPER.readValue(dir.resolve(FILE).toFile(), Snapshot.class);
        if (snapshot.version() != VERSION) {
          throw new IOException("Unsupported Firehose metadata version " + snapshot.version() + " in "
              + dir.resolve(FILE));
        }
        return FirehoseMetadata.of(snapshot.deliveryStreams());
      }

      @Override
      public void save(FirehoseMetadata value) throws IOException {
        if (dir == null) {
          return;
        }
        Files.createDirectories(dir);
        AtomicFile.write(io, dir.resolve(FILE), MAPPER.writerWithDefaultPrettyPrinter()
            .writeValueAsBytes(new Snapshot(VERSION, new ArrayList<>(value.streams().values()))));
      }
    }, FirehoseMetadata.EMPTY);
  }
}
