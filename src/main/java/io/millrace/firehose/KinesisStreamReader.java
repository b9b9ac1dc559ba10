package io.millrace.firehose;

import io.millrace.shard.AppendRequest;
import io.millrace.shard.ReadResult;
import io.millrace.shard.ShardHandle;
import io.millrace.storage.LogRecord;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kinesis stream as a delivery stream's source: reads every shard of a Millrace stream into the delivery stream's
 * buffer, following resharding (a child shard is read once all its parents are read to their end, so records of one
 * partition key keep their order), from a durable position per shard.
 *
 * <p>KPL-aggregated records are taken apart into their user records on the way in, as Firehose does for a Kinesis
 * source (records that are not valid aggregates pass as they are).
 *
 * <p>Where to start: shards open when the delivery stream was created are read from its DeliveryStartTimestamp
 * (records that arrived from then on), shards created later from their beginning. Positions are saved in the delivery
 * stream's checkpoint after the records they passed are durable in the buffer, so a crash repeats records (at least
 * once) and never skips one. While the buffer is over its budget, reading pauses.
 *
 * <p>Threading: used on its delivery stream's context only; it is driven by {@link #poll}.
 */
final class KinesisStreamReader {

  private static final Logger LOG = LoggerFactory.getLogger(KinesisStreamReader.class);

  /** Records and bytes read from a source shard per step. */
  static final int READ_RECORDS = 1000;
  static final long READ_BYTES = 1024L * 1024;
  /** The position of a shard read to its end. */
  static final long FINISHED = -1;

  /** Where the records go: appended durably, in order; completes once acknowledged. */
  interface Sink {
    Future<Void> append(List<AppendRequest.Entry> entries);

    /** Whether the buffer may take more now (under its budget). */
    boolean hasRoom();

    /** Persists the positions (once the records they passed are durable). */
    Future<Void> savePositions(Map<Integer, Long> positions);
  }

  private final StreamRegistry streams;
  private final StreamKey stream;
  private final long deliveryStartMillis;
  private final Sink sink;
  private final Map<Integer, Long> positions = new HashMap<>();
  private boolean reading;
  private boolean warnedMissing;

  KinesisStreamReader(StreamRegistry streams, StreamKey stream, long deliveryStartMillis,
                      Map<Integer, Long> saved, Sink sink) {
    this.streams = streams;
    this.stream = stream;
    this.deliveryStartMillis = deliveryStartMillis;
    this.sink = sink;
    positions.putAll(saved);
  }

  /**
   * Reads what is there now: each readable shard from its position until it is caught up (or the buffer is full),
   * then saves the positions. Does nothing while a poll is still running.
   */
  void poll() {
    if (reading || !sink.hasRoom()) {
      return;
    }
    Optional<StreamMeta> meta = streams.find(stream);
    if (meta.isEmpty() || !meta.get().status().readableAndWritable()) {
      if (!warnedMissing && meta.isEmpty()) {
        LOG.warn("The source stream {} of a delivery stream is gone; records already read are still delivered",
            stream.arn());
        warnedMissing = true;
      }
      return;
    }
    reading = true;
    Map<Integer, Long> before = Map.copyOf(positions);
    readShards(meta.get(), new ArrayList<>(readable(meta.get())), 0).compose(v -> positions.equals(before)
        ? Future.succeededFuture() : sink.savePositions(Map.copyOf(positions)))
        .onComplete(ar -> {
          reading = false;
          if (ar.failed()) {
            LOG.warn("Delivery from stream {} could not read or buffer records ({}); it goes on at the next poll",
                stream.arn(), ar.cause().toString());
          }
        });
  }

