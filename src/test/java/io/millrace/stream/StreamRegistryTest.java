package io.millrace.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.config.Durability;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.shard.HashKey;
import io.millrace.shard.ShardSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import io.millrace.testing.FaultySegmentIo;
import io.millrace.testing.FaultySegmentIo.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class StreamRegistryTest {

  private static final String ACCOUNT = "123456789012";
  private static final String REGION = "eu-west-1";
  private static final long NOW = 1_795_651_200_000L;
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
  private static final ShardSettings SHARDS = new ShardSettings(Durability.ALWAYS, 1000, 1 << 20, false, CLOCK);

  @TempDir
  Path dir;

  @Test
  void a_stream_created_with_no_delay_is_active_with_its_shards_deployed_when_create_completes(Vertx vertx,
                                                                                             VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.streams().create(stream(key, 2)))
        .onComplete(test.succeeding(created -> test.verify(() -> {
          assertEquals(StreamStatus.ACTIVE, created.status());
          assertEquals(StreamStatus.ACTIVE, status(registry, key));
          StreamMeta active = registry.streams().require(key);
          assertEquals(2, active.openShards().size());
          assertNotNull(registry.streams().shards().find(key, 0));
          assertNotNull(registry.streams().shards().find(key, 1));
          assertEquals(List.of(active), registry.streams().list(ACCOUNT, REGION));
          assertEquals(List.of(), registry.streams().list(ACCOUNT, "us-east-1"));
          test.completeNow();
        })));
  }

  @Test
  void creating_an_existing_stream_is_resource_in_use_in_aws_words(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE))
        .compose(v -> registry.streams().create(stream(key, 1)))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.RESOURCE_IN_USE, "Stream orders under account 123456789012 already exists.", e);
          test.completeNow();
        })));
  }

  @Test
  void exceeding_the_shard_limit_is_limit_exceeded_in_aws_words(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(5, 0));
    registry.start().compose(v -> registry.streams().create(stream(key("first"), 3)))
        .compose(v -> until(vertx, () -> status(registry, key("first")) == StreamStatus.ACTIVE))
        .compose(v -> registry.streams().create(stream(key("second"), 3)))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.LIMIT_EXCEEDED, "This request would exceed the shard limit for the account "
              + "123456789012 in eu-west-1. Current shard count for the account: 3. Limit: 5. Number of additional "
              + "shards that would have resulted from this request: 3. Refer to the AWS Service Limits page "
              + "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how "
              + "to request higher limits.", e);
          assertTrue(registry.streams().find(key("second")).isEmpty());
          test.completeNow();
        })));
  }

  @Test
  void the_shard_limit_counts_per_account_and_region(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(3, 0));
    StreamKey elsewhere = new StreamKey(ACCOUNT, "us-east-1", "orders");
    registry.start().compose(v -> registry.streams().create(stream(key("orders"), 3)))
        .compose(v -> registry.streams().create(stream(elsewhere, 3)))
        .compose(v -> until(vertx, () -> status(registry, key("orders")) == StreamStatus.ACTIVE
            && status(registry, elsewhere) == StreamStatus.ACTIVE))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertEquals(3, registry.streams().openShardCount(ACCOUNT, REGION));
          assertEquals(3, registry.streams().openShardCount(ACCOUNT, "us-east-1"));
          test.completeNow();
        })));
  }

  @Test
  void a_deleted_stream_is_gone_with_its_shards(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.streams().create(stream(key, 2)))
        .compose(v -> until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE))
        .compose(v -> registry.streams().delete(key))
        .compose(v -> until(vertx, () -> registry.streams().find(key).isEmpty()))
        .compose(v -> {
          test.verify(() -> {
            assertNull(registry.streams().shards().find(key, 0));
            assertEquals(0, registry.streams().openShardCount(ACCOUNT, REGION));
          });
          return registry.streams().delete(key);
        })
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.RESOURCE_NOT_FOUND, "Stream orders under account 123456789012 not found.", e);
          test.completeNow();
        })));
  }

  @Test
  void a_create_delay_shows_creating_before_active(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 500));
    StreamKey key = key("slow");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(created -> {
          test.verify(() -> assertEquals(StreamStatus.CREATING, status(registry, key)));
          return until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE);
        })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void streams_survive_a_restart_with_a_file_store(Vertx vertx, VertxTestContext test) {
    StreamKey key = key("durable");
    StreamMeta proposed = stream(key, 3).toBuilder().tags(Map.of("team", "payments")).build();
    ControlPlane first = registry(vertx, new MetadataStore(dir), limits(10, 0));
    first.start().compose(v -> first.streams().create(proposed))
        .compose(v -> until(vertx, () -> status(first, key) == StreamStatus.ACTIVE))
        .compose(v -> {
          ControlPlane second = registry(vertx, new MetadataStore(dir), limits(10, 0));
          return second.start().map(second);
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertTrue(Files.isRegularFile(dir.resolve("streams.json")));
          assertEquals(first.streams().require(key), second.streams().require(key));
          assertEquals(StreamStatus.ACTIVE, second.streams().require(key).status());
          assertEquals(Map.of("team", "payments"), second.streams().require(key).tags());
          assertNotNull(second.streams().shards().find(key, 2));
          test.completeNow();
        })));
  }

  @Test
  void a_stream_still_creating_at_restart_comes_back_active(Vertx vertx, VertxTestContext test) {
    StreamKey key = key("interrupted");
    ControlPlane first = registry(vertx, new MetadataStore(dir), limits(10, 60_000));
    first.start().compose(v -> first.streams().create(stream(key, 1)))
        .compose(v -> until(vertx, () -> first.streams().shards().find(key, 0) != null))
        .compose(v -> {
          ControlPlane second = registry(vertx, new MetadataStore(dir), limits(10, 0));
          return second.start().map(second);
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertEquals(StreamStatus.CREATING, first.streams().require(key).status());
          assertEquals(StreamStatus.ACTIVE, second.streams().require(key).status());
          test.completeNow();
        })));
  }

  @Test
  void a_stream_deleted_with_no_delay_is_gone_when_delete_completes(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("brief");
    registry.start().compose(v -> registry.streams().create(stream(key, 2)))
        .compose(v -> registry.streams().delete(key))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertNull(status(registry, key));
          assertNull(registry.streams().shards().find(key, 0));
          test.completeNow();
        })));
  }

  @Test
  void a_consumer_registered_with_no_delay_is_active_and_a_deregistered_one_gone_when_the_call_completes(
      Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("read-by-many");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> registry.consumers().register(key, "reader", Map.of()))
        .compose(consumer -> {
          test.verify(() -> {
            assertEquals(ConsumerStatus.ACTIVE, consumer.status());
            assertEquals(ConsumerStatus.ACTIVE, registry.consumers().consumer(consumer.arn()).orElseThrow().status());
          });
          return registry.consumers().deregister(consumer.arn()).map(consumer);
        })
        .onComplete(test.succeeding(consumer -> test.verify(() -> {
          assertTrue(registry.consumers().consumer(consumer.arn()).isEmpty());
          test.completeNow();
        })));
  }

  @Test
  void a_split_with_no_update_delay_leaves_the_stream_active_when_it_completes(Vertx vertx, VertxTestContext test) {
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("split");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> splitInHalf(registry, key))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertEquals(StreamStatus.ACTIVE, status(registry, key));
          assertEquals(2, registry.streams().require(key).openShards().size());
          test.completeNow();
        })));
  }

  // ---- a metadata write that fails changes nothing ----

  @Test
  void a_create_whose_metadata_cannot_be_saved_fails_retryably_and_leaves_no_stream_behind(Vertx vertx,
                                                                                           VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo().fail(Fault.WRITE, dir);
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey lost = key("lost");
    StreamKey kept = key("kept");
    registry.start().compose(v -> registry.streams().create(stream(lost, 1)))
        .recover(e -> {
          test.verify(() -> {
            assertNotPersisted(e);
            assertNull(status(registry, lost));
            assertNull(registry.streams().shards().find(lost, 0));
            assertEquals(0, registry.streams().openShardCount(ACCOUNT, REGION));
          });
          faulty.clear();
          // A later change that is saved must not carry the failed one with it.
          return registry.streams().create(stream(kept, 1));
        })
        .compose(v -> restarted(vertx, limits(10, 0)))
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertNull(status(second, lost));
          assertEquals(StreamStatus.ACTIVE, status(second, kept));
          test.completeNow();
        })));
  }

  @Test
  void a_stream_whose_shards_cannot_open_is_not_created_and_the_answer_names_the_reason_without_server_paths(
      Vertx vertx, VertxTestContext test) {
    Path data = dir.resolve("data");
    FaultySegmentIo faulty = new FaultySegmentIo().fail(Fault.OPEN, data);
    ControlPlane registry = ControlPlane.create(vertx, new MetadataStore(dir.resolve("meta")),
        new ShardDirectory(vertx, data, 1 << 20, SHARDS, faulty), limits(10, 0), CLOCK);
    StreamKey key = key("unopenable");
    registry.start().compose(v -> registry.streams().create(stream(key, 2)))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertTrue(e instanceof KinesisException.InternalFailure, String.valueOf(e));
          assertEquals("The shards of Stream unopenable under account " + ACCOUNT + " could not be started (Too many "
              + "open files); the stream was not created. Retry CreateStream.", e.getMessage());
          assertTrue(registry.streams().find(key).isEmpty());
          test.completeNow();
        })));
  }

  @Test
  void a_failed_create_can_be_retried_once_the_disk_has_room(Vertx vertx, VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo().fail(Fault.OPEN, dir);
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey key = key("again");
    registry.start().compose(v -> registry.streams().create(stream(key, 2)))
        .recover(e -> {
          test.verify(() -> assertNotPersisted(e));
          faulty.clear();
          return registry.streams().create(stream(key, 2));
        })
        .onComplete(test.succeeding(created -> test.verify(() -> {
          assertEquals(StreamStatus.ACTIVE, created.status());
          assertNotNull(registry.streams().shards().find(key, 1));
          test.completeNow();
        })));
  }

  @Test
  void a_delete_whose_metadata_cannot_be_saved_leaves_the_stream_active(Vertx vertx, VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo();
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey key = key("stays");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> {
          faulty.fail(Fault.WRITE, dir);
          return registry.streams().delete(key);
        })
        .recover(e -> {
          test.verify(() -> {
            assertNotPersisted(e);
            assertEquals(StreamStatus.ACTIVE, status(registry, key));
            assertNotNull(registry.streams().shards().find(key, 0));
          });
          faulty.clear();
          return restarted(vertx, limits(10, 0)).map(second -> {
            test.verify(() -> assertEquals(StreamStatus.ACTIVE, status(second, key)));
            return null;
          });
        })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void a_split_whose_metadata_cannot_be_saved_leaves_the_stream_active_with_its_shards(Vertx vertx,
                                                                                       VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo();
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey key = key("unsplit");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> {
          faulty.fail(Fault.WRITE, dir);
          return splitInHalf(registry, key);
        })
        .recover(e -> {
          test.verify(() -> {
            assertNotPersisted(e);
            StreamMeta s = registry.streams().require(key);
            assertEquals(StreamStatus.ACTIVE, s.status());
            assertEquals(1, s.shards().size());
            assertEquals(1, s.nextShardIndex());
          });
          faulty.clear();
          return splitInHalf(registry, key);
        })
        .onComplete(test.succeeding(s -> test.verify(() -> {
          assertEquals(StreamStatus.ACTIVE, s.status());
          assertEquals(2, s.openShards().size());
          test.completeNow();
        })));
  }

  @Test
  void a_split_whose_children_cannot_be_saved_is_undone_and_the_parent_takes_writes_again(Vertx vertx,
                                                                                          VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo();
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey key = key("undone");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> {
          faulty.failAfter(Fault.WRITE, dir, 1); // UPDATING is saved; the children are not
          return splitInHalf(registry, key);
        })
        .recover(e -> {
          test.verify(() -> assertNotPersisted(e));
          faulty.clear();
          return until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE).map(registry.streams().require(key));
        })
        .compose(s -> {
          test.verify(() -> {
            assertEquals(List.of(0), s.openShards().stream().map(ShardMeta::index).toList());
            assertNull(registry.streams().shards().find(key, 1));
          });
          return registry.streams().shards().find(key, 0).append(new io.millrace.shard.AppendRequest(List.of(
              new io.millrace.shard.AppendRequest.Entry("k", null, new byte[] {1})), false));
        })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void a_consumer_whose_registration_cannot_be_saved_does_not_exist_even_after_a_restart(Vertx vertx,
                                                                                         VertxTestContext test) {
    FaultySegmentIo faulty = new FaultySegmentIo();
    ControlPlane registry = registry(vertx, new MetadataStore(dir, faulty), limits(10, 0));
    StreamKey key = key("watched");
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(v -> {
          faulty.fail(Fault.OPEN, dir);
          return registry.consumers().register(key, "ghost", Map.of());
        })
        .transform(ar -> {
          test.verify(() -> {
            assertTrue(ar.failed(), "the registration should have failed");
            assertNotPersisted(ar.cause());
            assertEquals(List.of(), registry.consumers().consumers(key));
          });
          faulty.clear();
          return registry.streams().change(key, s -> s.toBuilder().tags(Map.of("saved", "yes")).build())
              .compose(v -> restarted(vertx, limits(10, 0)));
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertEquals(List.of(), second.consumers().consumers(key));
          assertEquals(Map.of("saved", "yes"), second.streams().require(key).tags());
          test.completeNow();
        })));
  }

  // ---- helpers ----

  /** Splits the stream's first shard at the middle of the hash space. */
  private static Future<StreamMeta> splitInHalf(ControlPlane registry, StreamKey key) {
    return registry.resharder().reshard(key, s -> ReshardPlan.split(s, 0, java.math.BigInteger.TWO.pow(127)));
  }

  /** A registry over the same metadata directory (as after a restart), started. */
  private Future<ControlPlane> restarted(Vertx vertx, ControlPlane.Limits limits) {
    ControlPlane second = registry(vertx, new MetadataStore(dir), limits);
    return second.start().map(second);
  }

  private static void assertNotPersisted(Throwable e) {
    assertTrue(e instanceof KinesisException.InternalFailure, String.valueOf(e));
    assertTrue(e.getMessage().startsWith("The change could not be saved ("), e.getMessage());
    assertTrue(e.getMessage().endsWith("nothing was changed. Retry once the server's storage has room."),
        e.getMessage());
  }

  private static void assertError(ErrorCode code, String message, Throwable e) {
    assertTrue(e instanceof KinesisException, String.valueOf(e));
    assertEquals(code, ((KinesisException) e).code());
    assertEquals(message, e.getMessage());
  }

  @Test
  void a_stream_deleted_while_creating_never_turns_active(Vertx vertx, VertxTestContext test) {
    // Deleting takes longer than creating, so the end of the create delay falls while the stream is DELETING.
    ControlPlane registry = registry(vertx, MetadataStore.inMemory(), new ControlPlane.Limits(10, 50, 50, 300, 0, 0, 0));
    StreamKey key = key("short-lived");
    List<StreamStatus> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    long watch = vertx.setPeriodic(5, id -> seen.add(status(registry, key)));
    registry.start().compose(v -> registry.streams().create(stream(key, 1)))
        .compose(created -> registry.streams().delete(key))
        .compose(v -> until(vertx, () -> status(registry, key) == null))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          vertx.cancelTimer(watch);
          assertTrue(!seen.contains(StreamStatus.ACTIVE), "the stream was seen ACTIVE after its deletion: " + seen);
          test.completeNow();
        })));
  }

  private static StreamStatus status(ControlPlane registry, StreamKey key) {
    return registry.streams().find(key).map(StreamMeta::status).orElse(null);
  }

  /** Completes once {@code condition} holds, checking every 10 ms on a Vert.x timer; fails after 1,000 checks. */
  private static Future<Void> until(Vertx vertx, BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    int[] checks = {0};
    vertx.setPeriodic(0, 10, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else if (++checks[0] >= 1000) {
        vertx.cancelTimer(id);
        done.tryFail("condition not reached after " + checks[0] + " checks");
      }
    });
    return done.future();
  }

  private static ControlPlane registry(Vertx vertx, MetadataStore store, ControlPlane.Limits limits) {
    return ControlPlane.create(vertx, store, new ShardDirectory(vertx, null, 1 << 20, SHARDS), limits, CLOCK);
  }

  private static ControlPlane.Limits limits(int shardLimit, long createStreamMillis) {
    return new ControlPlane.Limits(shardLimit, 50, createStreamMillis, 0, 0, 0, 0);
  }

  private static StreamKey key(String name) {
    return new StreamKey(ACCOUNT, REGION, name);
  }

  private static StreamMeta stream(StreamKey key, int shardCount) {
    List<ShardMeta> shards = new ArrayList<>();
    for (int i = 0; i < shardCount; i++) {
      HashKey[] range = HashKey.evenRange(i, shardCount);
      shards.add(new ShardMeta(i, null, null, range[0].value(), range[1].value(), NOW, null, null));
    }
    return new StreamMeta(key, StreamStatus.CREATING, StreamMode.PROVISIONED, NOW,
        StreamMeta.DEFAULT_RETENTION_HOURS, shards, shardCount, Map.of(), "NONE", null, List.of(),
        StreamMeta.DEFAULT_MAX_RECORD_SIZE_KIB, null);
  }
}
