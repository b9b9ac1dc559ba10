package io.millrace.fanout;

import io.millrace.error.KinesisException;
import io.millrace.shard.ReadResult;
import io.millrace.shard.ShardHandle;
import io.millrace.storage.LogRecord;
import io.millrace.stream.DataPlane;
import io.millrace.stream.ShardMeta;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRecord;
import java.util.ArrayList;

/**
 * One SubscribeToShard: pushes a shard's records, from a start offset on, to one {@link Sink}.
 *
 * <p><b>Push, with pull for catch-up.</b> The shard calls back (through {@link ShardHandle#listen}) each time a
 * flush made records visible; the subscription then reads from the shard ({@link ShardHandle#read}, tail cache or
 * log) at its own offset. Nothing is buffered here: a subscriber that falls behind simply reads older offsets, from
 * the log, until it is caught up.
 *
 * <p><b>Bounded in flight.</b> Each event's bytes count as in flight from the moment they are written to the sink
 * until the transport has taken them (written to the socket, within HTTP/2 flow control); a read happens only while
 * fewer than {@link Timing#maxInFlightBytes} are in flight, and asks for no more than the room left. So a client that
 * stops reading holds at most about that budget (plus one record larger than it) on the server, however far behind
 * it is, and a slow client only slows itself. (Design note: the transport's own write queue counts messages, not
 * bytes, so pausing on "write queue full" let a stalled client hold 16 events of up to a megabyte and more each.)
 *
 * <p><b>Byte cap.</b> With {@link Timing#maxBytesPerSecond} set, each read asks for no more than what the
 * {@link ByteRateCap} still allows in the last second; when nothing is allowed, the next read waits on a timer. So a
 * capped subscriber behind the tip is paced by reading later, never by holding records in memory.
 *
 * <p><b>Events.</b> Every event carries a continuation sequence number (the last record delivered, or the position
 * before the next one); an idle shard gets an empty event at least every {@code heartbeatMillis} (checked every half
 * period, so one comes after between half and all of it); after
 * {@code lifetimeMillis} the subscription ends cleanly.
 *
 * <p><b>Threading.</b> Everything runs on the context that created it (the HTTP request's event loop); shard
 * callbacks and the takeover notice hop onto it.
 */
public final class Subscription {

  /** Largest batch read per event: AWS pushes at most 2 MiB/s per consumer-shard, so one event stays below that. */
  static final long MAX_EVENT_BYTES = 1024 * 1024;
  static final int MAX_EVENT_RECORDS = 10_000;

  /** Where events go: the HTTP response, framed as event-stream messages by the wire layer. */
  public interface Sink {
    /**
     * Writes one SubscribeToShardEvent ({@code continuation} is null only for the final event of a closed shard) and
     * returns its size in bytes as written; calls {@code onWritten} once the transport has taken those bytes off the
     * server's hands (or given up on them, the client being gone).
     */
    long event(ShardMeta shard, List<StreamRecord> records, String continuation, long millisBehindLatest,
               List<ShardMeta> childShards, Runnable onWritten);

    /**
     * The end: {@code error} null for a clean end, else an exception event is written first. A failure that is not
     * a {@link KinesisException} is ours (a read that failed, say), passed on as it is so the wire layer can log it
     * and answer InternalFailure.
     */
    void end(Throwable error);
  }

  /**
   * Heartbeat period and lifetime (0: until the client or the shard ends it), in milliseconds; the cap on record
   * bytes pushed per second ({@code maxBytesPerSecond}, 0 = no cap; AWS's figure is 2 MiB/s per consumer and shard);
   * and the most event bytes written but not yet taken by the transport ({@code maxInFlightBytes}).
   */
  public record Timing(long heartbeatMillis, long lifetimeMillis, long maxBytesPerSecond, long maxInFlightBytes) {

    /** The default in-flight bound: 512 KiB per subscription. */
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 512 * 1024;