  /** The shards to read now: not finished, and every parent finished (or older than the delivery stream). */
  private List<ShardMeta> readable(StreamMeta meta) {
    Map<Integer, ShardMeta> byIndex = new HashMap<>();
    meta.shards().forEach(s -> byIndex.put(s.index(), s));
    List<ShardMeta> out = new ArrayList<>();
    for (ShardMeta s : meta.shards()) {
      if (Long.valueOf(FINISHED).equals(positions.get(s.index()))) {
        continue;
      }
      if (!positions.containsKey(s.index()) && !s.open() && s.closedMillis() != null
          && s.closedMillis() < deliveryStartMillis) {
        positions.put(s.index(), FINISHED); // closed before delivery started: nothing of it is read
        continue;
      }
      boolean parentsDone = parentDone(s.parentIndex(), byIndex) && parentDone(s.adjacentParentIndex(), byIndex);
      if (parentsDone) {
        out.add(s);
      }
    }
    return out;
  }

  private boolean parentDone(Integer parent, Map<Integer, ShardMeta> byIndex) {
    if (parent == null || !byIndex.containsKey(parent)) {
      return true;
    }
    return Long.valueOf(FINISHED).equals(positions.get(parent));
  }

  private Future<Void> readShards(StreamMeta meta, List<ShardMeta> shards, int i) {
    if (i == shards.size()) {
      return Future.succeededFuture();
    }
    return readShard(meta, shards.get(i)).compose(v -> readShards(meta, shards, i + 1));
  }

  private Future<Void> readShard(StreamMeta meta, ShardMeta shard) {
    ShardHandle handle = streams.shards().find(stream, shard.index());
    if (handle == null) {
      return Future.succeededFuture();
    }
    Long position = positions.get(shard.index());
    Future<Long> start = position != null ? Future.succeededFuture(position)
        : shard.createdMillis() < deliveryStartMillis ? handle.offsetForTime(deliveryStartMillis)
        : Future.succeededFuture(0L);
    return start.compose(offset -> readFrom(shard, handle, offset));
  }

  private Future<Void> readFrom(ShardMeta shard, ShardHandle handle, long offset) {
    positions.put(shard.index(), offset);
    if (shard.endOffset() != null && offset >= shard.endOffset()) {
      positions.put(shard.index(), FINISHED);
      return Future.succeededFuture();
    }
    if (!sink.hasRoom()) {
      return Future.succeededFuture();
    }
    return handle.read(offset, READ_RECORDS, READ_BYTES, false).compose(read -> {
      List<AppendRequest.Entry> entries = new ArrayList<>(read.records().size());
      long next = offset;
      for (LogRecord r : read.records()) {
        if (shard.endOffset() != null && r.offset() >= shard.endOffset()) {
          break;
        }
        // As Firehose does for a Kinesis source: KPL aggregates are taken apart into their user records.
        for (RecordDeaggregator.KplRecord sub : RecordDeaggregator.deaggregateKpl(r.data(), r.partitionKey())) {
          entries.add(new AppendRequest.Entry(sub.partitionKey(), null, sub.data()));
        }
        next = r.offset() + 1;
      }
      long reached = Math.max(next, Math.min(read.nextOffset(), shard.endOffset() == null ? Long.MAX_VALUE
          : shard.endOffset()));
      if (entries.isEmpty()) {
        positions.put(shard.index(), reached);
        if (shard.endOffset() != null && reached >= shard.endOffset()) {
          positions.put(shard.index(), FINISHED);
        }
        return Future.succeededFuture();
      }
      return sink.append(entries).compose(v -> caughtUp(read, reached) ? done(shard, reached)
          : readFrom(shard, handle, reached));
    });
  }

  private static boolean caughtUp(ReadResult read, long reached) {
    return reached >= read.tipOffset();
  }

  private Future<Void> done(ShardMeta shard, long reached) {
    positions.put(shard.index(), shard.endOffset() != null && reached >= shard.endOffset() ? FINISHED : reached);
    return Future.succeededFuture();
  }

  /** The positions now (for tests and logs). */
  Map<Integer, Long> positions() {
    return Map.copyOf(positions);
  }
}
