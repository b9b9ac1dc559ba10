package io.millrace.shard;

import io.millrace.config.Durability;
import io.millrace.error.KinesisException;
import io.millrace.storage.LogRecord;
import io.millrace.storage.RecoveryReport;
import io.millrace.storage.ShardLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one shard's log.
 *
 * <p><b>Threading.</b> Every field is owned by this verticle's event-loop context; the public methods must be called
 * on it (asserted) and are reached from elsewhere through {@link ShardHandle}. File writes and fsync run as ordered
 * blocking tasks of this context, cold reads on the shared {@code storage-io} worker pool; nothing here blocks the
 * event loop.
 *
 * <p><b>Group commit.</b> An append assigns offsets and arrival times at once and joins the pending batch, which is
 * flushed at the end of the event-loop turn, so appends of one turn are written and acknowledged together. At most
 * one flush (one write, plus one fsync under {@link Durability#ALWAYS}) runs at a time; appends arriving meanwhile
 * form the next batch, so under load many producers share each fsync. A batch is acknowledged, made visible to
 * readers and put in the tail cache only after its flush completed: readers never see a record that could vanish.
 *
 * <p><b>Faults.</b> A failed write or fsync fences the shard: the batch is cut from the log again
 * ({@link ShardLog#discardFrom}) before its appends fail with InternalFailure, so a record answered as failed is never
 * read later; pending and later appends fail too, reads of acknowledged records go on. Reopening the log (a restart)
 * runs recovery.
 */
public final class ShardVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ShardVerticle.class);

  private final String name;
  private final Callable<ShardLog> opener;
  private final ShardSettings settings;
  private final ThroughputLimiter writeLimiter = ThroughputLimiter.writes();
  private final ThroughputLimiter readLimiter = ThroughputLimiter.reads();

  private Context owner;
  private WorkerExecutor coldReads;
  private ShardLog log;
  private TailCache tail;
  private long nextOffset;
  private long visibleOffset;
  private long lastArrivalMillis;
  private long retentionMillis;
  private long horizonOffset;
  private long retentionTimer = -1;
  private boolean trimming;
  private List<LogRecord> pending = new ArrayList<>();
  private List<Waiter> waiters = new ArrayList<>();
  private boolean flushing;
  private boolean flushScheduled;
  private String fencedReason;
  private long fsyncTimer = -1;
  private boolean unsyncedWrites;
  private Promise<Void> drained;
  private final java.util.Map<Long, java.util.function.LongConsumer> tipListeners = new java.util.LinkedHashMap<>();
  private long nextListenerId;

  private boolean closed;
  private long acceptedRecords;
  private long acceptedBytes;

  private record Waiter(Promise<AppendResult> promise, AppendResult result) {}

  /**
   * @param name     {@code stream/shardId}, for log lines and errors
   * @param opener   opens (and recovers) the log; called once, on a worker
   * @param settings shared shard settings
   * @param retentionMillis how long records stay readable (the stream's retention period)
   */
  public ShardVerticle(String name, Callable<ShardLog> opener, ShardSettings settings, long retentionMillis) {
    this.name = name;
    this.opener = opener;
    this.settings = settings;
    this.retentionMillis = retentionMillis;
  }

  @Override
  public Future<?> start() {
    owner = context;
    coldReads = vertx.createSharedWorkerExecutor("storage-io");
    return owner.executeBlocking(() -> {
      ShardLog opened = opener.call();
      long next = opened.nextOffset();
      if (next > opened.startOffset()) {
        // Arrival times never go backwards, across restarts too (time lookups rely on it).
        lastArrivalMillis = opened.read(next - 1, 1, Long.MAX_VALUE).get(0).arrivalMillis();
      }
      return opened;
    }, true).map(opened -> {
      log = opened;
      nextOffset = opened.nextOffset();
      visibleOffset = nextOffset;
      tail = new TailCache(settings.tailCacheBytes(), nextOffset, settings.tailCacheBudget());
      horizonOffset = opened.startOffset();
      RecoveryReport report = opened.recoveryReport();
      settings.events().onRecovered(name, report);
      if (report.droppedAnything()) {
        LOG.warn("Recovered {}: kept {} records, dropped a torn tail of {} bytes ({} records): {}", name,
            report.recordsRecovered(), report.bytesDropped(), report.recordsDropped(), report.detail());
      }
      if (settings.durability() == Durability.INTERVAL) {
        fsyncTimer = vertx.setPeriodic(settings.fsyncIntervalMillis(), id -> maybeSync());
      }
      retentionTimer = vertx.setPeriodic(settings.retentionCheckMillis(), id -> enforceRetention());
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    if (fsyncTimer >= 0) {
      vertx.cancelTimer(fsyncTimer);
    }
    vertx.cancelTimer(retentionTimer);
    Future<Void> idle = Future.succeededFuture();
    if (flushing || flushScheduled) {
      drained = Promise.promise();
      idle = drained.future();
    }
    return idle.compose(v -> owner.executeBlocking(() -> {
      if (log != null) {
        if (fencedReason == null) {
          log.sync();
        }
        log.close();
      }
      return null;
    }, true)).eventually(() -> {
      tail.clear(); // back on this context: give the cache's bytes back to the shared budget
      return coldReads.close();
    });
  }

  private void assertOwner() {
    assert Vertx.currentContext() == owner : "shard " + name + " touched off its context";
  }

  /** The context this shard runs on, for {@link ShardHandle}. Valid once started. */
  public Context ownerContext() {
    return owner;
  }

  /** The recovery report of the log this shard opened. */
  public RecoveryReport recoveryReport() {
    return log.recoveryReport();
  }

  /** Offsets {@code [startOffset, tip)} readable now. Call on the owner context. */
  public long tipOffset() {
    assertOwner();
    return visibleOffset;
  }

  /** Accepts records, completing once they are acknowledged under the configured durability. */
  public Future<AppendResult> append(AppendRequest request) {
    assertOwner();
    if (closed) {
      return Future.failedFuture(new ShardClosedException(name));
    }
    if (fencedReason != null) {
      return Future.failedFuture(fenced());
    }
    long now = Math.max(settings.clock().millis(), lastArrivalMillis);
    lastArrivalMillis = now;
    int flags = request.encrypted() ? LogRecord.FLAG_ENCRYPTED : 0;
    List<AppendRequest.Entry> entries = request.entries();
    long[] offsets = new long[entries.size()];
    for (int i = 0; i < offsets.length; i++) {
      AppendRequest.Entry e = entries.get(i);
      LogRecord record = new LogRecord(nextOffset, now, e.partitionKey(), e.explicitHashKey(), flags, e.data());
      if (settings.enforceThroughputLimits() && !writeLimiter.tryAcquireRecord(record.billedBytes(), now)) {
        offsets[i] = AppendResult.THROTTLED;
        continue;
      }
      offsets[i] = nextOffset++;
      pending.add(record);
      acceptedRecords++;
      acceptedBytes += record.billedBytes();
    }
    Promise<AppendResult> promise = Promise.promise();
    waiters.add(new Waiter(promise, new AppendResult(offsets, now)));
    if (!flushing && !flushScheduled) {
      // Flush at the end of this event-loop turn, not now: appends arriving in the same turn then share one write
      // (and one fsync) and are acknowledged together.
      flushScheduled = true;
      owner.runOnContext(v -> {
        flushScheduled = false;
        if (flushing) {
          return; // the running flush takes the waiters when it completes
        }
        if (!waiters.isEmpty()) {
          flush();
        } else if (drained != null) {
          drained.tryComplete();
        }
      });
    }
    return promise.future();
  }

  /**
   * Closes the shard for appends (a reshard made it a parent): later appends fail with {@link ShardClosedException}
   * at once, appends already accepted are flushed and acknowledged as usual, and the future gives the end once
   * none is in flight. Reads go on. Tip listeners are told the end, so push readers notice the shard closed.
   * Idempotent.
   */
  public Future<ShardEnd> close() {
    assertOwner();
    closed = true;
    Future<Void> idle = Future.succeededFuture();
    if (flushing || flushScheduled || !waiters.isEmpty()) {
      if (drained == null || drained.future().isComplete()) {
        drained = Promise.promise();
      }
      idle = drained.future();
    }
    return idle.map(v -> {
      long end = visibleOffset;
      List.copyOf(tipListeners.values()).forEach(l -> l.accept(end));
      return new ShardEnd(end, lastArrivalMillis);
    });
  }

  /**
   * Takes appends again after {@link #close()}: the reshard that closed this shard failed before publishing its
   * children, so this shard is still where its hash range is routed. Offsets go on from where it stopped.
   */
  public void reopen() {
    assertOwner();
    closed = false;
  }

  private void flush() {
    List<LogRecord> batch = pending;
    List<Waiter> acks = waiters;
    pending = new ArrayList<>();
    waiters = new ArrayList<>();
    flushing = true;
    boolean syncNow = settings.durability() == Durability.ALWAYS;
    Future<Void> written = batch.isEmpty() ? Future.succeededFuture() : owner.executeBlocking(() -> {
      try {
        log.append(batch);
        if (syncNow) {
          log.sync();
        }
      } catch (IOException | RuntimeException e) {
        discardUnacknowledged(batch.get(0).offset(), e);
        throw e;
      }
      return null;
    }, true);
    written.onComplete(ar -> {
      flushing = false;
      if (ar.succeeded()) {
        unsyncedWrites |= !syncNow && !batch.isEmpty();
        visibleOffset += batch.size();
        tail.addAll(batch);
        acks.forEach(w -> w.promise().complete(w.result()));
        if (!batch.isEmpty()) {
          long tip = visibleOffset;
          List.copyOf(tipListeners.values()).forEach(l -> l.accept(tip));
        }
      } else {
        fence(ar.cause());
        acks.forEach(w -> w.promise().fail(fenced()));
      }
      if (fencedReason != null && !pending.isEmpty()) {
        pending.clear();
        List<Waiter> late = waiters;
        waiters = new ArrayList<>();
        late.forEach(w -> w.promise().fail(fenced()));
      }
      if (!waiters.isEmpty()) {
        flush();
      } else if (drained != null) {
        drained.tryComplete();
      }
    });
  }

  /**
   * After a failed write or fsync (on the storage worker, before anyone hears of the failure): cuts the records from
   * {@code firstUnacknowledged} on out of the log. Their producers are told they failed, so they must never be read,
   * not even after a restart, or retrying producers would find them twice under sequence numbers they were never
   * given. If the log cannot even do that, the failure says so.
   */
  private void discardUnacknowledged(long firstUnacknowledged, Exception failure) {
    try {
      log.discardFrom(firstUnacknowledged);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
      LOG.error("Shard {}: records from offset {} were never acknowledged but could not be cut from the log ({}); "
          + "they may reappear after a restart", name, firstUnacknowledged, e.toString());
    }
  }

  private void maybeSync() {
    if (!unsyncedWrites || fencedReason != null) {
      return;
    }
    unsyncedWrites = false;
    owner.executeBlocking(() -> {
      log.sync();
      return null;
    }, true).onFailure(this::fence);
  }

  private void fence(Throwable cause) {
    if (fencedReason == null) {
      fencedReason = String.valueOf(cause.getMessage());
      settings.events().onFenced(name, cause);
      LOG.error("Shard {} is fenced after a storage failure; its writes fail until a restart: {}", name,
          fencedReason, cause);
    }
  }

  private KinesisException fenced() {
    return new KinesisException.InternalFailure("Shard " + name + " cannot accept writes after a storage failure ("
        + fencedReason + "); reads still work. Restart the server once the fault is fixed.");
  }

  /**
   * Reads acknowledged records from {@code offset}. Served from the tail cache when it covers the offset, otherwise
   * from the log on a worker.
   *
   * @param throttled whether this read counts against the shard's read limit (GetRecords)
   */
  public Future<ReadResult> read(long offset, int maxRecords, long maxBytes, boolean throttled) {
    assertOwner();
    long now = settings.clock().millis();
    if (throttled && settings.enforceThroughputLimits() && !readLimiter.tryAcquireCall(now)) {
      return Future.failedFuture(new KinesisException.ProvisionedThroughputExceeded(
          "Rate exceeded for shard " + name + "."));
    }
    long cutoff = now - retentionMillis;
    long start = Math.max(log.startOffset(), horizonOffset);
    long from = Math.max(offset, start);
    long tip = visibleOffset;
    if (from >= tip) {
      return Future.succeededFuture(new ReadResult(List.of(), Math.max(from, offset), tip, start));
    }
    Future<List<LogRecord>> records = tail.covers(from)
        ? Future.succeededFuture(tail.read(from, maxRecords, maxBytes))
        : coldReads.executeBlocking(() -> visible(log.read(from, maxRecords, maxBytes), tip), false);
    return records.map(list -> {
      // Expired records form a prefix (arrival times never decrease): skip them, and remember where they end.
      int expired = 0;
      while (expired < list.size() && list.get(expired).arrivalMillis() < cutoff) {
        expired++;
      }
      List<LogRecord> live = expired == 0 ? list : list.subList(expired, list.size());
      if (expired > 0) {
        horizonOffset = Math.max(horizonOffset, list.get(expired - 1).offset() + 1);
      }
      long served = 0;
      for (LogRecord r : live) {
        served += r.billedBytes();
      }
      readLimiter.addBytes(served);
      long next = list.isEmpty() ? from : list.get(list.size() - 1).offset() + 1;
      return new ReadResult(live, next, tip, Math.max(start, horizonOffset));
    });
  }


  private static List<LogRecord> visible(List<LogRecord> records, long tip) {
    int n = records.size();
    while (n > 0 && records.get(n - 1).offset() >= tip) {
      n--;
    }
    return n == records.size() ? records : records.subList(0, n);
  }

  /**
   * The first offset that arrived at or after {@code epochMillis} and is still within retention, or the tip.
   * {@code offsetForTime(0)} is the trim horizon.
   */
  public Future<Long> offsetForTime(long epochMillis) {
    assertOwner();
    long tip = visibleOffset;
    long at = Math.max(epochMillis, settings.clock().millis() - retentionMillis);
    if (at > lastArrivalMillis) {
      return Future.succeededFuture(tip);
    }
    long start = Math.max(log.startOffset(), horizonOffset);
    return coldReads.executeBlocking(() -> Math.max(start, Math.min(log.offsetForTime(at), tip)), false)
        .onSuccess(offset -> {
          if (epochMillis <= at) {
            horizonOffset = Math.max(horizonOffset, offset);
          }
        });
  }

  /** Changes how long records stay readable; takes effect on the next read and the next retention run. */
  public void retentionMillis(long millis) {
    assertOwner();
    retentionMillis = millis;
  }

  /**
   * Deletes whole segments that hold only expired records (on the ordered storage worker, like appends). Runs
   * periodically; returns the oldest offset still held.
   */
  public Future<Long> enforceRetention() {
    return trimOlderThan(settings.clock().millis() - retentionMillis);
  }

  /**
   * Deletes the segments all of whose records arrived before {@code cutoffMillis} (see {@link ShardLog#trimOlderThan});
   * a delivery stream's buffer trims what it delivered this way. Completes with the new start offset.
   */
  public Future<Long> trimOlderThan(long cutoffMillis) {
    assertOwner();
    if (trimming || fencedReason != null) {
      return Future.succeededFuture(log.startOffset());
    }
    trimming = true;
    long cutoff = cutoffMillis;
    long startBefore = log.startOffset();
    return owner.executeBlocking(() -> log.trimOlderThan(cutoff), true).andThen(ar -> {
      trimming = false;
      if (ar.succeeded()) {
        horizonOffset = Math.max(horizonOffset, ar.result());
        if (ar.result() > startBefore) {
          settings.events().onTrimmed(name, ar.result()); // segments were deleted, not merely looked at
        }
      } else {
        LOG.warn("Retention could not delete expired segments of {}: {}", name, ar.cause().toString());
      }
    });
  }


  /**
   * Registers {@code listener}, called on this context with the new tip each time a flush made records visible
   * (push for SubscribeToShard). It must be quick: hand the tip to another context and return. Returns an id for
   * {@link #removeTipListener}.
   */
  public long addTipListener(java.util.function.LongConsumer listener) {
    assertOwner();
    long id = nextListenerId++;
    tipListeners.put(id, listener);
    return id;
  }

  public void removeTipListener(long id) {
    assertOwner();
    tipListeners.remove(id);
  }

  /**
   * Records and billed bytes accepted for writing since the shard started (throttled ones excluded): the on-demand
   * scaler's write-rate samples.
   */
  public AcceptedTotals acceptedTotals() {
    assertOwner();
    return new AcceptedTotals(acceptedRecords, acceptedBytes);
  }

  /** The oldest offset known to be readable (records before it are deleted or expired). */
  public long startOffset() {
    assertOwner();
    return Math.max(log.startOffset(), horizonOffset);
  }
}
