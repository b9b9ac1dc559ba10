package io.millrace.shard;

import io.millrace.concurrent.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * The typed, asynchronous way to reach one shard from any context. Each call hops onto the shard's own context,
 * runs there, and completes on the caller's context (or on the shard's, for callers that are not on a Vert.x
 * context). Immutable records in, {@link Future} out; nothing here touches shard state directly.
 */
public final class ShardHandle {

  private final ShardVerticle shard;
  private final Context owner;

  public ShardHandle(ShardVerticle shard, Context owner) {
    this.shard = shard;
    this.owner = owner;
  }

  public Future<AppendResult> append(AppendRequest request) {
    return hop(() -> shard.append(request));
  }

  /** Stops appends and gives where the shard ended; see {@link ShardVerticle#close()}. */
  public Future<ShardEnd> close() {
    return hop(shard::close);
  }

  /** Takes appends again after a {@link #close()} whose reshard was undone; see {@link ShardVerticle#reopen()}. */
  public Future<Void> reopen() {
    return hop(() -> {
      shard.reopen();
      return Future.succeededFuture();
    });
  }

  /** Records and bytes accepted since start; see {@link ShardVerticle#acceptedTotals}. */
  public Future<AcceptedTotals> acceptedTotals() {
    return hop(() -> Future.succeededFuture(shard.acceptedTotals()));
  }

  public Future<ReadResult> read(long offset, int maxRecords, long maxBytes, boolean throttled) {
    return hop(() -> shard.read(offset, maxRecords, maxBytes, throttled));
  }

  public Future<Long> offsetForTime(long epochMillis) {
    return hop(() -> shard.offsetForTime(epochMillis));
  }

  /** Sets how long records stay readable (a retention change of the stream). */
  public Future<Void> retentionMillis(long millis) {
    return hop(() -> {
      shard.retentionMillis(millis);
      return Future.succeededFuture();
    });
  }

  /** Runs retention now (it also runs periodically): deletes segments holding only expired records. */
  public Future<Long> enforceRetention() {
    return hop(shard::enforceRetention);
  }

  /** Deletes the segments whose records all arrived before {@code cutoffMillis}; gives the new start offset. */
  public Future<Long> trimOlderThan(long cutoffMillis) {
    return hop(() -> shard.trimOlderThan(cutoffMillis));
  }

  /** The oldest readable offset and the tip, read together on the shard's context. */
  public Future<ShardBounds> bounds() {
    return hop(() -> Future.succeededFuture(new ShardBounds(shard.startOffset(), shard.tipOffset())));
  }

  /**
   * Calls {@code onTip} on {@code listenerContext} with the new tip whenever acknowledged records become visible.
   * The future gives the registration id and the tip at registration time.
   */
  public Future<TipSubscription> listen(Context listenerContext, java.util.function.LongConsumer onTip) {
    return hop(() -> {
      long id = shard.addTipListener(tip -> listenerContext.runOnContext(v -> onTip.accept(tip)));
      return Future.succeededFuture(new TipSubscription(id, shard.tipOffset()));
    });
  }

  public Future<Void> unlisten(long id) {
    return hop(() -> {
      shard.removeTipListener(id);
      return Future.succeededFuture();
    });
  }

  private <T> Future<T> hop(Supplier<Future<T>> action) {
    return OnContext.call(owner, action);
  }
}
