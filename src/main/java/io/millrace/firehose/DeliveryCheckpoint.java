package io.millrace.firehose;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.storage.AtomicFile;
import io.millrace.storage.SegmentIo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How far a delivery stream has delivered, kept in {@code delivery.json} beside its buffer: every buffered record
 * below {@code delivered} has reached its destination. Written (crash-safely, {@link AtomicFile}) only after a batch
 * was delivered, so a crash can repeat a delivery (at least once) but never skip one. For a Kinesis-stream source it
 * also keeps, per shard, the next offset to read.
 *
 * @param delivered    the first buffered offset not yet delivered
 * @param sourceShards for a Kinesis-stream source: shard index to the next offset to read ({@code -1}: finished)
 */
record DeliveryCheckpoint(long delivered, Map<Integer, Long> sourceShards) {

  static final String FILE = "delivery.json";
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

  DeliveryCheckpoint {
    sourceShards = sourceShards == null ? Map.of() : Map.copyOf(sourceShards);
  }

  static final DeliveryCheckpoint START = new DeliveryCheckpoint(0, Map.of());

  /** The checkpoint in {@code dir}, or {@link #START}. Blocking. */
  static DeliveryCheckpoint load(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    return Files.exists(file) ? MAPPER.readValue(file.toFile(), DeliveryCheckpoint.class) : START;
  }

  /** Replaces the checkpoint in {@code dir}, durably. Blocking. */
  void save(SegmentIo io, Path dir) throws IOException {
    AtomicFile.write(io, dir.resolve(FILE), MAPPER.writeValueAsBytes(this));
  }

  DeliveryCheckpoint withDelivered(long next) {
    return new DeliveryCheckpoint(next, sourceShards);
  }

  DeliveryCheckpoint withSourceShards(Map<Integer, Long> next) {
    return new DeliveryCheckpoint(delivered, next);
  }
}
