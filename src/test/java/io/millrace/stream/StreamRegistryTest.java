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
  void a_created_stream_becomes_active_with_its_shards_deployed(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.create(stream(key, 2)))
        .compose(created -> {
          test.verify(() -> assertEquals(StreamStatus.CREATING, created.status()));
          return until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE);
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          StreamMeta active = registry.require(key);
          assertEquals(2, active.openShards().size());
          assertNotNull(registry.shards().find(key, 0));
          assertNotNull(registry.shards().find(key, 1));
          assertEquals(List.of(active), registry.list(ACCOUNT, REGION));
          assertEquals(List.of(), registry.list(ACCOUNT, "us-east-1"));
          test.completeNow();
        })));
  }

  @Test
  void creating_an_existing_stream_is_resource_in_use_in_aws_words(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.create(stream(key, 1)))
        .compose(v -> until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE))
        .compose(v -> registry.create(stream(key, 1)))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.RESOURCE_IN_USE, "Stream orders under account 123456789012 already exists.", e);
          test.completeNow();
        })));
  }

  @Test
  void exceeding_the_shard_limit_is_limit_exceeded_in_aws_words(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(5, 0));
    registry.start().compose(v -> registry.create(stream(key("first"), 3)))
        .compose(v -> until(vertx, () -> status(registry, key("first")) == StreamStatus.ACTIVE))
        .compose(v -> registry.create(stream(key("second"), 3)))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.LIMIT_EXCEEDED, "This request would exceed the shard limit for the account "
              + "123456789012 in eu-west-1. Current shard count for the account: 3. Limit: 5. Number of additional "
              + "shards that would have resulted from this request: 3. Refer to the AWS Service Limits page "
              + "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how "
              + "to request higher limits.", e);
          assertTrue(registry.find(key("second")).isEmpty());
          test.completeNow();
        })));
  }

  @Test
  void the_shard_limit_counts_per_account_and_region(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(3, 0));
    StreamKey elsewhere = new StreamKey(ACCOUNT, "us-east-1", "orders");
    registry.start().compose(v -> registry.create(stream(key("orders"), 3)))
        .compose(v -> registry.create(stream(elsewhere, 3)))
        .compose(v -> until(vertx, () -> status(registry, key("orders")) == StreamStatus.ACTIVE
            && status(registry, elsewhere) == StreamStatus.ACTIVE))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertEquals(3, registry.openShardCount(ACCOUNT, REGION));
          assertEquals(3, registry.openShardCount(ACCOUNT, "us-east-1"));
          test.completeNow();
        })));
  }

  @Test
  void a_deleted_stream_is_gone_with_its_shards(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(10, 0));
    StreamKey key = key("orders");
    registry.start().compose(v -> registry.create(stream(key, 2)))
        .compose(v -> until(vertx, () -> status(registry, key) == StreamStatus.ACTIVE))
        .compose(v -> registry.delete(key))
        .compose(v -> until(vertx, () -> registry.find(key).isEmpty()))
        .compose(v -> {
          test.verify(() -> {
            assertNull(registry.shards().find(key, 0));
            assertEquals(0, registry.openShardCount(ACCOUNT, REGION));
          });
          return registry.delete(key);
        })
        .onComplete(test.failing(e -> test.verify(() -> {
          assertError(ErrorCode.RESOURCE_NOT_FOUND, "Stream orders under account 123456789012 not found.", e);
          test.completeNow();
        })));
  }

  @Test
  void a_create_delay_shows_creating_before_active(Vertx vertx, VertxTestContext test) {
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), limits(10, 500));
    StreamKey key = key("slow");
    registry.start().compose(v -> registry.create(stream(key, 1)))
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
    StreamRegistry first = registry(vertx, new MetadataStore(dir), limits(10, 0));
    first.start().compose(v -> first.create(proposed))
        .compose(v -> until(vertx, () -> status(first, key) == StreamStatus.ACTIVE))
        .compose(v -> {
          StreamRegistry second = registry(vertx, new MetadataStore(dir), limits(10, 0));
          return second.start().map(second);
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertTrue(Files.isRegularFile(dir.resolve("streams.json")));
          assertEquals(first.require(key), second.require(key));
          assertEquals(StreamStatus.ACTIVE, second.require(key).status());
          assertEquals(Map.of("team", "payments"), second.require(key).tags());
          assertNotNull(second.shards().find(key, 2));
          test.completeNow();
        })));
  }

  @Test
  void a_stream_still_creating_at_restart_comes_back_active(Vertx vertx, VertxTestContext test) {
    StreamKey key = key("interrupted");
    StreamRegistry first = registry(vertx, new MetadataStore(dir), limits(10, 60_000));
    first.start().compose(v -> first.create(stream(key, 1)))
        .compose(v -> until(vertx, () -> first.shards().find(key, 0) != null))
        .compose(v -> {
          StreamRegistry second = registry(vertx, new MetadataStore(dir), limits(10, 0));
          return second.start().map(second);
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertEquals(StreamStatus.CREATING, first.require(key).status());
          assertEquals(StreamStatus.ACTIVE, second.require(key).status());
          test.completeNow();
        })));
  }

  // ---- helpers ----

  private static void assertError(ErrorCode code, String message, Throwable e) {
    assertTrue(e instanceof KinesisException, String.valueOf(e));
    assertEquals(code, ((KinesisException) e).code());
    assertEquals(message, e.getMessage());
  }

  @Test
  void a_stream_deleted_while_creating_never_turns_active(Vertx vertx, VertxTestContext test) {
    // Deleting takes longer than creating, so the end of the create delay falls while the stream is DELETING.
    StreamRegistry registry = registry(vertx, MetadataStore.inMemory(), new StreamRegistry.Limits(10, 50, 50, 300, 0, 0, 0));
    StreamKey key = key("short-lived");
    List<StreamStatus> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    long watch = vertx.setPeriodic(5, id -> seen.add(status(registry, key)));
    registry.start().compose(v -> registry.create(stream(key, 1)))
        .compose(created -> registry.delete(key))
        .compose(v -> until(vertx, () -> status(registry, key) == null))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          vertx.cancelTimer(watch);
          assertTrue(!seen.contains(StreamStatus.ACTIVE), "the stream was seen ACTIVE after its deletion: " + seen);
          test.completeNow();
        })));
  }

  private static StreamStatus status(StreamRegistry registry, StreamKey key) {
    return registry.find(key).map(StreamMeta::status).orElse(null);
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

  private static StreamRegistry registry(Vertx vertx, MetadataStore store, StreamRegistry.Limits limits) {
    return new StreamRegistry(vertx, store, new ShardDirectory(vertx, null, 1 << 20, SHARDS), limits, CLOCK);
  }

  private static StreamRegistry.Limits limits(int shardLimit, long createStreamMillis) {
    return new StreamRegistry.Limits(shardLimit, 50, createStreamMillis, 0, 0, 0, 0);
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
