package io.millrace.stream;

import io.millrace.error.KinesisException;
import io.millrace.shard.AppendRequest;
import io.millrace.shard.AppendResult;
import io.millrace.shard.HashKey;
import io.millrace.shard.ReadResult;
import io.millrace.shard.SequenceNumber;
import io.millrace.shard.SequenceNumberFormat;
import io.millrace.shard.ShardBounds;
import io.millrace.shard.ShardClosedException;
import io.millrace.shard.ShardHandle;
import io.millrace.shard.ShardIterator;
import io.millrace.shard.TokenSigner;
import io.millrace.storage.LogRecord;
import io.millrace.storage.Utf8;
import io.vertx.core.Future;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kinesis data plane over the registry and the shards: routing puts to shards, issuing shard iterators and
 * reading with them. Thread-safe: its only state is a cache of immutable routing tables in a concurrent map. Futures
 * complete on the caller's context.
 */
public final class DataPlane {

  private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

  private final StreamRegistry registry;
  private final Resharder resharder;
  private final TokenSigner signer;

  public DataPlane(StreamRegistry registry, Resharder resharder, TokenSigner signer) {
    this.registry = registry;
    this.resharder = resharder;
    this.signer = signer;
  }

  public TokenSigner signer() {
    return signer;
  }

  /** The server's clock (record arrival times are by it). */
  public java.time.Clock clock() {
    return registry.clock();
  }

  /** One record to put: the explicit hash key was validated syntactically (decimal) or is null. */
  public record PutEntry(String partitionKey, String explicitHashKey, byte[] data) {}

  /** Where a put record went, or why it failed (throttled, or the shard is fenced). */
  public record PutOutcome(String shardId, String sequenceNumber, KinesisException error) {}

  /**
   * A GetRecords answer; {@code nextIterator} is null at the end of a closed shard, which has children then. The
   * stream and shard it was read from are there for metrics.
   */
  public record RecordsPage(List<StreamRecord> records, String nextIterator,
                            long millisBehindLatest, List<ShardMeta> childShards, StreamKey stream, String shardId) {}

  /** The shard types GetShardIterator understands. */
  public enum IteratorType { AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP }

  /** The stream if the data plane serves it (ACTIVE or UPDATING), else ResourceNotFound as AWS answers. */
  public StreamMeta requireServing(StreamKey key) {
    StreamMeta s = registry.require(key);
    if (!s.status().readableAndWritable()) {
      throw StreamRegistry.notFound(key);
    }
    return s;
  }

  /**
   * PutRecord's SequenceNumberForOrdering, checked as Kinesis checks it: a sequence number of a layout Kinesis issues
   * ({@link SequenceNumberFormat}) whose record time is not in the future, else InvalidArgument in Kinesis's words.
   * Nothing more is needed for the ordering it asks for: a shard's sequence numbers always increase.
   */
  public void requireOrderingSequence(StreamKey key, String sequenceNumberForOrdering) {
    long nowSeconds = registry.clock().millis() / 1000;
    boolean valid = SequenceNumberFormat.inspect(sequenceNumberForOrdering)
        .filter(s -> s.recordSeconds() <= nowSeconds).isPresent();
    if (!valid) {
      throw new KinesisException.InvalidArgument("ExclusiveMinimumSequenceNumber " + sequenceNumberForOrdering
          + " used in PutRecord on stream " + key.name() + " under account " + key.account() + " is invalid.");
    }
  }

  /**
   * Puts records, routing each by its hash key to the open shard covering it. Records for one shard keep their
   * order and are appended together. Per-entry outcomes come back in request order.
   */
  public Future<List<PutOutcome>> put(StreamKey key, List<PutEntry> entries) {
    return put(key, entries, MAX_REROUTES);
  }

  /** How many times records that met a closed shard are routed again before they fail. */
  static final int MAX_REROUTES = 5;