    public Timing(long heartbeatMillis, long lifetimeMillis, long maxBytesPerSecond) {
      this(heartbeatMillis, lifetimeMillis, maxBytesPerSecond, DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    public Timing(long heartbeatMillis, long lifetimeMillis) {
      this(heartbeatMillis, lifetimeMillis, 0);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final DataPlane.StartPoint start;
  private final Sink sink;
  private final Timing timing;
  private final Clock clock;
  private final Runnable onClosed;
  private long offset;
  private long tip;
  /** Bytes of events written to the sink and not yet taken by the transport. */
  private long inFlightBytes;
  /** Whether the in-flight budget is used up (reported to {@link #stats}). */
  private boolean waitingOnClient;
  private final SubscriptionStats stats;
  private final String consumer;
  private long lastEventMillis;
  private boolean reading;
  private boolean closed;
  private boolean started;
  private long listenerId = -1;
  private long heartbeatTimer = -1;
  private long lifetimeTimer = -1;
  /** The per-second byte cap, or null when off; while {@code capTimer} is set, reading waits for it. */
  private final ByteRateCap cap;
  private long capTimer = -1;
  private String lastSequenceNumber;
  private final Supplier<StreamMeta> latest;
  /** The metadata in which this shard is closed, once seen (then its end and children never change). */
  private StreamMeta closedIn;

  public Subscription(Vertx vertx, DataPlane.StartPoint start, Sink sink, Timing timing, Clock clock,
                      Runnable onClosed) {
    this(vertx, start, sink, timing, clock, onClosed, start::stream, new SubscriptionStats(), null);
  }

  /**
   * @param latest the stream's current metadata (or null once it is gone): how a subscription started on an open
   *               shard learns that a reshard closed it, where it ended and which children it has
   * @param stats  the server's totals over all subscriptions, which this one keeps up to date
   * @param consumer the registered consumer's name, for the metrics of its events; null without one (gRPC)
   */
  public Subscription(Vertx vertx, DataPlane.StartPoint start, Sink sink, Timing timing, Clock clock,
                      Runnable onClosed, Supplier<StreamMeta> latest, SubscriptionStats stats, String consumer) {
    this.latest = latest;
    this.stats = stats;
    this.consumer = consumer;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.start = start;
    this.sink = sink;
    this.timing = timing;
    this.clock = clock;
    this.onClosed = onClosed;
    this.cap = timing.maxBytesPerSecond() > 0 ? new ByteRateCap(timing.maxBytesPerSecond()) : null;
    this.offset = start.offset();
    this.lastSequenceNumber = offset == 0 ? DataPlane.beforeFirst(start.shard())
        : start.shard().sequenceNumber(offset - 1, 0).toDecimal();
  }

  /** Starts pushing. Call on the subscription's context. */
  public void start() {
    started = true;
    stats.started(start.stream().key(), consumer);
    lastEventMillis = clock.millis();
    heartbeatTimer = vertx.setPeriodic(Math.max(1, timing.heartbeatMillis() / 2), id -> maybeHeartbeat());
    if (timing.lifetimeMillis() > 0) {
      lifetimeTimer = vertx.setTimer(timing.lifetimeMillis(), id -> close(null));
    }
    start.handle().listen(context, newTip -> {
      tip = Math.max(tip, newTip);
      pump();
    }).onSuccess(registration -> {
      listenerId = registration.id();
      if (closed) {
        start.handle().unlisten(listenerId);
        return;
      }
      tip = Math.max(tip, registration.tipOffset());
      pump();
    }).onFailure(this::close);
  }

  /** Ends the subscription because a newer one took over. Any thread. */
  public void takenOver() {
    context.runOnContext(v -> close(new KinesisException.ResourceInUse("Another subscription for this consumer "
        + "and shard took over.")));
  }

  /** Ends now with {@code error} as an exception event (e.g. its consumer was deregistered). Any thread. */
  public void fail(KinesisException error) {
    context.runOnContext(v -> close(error));
  }

  /** Ends cleanly now (the server is shutting down); the client re-subscribes elsewhere or later. Any thread. */
  public void finish() {
    context.runOnContext(v -> close(null));
  }

  /** Ends at once without writing anything more (the client went away). Any thread. */
  public void abandon() {
    context.runOnContext(v -> close(null, false));
  }

  private void pump() {
    if (closed || reading || capTimer >= 0 || inFlightBytes >= timing.maxInFlightBytes()) {
      return;
    }
    Long end = endOffset();
    if (offset >= tip && (end == null || offset < end)) {
      return;
    }
    // Read no more than the client has room for: what a stalled client holds is bounded by the in-flight budget.
    long maxBytes = Math.min(MAX_EVENT_BYTES, timing.maxInFlightBytes() - inFlightBytes);
    if (cap != null) {
      long now = clock.millis();
      long allowance = cap.allowance(now);
      if (allowance == 0) {
        waitForCap(cap.waitMillis(now, 1));
        return;
      }
      maxBytes = Math.min(maxBytes, allowance);
    }
    reading = true;
    start.handle().read(offset, MAX_EVENT_RECORDS, maxBytes, false).onComplete(ar -> {
      reading = false;
      if (closed) {
        return;
      }
      if (ar.failed()) {
        close(ar.cause());
        return;
      }
      deliver(ar.result());
    });
  }

  private void deliver(ReadResult r) {
    tip = Math.max(tip, r.tipOffset());
    List<LogRecord> records = r.records();
    Long end = endOffset();
    if (end != null) {
      records = records.stream().filter(rec -> rec.offset() < end).toList();
    }
    if (cap != null && !records.isEmpty()) {
      long bytes = 0;
      for (LogRecord rec : records) {
        bytes += rec.billedBytes();
      }
      long now = clock.millis();
      if (!cap.fits(now, bytes)) {
        // Only a first record larger than the allowance gets here (a read returns at least one record): drop the
        // read, and read it again once the window has room for it, rather than holding it.
        waitForCap(cap.waitMillis(now, bytes));
        return;
      }
      cap.sent(now, bytes);
    }
    long next = records.isEmpty() ? Math.max(offset, r.nextOffset()) : records.get(records.size() - 1).offset() + 1;
    if (!records.isEmpty()) {
      LogRecord last = records.get(records.size() - 1);
      lastSequenceNumber = start.shard().sequenceNumber(last.offset(), last.arrivalMillis()).toDecimal();
      long behind = next >= tip ? 0 : Math.max(0, clock.millis() - last.arrivalMillis());
      offset = next;
      emit(records, behind);
    } else {
      offset = next;
    }
    if (end != null && offset >= end) {
      List<ShardMeta> children = (closedIn != null ? closedIn : start.stream()).shards().stream()
          .filter(c -> Integer.valueOf(start.shard().index()).equals(c.parentIndex())
              || Integer.valueOf(start.shard().index()).equals(c.adjacentParentIndex())).toList();
      sink.event(start.shard(), List.of(), null, 0, children, () -> { });
      close(null);
      return;
    }
    if (offset < tip) {
      pump(); // catching up: keep reading while the in-flight budget allows, else once writes complete
    }
  }

  /** Where the shard ended, or null while it is open (as far as the metadata says yet). */
  private Long endOffset() {
    if (start.shard().endOffset() != null) {
      return start.shard().endOffset();
    }
    if (closedIn == null) {
      StreamMeta now = latest.get();
      ShardMeta shard = now == null ? null : now.shard(start.shard().index()).orElse(null);
      if (shard == null || shard.open()) {
        return null;
      }
      closedIn = now;
    }
    return closedIn.shard(start.shard().index()).orElseThrow().endOffset();
  }

  /** Pauses reading for {@code millis} because of the byte cap; the timer resumes it. */
  private void waitForCap(long millis) {
    capTimer = vertx.setTimer(Math.max(1, millis), id -> {
      capTimer = -1;
      pump();
    });
  }

  private void emit(List<LogRecord> records, long millisBehind) {
    lastEventMillis = clock.millis();
    long[] bytes = {0};
    boolean[] written = {false};
    List<StreamRecord> served = new ArrayList<>(records.size());
    long dataBytes = 0;
    for (LogRecord record : records) {
      served.add(StreamRecord.of(start.shard(), record));
      dataBytes += record.data().length;
    }
    stats.pushed(start.stream().key(), consumer, start.shard().shardId(), served.size(), dataBytes, millisBehind);
    bytes[0] = sink.event(start.shard(), served, lastSequenceNumber, millisBehind, null, () -> {
      // On this context: the transport completes writes on the connection's event loop, which created this.
      written[0] = true;
      addInFlight(-bytes[0]);
      pump();
    });
    if (!written[0]) {
      addInFlight(bytes[0]);
    }
  }

  private void addInFlight(long deltaBytes) {
    inFlightBytes += deltaBytes;
    stats.inFlight(deltaBytes);
    boolean waiting = !closed && inFlightBytes >= timing.maxInFlightBytes();
    if (waiting != waitingOnClient) {
      waitingOnClient = waiting;
      stats.waiting(waiting);
    }
  }

  private void maybeHeartbeat() {
    if (!closed && closedIn == null && start.shard().endOffset() == null && latest.get() == null) {
      StreamKey key = start.stream().key();
      close(new KinesisException.ResourceNotFound("Stream " + key.name() + " under account " + key.account()
          + " not found.")); // deleted (or deleted and created again): its shards end with it
      return;
    }
    if (closed || reading || inFlightBytes > 0) {
      return; // events are on their way, or the client is not taking them: a heartbeat adds nothing
    }
    if (clock.millis() - lastEventMillis >= timing.heartbeatMillis() / 2) {
      emit(List.of(), 0);
    }
  }

  private void close(Throwable error) {
    close(error, true);
  }

  private void close(Throwable error, boolean tellClient) {
    if (closed) {
      return;
    }
    closed = true;
    if (started) {
      stats.ended();
    }
    if (waitingOnClient) {
      waitingOnClient = false;
      stats.waiting(false);
    }
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(lifetimeTimer);
    if (capTimer >= 0) {
      vertx.cancelTimer(capTimer);
    }
    if (listenerId >= 0) {
      start.handle().unlisten(listenerId);
    }
    if (tellClient) {
      sink.end(error);
    }
    onClosed.run();
  }
}
