package io.millrace.storage;

import java.io.IOException;
import java.util.List;

/**
 * The storage contract of one shard: an append-only sequence of {@link LogRecord}s addressed by a dense,
 * 0-based offset.
 *
 * <p><b>Threading.</b> Every method is blocking and must be called off the event loop. There is exactly one
 * appender at a time ({@link #append}, {@link #sync}, {@link #close} are called from one ordered worker), but
 * {@link #read} and {@link #offsetForTime} may run on other threads concurrently with an append; they only
 * ever see records whose append has returned.
 *
 * <p><b>Implementations.</b> {@code FileShardLog} (segment files, the default) and {@code MemoryShardLog}
 * ({@code --in-memory}). One contract test suite runs against both; a future Kafka-backed implementation
 * runs it too.
 */
public interface ShardLog extends AutoCloseable {

  /** The offset the next appended record must carry. */
  long nextOffset();

  /** The oldest offset still held (0 until retention trims anything). */
  long startOffset();

  /**
   * Appends records whose offsets are {@code nextOffset(), nextOffset()+1, ...} in list order. Makes them
   * visible to readers when it returns; they are durable only after {@link #sync()}.
   *
   * @throws IllegalArgumentException if the offsets are not the expected dense run
   * @throws IOException if the write failed; the log is then unusable for appends (fenced) until reopened
   */
  void append(List<LogRecord> records) throws IOException;

  /** Forces every appended record to stable storage (fsync). A no-op in memory. */
  void sync() throws IOException;

  /**
   * Forgets every record from {@code offset} on: they were appended but never acknowledged, because their write or
   * fsync failed, so no reader may ever see them, not even after a restart. Called by the appender after a failed
   * {@link #append} or {@link #sync}, and allowed while the log is fenced (it stays fenced). {@code offset} lies
   * between the active segment's first offset and {@link #nextOffset()}.
   *
   * @throws IOException if the records could not be removed and recovery was not told to remove them either; they
   *                     may then come back when the log is next opened
   */
  void discardFrom(long offset) throws IOException;

  /**
   * Reads records starting at {@code fromOffset} (clamped up to {@link #startOffset()}), stopping before
   * {@code maxRecords} records or before the total {@link LogRecord#billedBytes()} would exceed {@code maxBytes}
   * (but always returning at least one record if any exists at that offset). Returns an empty list at the tip.
   */
  List<LogRecord> read(long fromOffset, int maxRecords, long maxBytes) throws IOException;

  /** The first offset whose record arrived at or after {@code epochMillis}, or {@link #nextOffset()} if none. */
  long offsetForTime(long epochMillis) throws IOException;

  /**
   * Retention: deletes whole segments all of whose records arrived before {@code cutoffMillis} and returns the new
   * {@link #startOffset()}. Records older than the cutoff may remain in a segment that also holds newer ones (the
   * caller filters them on read); the active segment is only removed by rolling past it first, so appends go on.
   * Called by the single appender.
   */
  long trimOlderThan(long cutoffMillis) throws IOException;

  /** What opening this log found and dropped (a torn or corrupt tail). */
  RecoveryReport recoveryReport();

  /** Flushes and releases files. Idempotent. */
  @Override
  void close() throws IOException;
}