  /**
   * One routing pass. Records whose shard closed under them (a reshard, {@link ShardClosedException}) were not
   * written: once the reshard published its children they are routed again with the fresh metadata, keeping their
   * order per shard.
   */
  private Future<List<PutOutcome>> put(StreamKey key, List<PutEntry> entries, int reroutesLeft) {
    StreamMeta stream = requireServing(key);
    long maxRecordBytes = stream.maxRecordBytes();
    List<ShardMeta> open = routing(stream);
    int[] target = new int[entries.size()];
    int[] perShard = new int[open.size()];
    byte[][] explicit = new byte[entries.size()][];
    long total = 0;
    for (int i = 0; i < entries.size(); i++) {
      PutEntry e = entries.get(i);
      long size = e.data().length + (long) Utf8.length(e.partitionKey());
      total += size;
      if (size > maxRecordBytes) {
        throw new KinesisException.InvalidArgument("Record size (data plus partition key) of " + size
            + " bytes exceeds the maximum record size of " + maxRecordBytes + " bytes of stream " + key.name()
            + ". UpdateMaxRecordSize raises it up to 10 MiB.");
      }
      HashKey hash;
      if (e.explicitHashKey() != null) {
        hash = HashKey.parseExplicit(e.explicitHashKey());
        explicit[i] = hash.toBytes();
      } else {
        hash = HashKey.ofPartitionKey(e.partitionKey());
      }
      target[i] = route(open, hash);
      perShard[target[i]]++;
    }
    if (total > KinesisLimits.MAX_PUT_RECORDS_BYTES) {
      throw new KinesisException.InvalidArgument("Records size of " + total + " bytes (data plus partition keys) "
          + "exceeds the PutRecords request limit of " + KinesisLimits.MAX_PUT_RECORDS_BYTES + " bytes.");
    }
    // Group entries by shard, keeping their order within each shard.
    int[][] members = new int[open.size()][];
    List<List<AppendRequest.Entry>> batches = new ArrayList<>(open.size());
    for (int s = 0; s < open.size(); s++) {
      members[s] = new int[perShard[s]];
      batches.add(new ArrayList<>(perShard[s]));
    }
    int[] filled = new int[open.size()];
    for (int i = 0; i < target.length; i++) {
      int s = target[i];
      members[s][filled[s]++] = i;
      PutEntry e = entries.get(i);
      batches.get(s).add(new AppendRequest.Entry(e.partitionKey(), explicit[i], e.data()));
    }
    List<Future<AppendResult>> appends = new ArrayList<>();
    List<int[]> groups = new ArrayList<>();
    for (int s = 0; s < open.size(); s++) {
      if (perShard[s] == 0) {
        continue;
      }
      ShardHandle handle = registry.shards().find(key, open.get(s).index());
      groups.add(members[s]);
      appends.add(handle == null
          ? Future.failedFuture(new KinesisException.InternalFailure("Shard " + open.get(s).shardId()
              + " of stream " + key.name() + " is not running."))
          : handle.append(new AppendRequest(batches.get(s), stream.encrypted())));
    }
    return Future.join(appends).transform(ignored -> {
      PutOutcome[] outcomes = new PutOutcome[entries.size()];
      List<Integer> reroute = new ArrayList<>();
      for (int g = 0; g < groups.size(); g++) {
        int[] group = groups.get(g);
        ShardMeta shard = open.get(target[group[0]]);
        Future<AppendResult> f = appends.get(g);
        for (int m = 0; m < group.length; m++) {
          if (f.failed() && f.cause() instanceof ShardClosedException && reroutesLeft > 0) {
            reroute.add(group[m]);
          } else {
            outcomes[group[m]] = outcome(key, shard, f, m);
          }
        }
      }
      if (reroute.isEmpty()) {
        return Future.succeededFuture(List.of(outcomes));
      }
      reroute.sort(null); // request order, so records of one partition key keep their order
      List<PutEntry> again = reroute.stream().map(entries::get).toList();
      return resharder.reshardSettled(key).compose(v -> put(key, again, reroutesLeft - 1)).transform(ar -> {
        for (int i = 0; i < reroute.size(); i++) {
          outcomes[reroute.get(i)] = ar.succeeded() ? ar.result().get(i)
              : new PutOutcome(null, null, asPutError(key, ar.cause()));
        }
        return Future.succeededFuture(List.of(outcomes));
      });
    });
  }

