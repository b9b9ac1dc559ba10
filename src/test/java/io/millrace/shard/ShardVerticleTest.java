package io.millrace.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.config.Durability;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.storage.LogRecord;
import io.millrace.storage.MemoryShardLog;
import io.millrace.storage.RecoveryReport;
import io.millrace.storage.ShardLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ShardVerticleTest {

  private static final long NOW = 1_795_651_200_123L;
  private static final Clock FIXED = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);

  @Test
  void appends_get_dense_offsets_in_order(Vertx vertx, VertxTestContext test) {
    deploy(vertx, new MemoryShardLog(), settings(1 << 20, false, FIXED)).compose(shard -> {
      ShardHandle h = handle(shard);
      return h.append(request("a", "b")).compose(first -> h.append(request("c")).compose(second ->
          h.append(request("d", "e", "f")).map(third -> List.of(first, second, third))));
    }).onComplete(test.succeeding(results -> test.verify(() -> {
      assertArrayEquals(new long[] {0, 1}, results.get(0).offsets());
      assertArrayEquals(new long[] {2}, results.get(1).offsets());
      assertArrayEquals(new long[] {3, 4, 5}, results.get(2).offsets());
      assertEquals(NOW, results.get(0).arrivalMillis());
      test.completeNow();
    })));
  }

  @Test
  void appends_issued_in_one_event_loop_turn_are_written_and_acknowledged_together(Vertx vertx,
      VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    deploy(vertx, log, settings(1 << 20, false, FIXED)).onComplete(test.succeeding(shard ->
        shard.ownerContext().runOnContext(v -> {
          List<Future<AppendResult>> appends = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            appends.add(shard.append(request("p" + i)));
          }
          Future.all(appends).onComplete(test.succeeding(all -> test.verify(() -> {
            for (int i = 0; i < 5; i++) {
              assertArrayEquals(new long[] {i}, appends.get(i).result().offsets());
            }
            assertEquals(List.of(5), log.batchSizes, "log appends per batch");
            test.completeNow();
          })));
        })));
  }

  @Test
  void close_acknowledges_the_appends_in_flight_refuses_later_ones_and_reports_the_end(Vertx vertx,
      VertxTestContext test) {
    deploy(vertx, new MemoryShardLog(), settings(1 << 20, false, FIXED)).onComplete(test.succeeding(shard ->
        shard.ownerContext().runOnContext(v -> {
          Future<AppendResult> inFlight = shard.append(request("a", "b", "c"));
          Future<ShardEnd> closed = shard.close();
          Future<AppendResult> late = shard.append(request("d"));
          assertTrue(late.failed() && late.cause() instanceof ShardClosedException, "refused at once");
          closed.onComplete(test.succeeding(end -> test.verify(() -> {
            assertTrue(inFlight.succeeded(), "the append in flight was acknowledged before the close completed");
            assertArrayEquals(new long[] {0, 1, 2}, inFlight.result().offsets());
            assertEquals(3, end.endOffset());
            assertEquals(NOW, end.lastArrivalMillis());
            assertEquals(3, shard.tipOffset());
            test.completeNow();
          })));
        })));
  }

  @Test
  void reads_return_only_acknowledged_records(Vertx vertx, VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    CountDownLatch release = new CountDownLatch(1);
    log.holdAppends = release;
    deploy(vertx, log, settings(0, false, FIXED)).onComplete(test.succeeding(shard -> {
      ShardHandle h = handle(shard);
      Future<AppendResult> append = h.append(request("a", "b"));
      // The records are in the log's memory, but the append has not returned: nobody may see them yet.
      Future.fromCompletionStage(log.entered, vertx.getOrCreateContext())
          .onComplete(test.succeeding(x -> h.read(0, 100, 1 << 20, false)
          .onComplete(test.succeeding(before -> {
            test.verify(() -> {
              assertEquals(List.of(), before.records());
              assertEquals(0, before.tipOffset());
            });
            release.countDown();
            append.compose(acked -> h.read(0, 100, 1 << 20, false)).onComplete(test.succeeding(after ->
                test.verify(() -> {
                  assertEquals(List.of(0L, 1L), after.records().stream().map(LogRecord::offset).toList());
                  assertEquals(2, after.tipOffset());
                  assertEquals(2, after.nextOffset());
                  assertTrue(after.caughtUp());
                  test.completeNow();
                })));
          }))));
    }));
  }

  @Test
  void the_tail_cache_and_cold_reads_return_the_same_records(Vertx vertx, VertxTestContext test) {
    Future<ShardHandle> cold = deploy(vertx, new MemoryShardLog(), settings(0, false, FIXED)).map(this::handle);
    Future<ShardHandle> cached = deploy(vertx, new MemoryShardLog(), settings(1 << 20, false, FIXED))
        .map(this::handle);
    Future<ShardHandle> small = deploy(vertx, new MemoryShardLog(), settings(500, false, FIXED)).map(this::handle);
    List<AppendRequest> requests = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String[] keys = new String[1 + i % 3];
      for (int k = 0; k < keys.length; k++) {
        keys[k] = "key-" + i + "-" + k + "-" + "x".repeat(i * 7 % 40);
      }
      requests.add(request(keys));
    }
    Future.all(cold, cached, small).compose(all -> {
      Future<Void> chain = Future.succeededFuture();
      for (AppendRequest r : requests) {
        chain = chain.compose(v -> Future.all(cold.result().append(r), cached.result().append(r),
            small.result().append(r)).mapEmpty());
      }
      return chain;
    }).compose(v -> {
      List<Future<List<List<LogRecord>>>> pages = new ArrayList<>();
      for (ShardHandle h : List.of(cold.result(), cached.result(), small.result())) {
        pages.add(readAllWays(h));
      }
      return Future.all(pages).map(x -> pages.stream().map(Future::result).toList());
    }).onComplete(test.succeeding(byShard -> test.verify(() -> {
      assertEquals(byShard.get(0), byShard.get(1), "cold reads and a large tail cache");
      assertEquals(byShard.get(0), byShard.get(2), "cold reads and a small tail cache");
      assertTrue(byShard.get(0).stream().anyMatch(page -> page.size() > 1));
      test.completeNow();
    })));
  }

  @Test
  void the_1001st_record_within_one_second_is_throttled(Vertx vertx, VertxTestContext test) {
    MutableClock clock = new MutableClock(NOW);
    String[] keys = new String[1001];
    java.util.Arrays.fill(keys, "k");
    deploy(vertx, new MemoryShardLog(), settings(1 << 20, true, clock)).compose(shard -> {
      ShardHandle h = handle(shard);
      return h.append(request(keys)).compose(first -> h.append(request("late")).compose(second -> {
        clock.millis = NOW + 1000;
        return h.append(request("next second")).map(third -> List.of(first, second, third));
      }));
    }).onComplete(test.succeeding(results -> test.verify(() -> {
      long[] offsets = results.get(0).offsets();
      assertArrayEquals(LongStream.range(0, 1000).toArray(), java.util.Arrays.copyOf(offsets, 1000));
      assertEquals(AppendResult.THROTTLED, offsets[1000]);
      assertArrayEquals(new long[] {AppendResult.THROTTLED}, results.get(1).offsets());
      assertArrayEquals(new long[] {1000}, results.get(2).offsets());
      test.completeNow();
    })));
  }

  @Test
  void without_enforcement_there_is_no_throttling(Vertx vertx, VertxTestContext test) {
    String[] keys = new String[1500];
    java.util.Arrays.fill(keys, "k");
    deploy(vertx, new MemoryShardLog(), settings(1 << 20, false, FIXED))
        .compose(shard -> handle(shard).append(request(keys)))
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertArrayEquals(LongStream.range(0, 1500).toArray(), r.offsets());
          test.completeNow();
        })));
  }

  @Test
  void a_failed_write_fences_the_shard_but_reads_go_on(Vertx vertx, VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    deploy(vertx, log, settings(0, false, FIXED)).compose(shard -> {
      ShardHandle h = handle(shard);
      return h.append(request("a", "b")).compose(ok -> {
        log.failAppends = true;
        return h.append(request("c")).transform(failed -> {
          log.failAppends = false; // the disk "recovers": the shard must stay fenced anyway
          return h.append(request("d")).transform(later ->
              h.read(0, 100, 1 << 20, false).map(read -> List.of(failed, later, Future.succeededFuture(read))));
        });
      });
    }).onComplete(test.succeeding(outcomes -> test.verify(() -> {
      assertInternalFailure(outcomes.get(0).cause());
      assertInternalFailure(outcomes.get(1).cause());
      ReadResult read = (ReadResult) outcomes.get(2).result();
      assertEquals(List.of(0L, 1L), read.records().stream().map(LogRecord::offset).toList());
      assertEquals(List.of(2), log.batchSizes.subList(0, 1));
      test.completeNow();
    })));
  }

  @Test
  void a_batch_whose_write_failed_is_cut_from_the_log_before_its_producers_hear_of_the_failure(Vertx vertx,
                                                                                              VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    deploy(vertx, log, settings(0, false, FIXED)).compose(shard -> {
      ShardHandle h = handle(shard);
      return h.append(request("a", "b")).compose(ok -> {
        log.failAfterWriting = true;
        return h.append(request("c", "d", "e")).transform(failed -> {
          test.verify(() -> {
            assertInternalFailure(failed.cause());
            assertEquals(List.of(2L), log.discards); // cut before the failure was reported
          });
          return Future.succeededFuture(log.read(0, 100, Long.MAX_VALUE));
        });
      });
    }).onComplete(test.succeeding(onDisk -> test.verify(() -> {
      assertEquals(List.of(0L, 1L), onDisk.stream().map(LogRecord::offset).toList());
      test.completeNow();
    })));
  }

  // ---- helpers ----

  private static void assertInternalFailure(Throwable failure) {
    assertTrue(failure instanceof KinesisException, String.valueOf(failure));
    assertEquals(ErrorCode.INTERNAL_FAILURE, ((KinesisException) failure).code());
  }

  /** Reads the whole shard with several page limits; returns every page. */
  private static Future<List<List<LogRecord>>> readAllWays(ShardHandle h) {
    List<List<LogRecord>> pages = new CopyOnWriteArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    int[][] limits = {{1, 1 << 20}, {3, 1 << 20}, {100, 1}, {100, 150}, {7, 400}};
    for (int[] limit : limits) {
      for (long from : new long[] {0, 5, 17, 30, 38}) {
        chain = chain.compose(v -> h.read(from, limit[0], limit[1], false).map(r -> {
          pages.add(r.records());
          return null;
        }));
      }
    }
    return chain.map(v -> pages);
  }

  @Test
  void always_acknowledges_each_batch_after_its_fsync(Vertx vertx, VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    deploy(vertx, log, settings(1 << 20, false, FIXED)).compose(shard -> handle(shard).append(request("a")))
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertEquals(1, log.syncs.get(), "the acknowledgement came after one fsync");
          test.completeNow();
        })));
  }

  @Test
  void interval_acknowledges_before_fsync_and_fsyncs_on_its_timer(Vertx vertx, VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    java.util.concurrent.CompletableFuture<Void> synced = new java.util.concurrent.CompletableFuture<>();
    log.syncWaiters.add(synced);
    ShardSettings interval = new ShardSettings(Durability.INTERVAL, 50, 1 << 20, false, FIXED);
    deploy(vertx, log, interval).compose(shard -> handle(shard).append(request("a")))
        .compose(r -> {
          test.verify(() -> assertEquals(0, log.syncs.get(), "acknowledged from the page cache"));
          return Future.fromCompletionStage(synced);
        })
        .onComplete(test.succeeding(v -> test.completeNow()));
  }

  @Test
  void none_acknowledges_without_fsync(Vertx vertx, VertxTestContext test) {
    RecordingLog log = new RecordingLog();
    ShardSettings none = new ShardSettings(Durability.NONE, 50, 1 << 20, false, FIXED);
    deploy(vertx, log, none).compose(shard -> handle(shard).append(request("a")))
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertEquals(0, log.syncs.get());
          test.completeNow();
        })));
  }

  private static ShardSettings settings(long tailCacheBytes, boolean enforce, Clock clock) {
    return new ShardSettings(Durability.ALWAYS, 1000, tailCacheBytes, enforce, clock);
  }

  private static Future<ShardVerticle> deploy(Vertx vertx, ShardLog log, ShardSettings settings) {
    ShardVerticle verticle = new ShardVerticle("test/shardId-000000000000", () -> log, settings, 24 * 3_600_000L);
    return vertx.deployVerticle(verticle).map(id -> verticle);
  }

  private ShardHandle handle(ShardVerticle shard) {
    return new ShardHandle(shard, shard.ownerContext());
  }

  private static AppendRequest request(String... partitionKeys) {
    List<AppendRequest.Entry> entries = new ArrayList<>();
    for (String key : partitionKeys) {
      entries.add(new AppendRequest.Entry(key, null, ("data of " + key).getBytes(StandardCharsets.UTF_8)));
    }
    return new AppendRequest(entries, false);
  }

  /** A memory log that records each append's size, can fail appends, and can hold an append before it returns. */
  private static final class RecordingLog implements ShardLog {
    private final MemoryShardLog delegate = new MemoryShardLog();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicInteger syncs = new java.util.concurrent.atomic.AtomicInteger();
    final List<java.util.concurrent.CompletableFuture<Void>> syncWaiters = new CopyOnWriteArrayList<>();
    volatile boolean failAppends;
    /** Write the records, then fail (a torn write whose whole records reached the file). */
    volatile boolean failAfterWriting;
    final List<Long> discards = new CopyOnWriteArrayList<>();
    volatile CountDownLatch holdAppends;
    /** Completed on the storage worker when a held append has written its records. */
    final java.util.concurrent.CompletableFuture<Void> entered = new java.util.concurrent.CompletableFuture<>();

    @Override
    public long nextOffset() {
      return delegate.nextOffset();
    }

    @Override
    public long startOffset() {
      return delegate.startOffset();
    }

    @Override
    public void append(List<LogRecord> records) throws IOException {
      if (failAppends) {
        throw new IOException("disk on fire");
      }
      delegate.append(records);
      if (failAfterWriting) {
        throw new IOException("disk full after the records were written");
      }
      batchSizes.add(records.size());
      CountDownLatch hold = holdAppends;
      if (hold != null) {
        entered.complete(null);
        try {
          if (!hold.await(30, TimeUnit.SECONDS)) {
            throw new IOException("the test never released the append");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
    }

    @Override
    public void sync() {
      syncs.incrementAndGet();
      syncWaiters.forEach(w -> w.complete(null));
    }

    @Override
    public void discardFrom(long offset) {
      discards.add(offset);
      delegate.discardFrom(offset);
    }

    @Override
    public List<LogRecord> read(long fromOffset, int maxRecords, long maxBytes) {
      return delegate.read(fromOffset, maxRecords, maxBytes);
    }

    @Override
    public long offsetForTime(long epochMillis) {
      return delegate.offsetForTime(epochMillis);
    }

    @Override
    public long trimOlderThan(long cutoffMillis) throws IOException {
      return delegate.trimOlderThan(cutoffMillis);
    }

    @Override
    public RecoveryReport recoveryReport() {
      return delegate.recoveryReport();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** A clock the test moves by hand; read on the shard's context after each hop, so a volatile field suffices. */
  private static final class MutableClock extends Clock {
    volatile long millis;

    MutableClock(long millis) {
      this.millis = millis;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