  private static PutOutcome outcome(StreamKey key, ShardMeta shard, Future<AppendResult> f, int position) {
    if (f.failed() && f.cause() instanceof ShardClosedException) {
      return new PutOutcome(shard.shardId(), null, new KinesisException.InternalFailure("Shard " + shard.shardId()
          + " of stream " + key.name() + " closed while the record was routed to it; retry."));
    }
    if (f.failed()) {
      return new PutOutcome(shard.shardId(), null, asPutError(key, f.cause()));
    }
    AppendResult r = f.result();
    long offset = r.offsets()[position];
    if (offset == AppendResult.THROTTLED) {
      return new PutOutcome(shard.shardId(), null, new KinesisException.ProvisionedThroughputExceeded(
          "Rate exceeded for shard " + shard.shardId() + " in stream " + key.name() + " under account "
              + key.account() + "."));
    }
    return new PutOutcome(shard.shardId(), shard.sequenceNumber(offset, r.arrivalMillis()).toDecimal(), null);
  }

  /**
   * A failed put as the entry's error: a {@link KinesisException} as it is; anything else is a fault of ours, logged
   * here (a PutRecords answer carries it per entry, past the API's error exit) and answered InternalFailure.
   */
  private static KinesisException asPutError(StreamKey key, Throwable cause) {
    if (cause instanceof KinesisException k) {
      return k;
    }
    LOG.error("A put to {} failed", key.arn(), cause);
    return new KinesisException.InternalFailure("Internal service failure; the server log has the details.");
  }

  /** A stream's open shards sorted by starting hash key, cached until the stream's metadata changes. */
  private record Routing(StreamMeta stream, List<ShardMeta> openByHash) {}

  /** Routing tables kept at most; past it the cache starts afresh. */
  private static final int MAX_CACHED_ROUTINGS = 10_000;

  private final Map<StreamKey, Routing> routings = new ConcurrentHashMap<>();

  private List<ShardMeta> routing(StreamMeta stream) {
    Routing cached = routings.get(stream.key());
    if (cached != null && cached.stream() == stream) {
      return cached.openByHash();
    }
    List<ShardMeta> open = new ArrayList<>(stream.openShards());
    open.sort(Comparator.comparing(ShardMeta::startingHashKey));
    if (routings.size() > MAX_CACHED_ROUTINGS) {
      routings.clear(); // deleted streams' entries go too; the live ones are rebuilt on their next put
    }
    routings.put(stream.key(), new Routing(stream, List.copyOf(open)));
    return open;
  }

  /** Binary search over the open shards sorted by their starting hash key (they tile the key space). */
  private static int route(List<ShardMeta> open, HashKey hash) {
    int low = 0;
    int high = open.size() - 1;
    while (low < high) {
      int mid = (low + high + 1) >>> 1;
      if (open.get(mid).startingHashKey().compareTo(hash.value()) <= 0) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    if (!open.get(low).covers(hash)) {
      throw new KinesisException.InternalFailure("No open shard covers hash key " + hash);
    }
    return low;
  }

  /** Issues an iterator for GetShardIterator. {@code timestampMillis} is used by AT_TIMESTAMP only. */
  public Future<String> shardIterator(StreamKey key, String shardId, IteratorType type, String sequenceNumber,
                                      Long timestampMillis) {
    long now = registry.clock().millis();
    return startPoint(key, shardId, type, sequenceNumber, timestampMillis).map(start -> new ShardIterator(
        key.account(), key.region(), key.name(), start.stream().createdMillis(), start.shard().index(),
        start.offset(), now).encode(signer));
  }

  /** Where a SubscribeToShard starts: the stream and shard as they were, the shard's handle and the offset. */
  public record StartPoint(StreamMeta stream, ShardMeta shard, ShardHandle handle, long offset) {}

  /**
   * Resolves a starting position, for GetShardIterator and SubscribeToShard alike. One addition: a sequence number
   * with the shard's own fields, offset 0 and record time 0 (what a subscription reports as continuation before it
   * delivered anything from offset 0) means "before the first record", so AFTER_SEQUENCE_NUMBER with it starts at
   * offset 0.
   */
  public Future<StartPoint> startPoint(StreamKey key, String shardId, IteratorType type, String sequenceNumber,
                                       Long timestampMillis) {
    // Kinesis's order: the shard id is read first; a stream that is missing (or not yet ACTIVE) and a shard that is
    // missing both answer that the shard does not exist; then the arguments are checked against the type.
    int index = ShardIds.index(shardId, key);
    StreamMeta stream = registry.find(key).filter(s -> s.status().readableAndWritable())
        .orElseThrow(() -> shardNotFound(key, index));
    ShardMeta shard = stream.shard(index).orElseThrow(() -> shardNotFound(key, index));
    ShardHandle handle = registry.shards().find(key, shard.index());
    if (handle == null) {
      throw shardNotFound(key, index);
    }
    requireArguments(type, sequenceNumber, timestampMillis);
    if (type == IteratorType.AFTER_SEQUENCE_NUMBER && sequenceNumber.equals(beforeFirst(shard))) {
      return Future.succeededFuture(new StartPoint(stream, shard, handle, 0));
    }
    return offset(key, shard, handle, type, sequenceNumber, timestampMillis, registry.clock().millis())
        .map(o -> new StartPoint(stream, shard, handle, o));
  }

  /** A starting sequence number with the types that take one and only with them; a timestamp likewise. */
  private static void requireArguments(IteratorType type, String sequenceNumber, Long timestampMillis) {
    boolean bySequence = type == IteratorType.AT_SEQUENCE_NUMBER || type == IteratorType.AFTER_SEQUENCE_NUMBER;
    if (bySequence != (sequenceNumber != null)) {
      throw new KinesisException.InvalidArgument("Must either specify (1) AT_SEQUENCE_NUMBER or "
          + "AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
          + "StartingSequenceNumber. Request specified " + type + (bySequence ? " and no StartingSequenceNumber."
          : " and also a StartingSequenceNumber."));
    }
    if (type != IteratorType.AT_TIMESTAMP && timestampMillis != null) {
      throw new KinesisException.InvalidArgument("Request should not have timestampInMillis parameter for "
          + "ShardIteratorType " + type + ".");
    }
  }

  /** The continuation sequence number that means "before offset 0" (see {@link #startPoint}). */
  public static String beforeFirst(ShardMeta shard) {
    return new SequenceNumber(shard.createdSeconds(), shard.index(), 0, 0).toDecimal();
  }

  private Future<Long> offset(StreamKey key, ShardMeta shard, ShardHandle handle, IteratorType type,
                              String sequenceNumber, Long timestampMillis, long now) {
    return switch (type) {
      case TRIM_HORIZON -> handle.offsetForTime(0); // the oldest record still within retention
      case LATEST -> handle.bounds().map(ShardBounds::tipOffset);
      case AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER -> {
        long at = offsetOf(key, shard, sequenceNumber);
        yield Future.succeededFuture(type == IteratorType.AFTER_SEQUENCE_NUMBER ? at + 1 : at);
      }
      case AT_TIMESTAMP -> {
        if (timestampMillis == null) {
          throw new KinesisException.InvalidArgument("Must specify timestampInMillis parameter for iterator of "
              + "type AT_TIMESTAMP. Current request has no timestamp parameter.");
        }
        if (timestampMillis > now) {
          throw new KinesisException.InvalidArgument("The timestampInMillis parameter cannot be greater than the "
              + "currentTimestampInMillis. timestampInMillis: " + timestampMillis + ", currentTimestampInMillis: "
              + now);
        }
        yield handle.offsetForTime(timestampMillis);
      }
    };
  }

  /**
   * The offset a StartingSequenceNumber names in {@code shard}, checked as Kinesis checks it: it must be a sequence
   * number at all ({@link SequenceNumberFormat}), name this shard, and be one of this stream's.
   */
  private static long offsetOf(StreamKey key, ShardMeta shard, String sequenceNumber) {
    String invalid = "StartingSequenceNumber " + sequenceNumber + " used in GetShardIterator on shard "
        + shard.shardId() + " in stream " + key.name() + " under account " + key.account() + " is invalid";
    SequenceNumberFormat.Inspected inspected = SequenceNumberFormat.inspect(sequenceNumber)
        .orElseThrow(() -> new KinesisException.InvalidArgument(invalid + "."));
    if (inspected.shardIndex() != shard.index()) {
      throw new KinesisException.InvalidArgument("Invalid StartingSequenceNumber. It encodes "
          + SequenceNumberFormat.shardId(inspected.shardIndex()) + ", while it was used in a call to a shard with "
          + shard.shardId());
    }
    SequenceNumber s = SequenceNumber.parse(sequenceNumber)
        .orElseThrow(() -> new KinesisException.InvalidArgument(invalid + "."));
    if (s.shardCreatedSeconds() != shard.createdSeconds()) {
      throw new KinesisException.InvalidArgument(invalid + " because it did not come from this stream.");
    }
    return s.offset();
  }

  /** ResourceNotFound for a shard, named as Kinesis names it whatever spelling the request used. */
  public static KinesisException shardNotFound(StreamKey key, int index) {
    return shardNotFound(key, SequenceNumberFormat.shardId(index));
  }

  public static KinesisException shardNotFound(StreamKey key, String shardId) {
    return new KinesisException.ResourceNotFound("Shard " + shardId + " in stream " + key.name()
        + " under account " + key.account() + " does not exist");
  }

  /** GetRecords: reads up to {@code limit} records at the iterator's position. */
  public Future<RecordsPage> records(String token, int limit, String streamArn) {
    ShardIterator it = ShardIterator.decode(token, signer)
        .orElseThrow(() -> new KinesisException.InvalidArgument("Invalid ShardIterator."));
    long now = registry.clock().millis();
    if (it.expiredAt(now)) {
      throw new KinesisException.ExpiredIterator("Iterator expired. The iterator was created at time "
          + awsDate(it.issuedMillis()) + " while right now it is " + awsDate(now) + " which is further in the "
          + "future than the tolerated delay of " + ShardIterator.TTL_MILLIS + " milliseconds.");
    }
    StreamKey key = new StreamKey(it.account(), it.region(), it.streamName());
    if (streamArn != null && !streamArn.equals(key.arn())) {
      throw new KinesisException.InvalidArgument("StreamARN " + streamArn + " does not match the stream of the "
          + "shard iterator (" + key.arn() + ").");
    }
    // As Kinesis: the iterator's shard is gone when its stream is (deleted, or deleted and created again).
    StreamMeta stream = registry.find(key)
        .filter(s -> s.status().readableAndWritable() && s.createdMillis() == it.streamCreatedMillis())
        .orElseThrow(() -> shardNotFound(key, it.shardIndex()));
    ShardMeta shard = stream.shard(it.shardIndex()).orElseThrow(() -> shardNotFound(key, it.shardIndex()));
    ShardHandle handle = registry.shards().find(key, shard.index());
    if (handle == null) {
      throw shardNotFound(key, shard.shardId());
    }
    long maxRecords = shard.endOffset() == null ? limit
        : Math.max(0, Math.min(limit, shard.endOffset() - it.offset()));
    return handle.read(it.offset(), (int) Math.max(1, maxRecords), KinesisLimits.MAX_GET_RECORDS_BYTES, true)
        .map(r -> page(key, stream, shard, it, r, now));
  }

  private RecordsPage page(StreamKey key, StreamMeta stream, ShardMeta shard, ShardIterator it, ReadResult r,
                           long now) {
    List<LogRecord> records = r.records();
    if (shard.endOffset() != null) {
      records = records.stream().filter(rec -> rec.offset() < shard.endOffset()).toList();
    }
    List<StreamRecord> served = new ArrayList<>(records.size());
    for (LogRecord rec : records) {
      served.add(StreamRecord.of(shard, rec));
    }
    long next = records.isEmpty() ? r.nextOffset() : records.get(records.size() - 1).offset() + 1;
    long behind = next >= r.tipOffset() || records.isEmpty() ? 0
        : Math.max(0, now - records.get(records.size() - 1).arrivalMillis());
    if (shard.endOffset() != null && next >= shard.endOffset()) {
      List<ShardMeta> children = stream.shards().stream()
          .filter(c -> Integer.valueOf(shard.index()).equals(c.parentIndex())
              || Integer.valueOf(shard.index()).equals(c.adjacentParentIndex())).toList();
      return new RecordsPage(served, null, 0, children, key, shard.shardId());
    }
    return new RecordsPage(served, it.at(next, now).encode(signer), behind, null, key, shard.shardId());
  }

  /** Dates in iterator-expiry messages, as AWS prints them ({@code Sat Jun 13 02:55:44 UTC 2020}). */
  static String awsDate(long millis) {
    SimpleDateFormat format = new SimpleDateFormat("EEE MMM dd HH:mm:ss zzz yyyy", Locale.ROOT);
    format.setTimeZone(TimeZone.getTimeZone("UTC"));
    return format.format(new Date(millis));
  }
}
