package io.millrace.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.millrace.config.Durability;
import io.millrace.shard.HashKey;
import io.millrace.shard.ShardSettings;
import io.millrace.shard.TokenSigner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The data plane during a reshard: records that reach a parent after it closed are routed again to a child. */
@ExtendWith(VertxExtension.class)
class DataPlaneReshardTest {

  private static final Clock CLOCK = Clock.systemUTC();

  @Test
  void a_put_that_reaches_a_closed_parent_is_routed_again_to_the_child_once_it_is_published(Vertx vertx,
      VertxTestContext test) {
    ShardSettings settings = new ShardSettings(Durability.ALWAYS, 1000, 1 << 20, false, CLOCK);
    ControlPlane plane = ControlPlane.create(vertx, MetadataStore.inMemory(),
        new ShardDirectory(vertx, null, 1 << 20, settings), new ControlPlane.Limits(10, 5, 0, 0, 0, 0, 0), CLOCK);
    StreamRegistry registry = plane.streams();
    DataPlane data = new DataPlane(registry, plane.resharder(), new TokenSigner("a-test-secret-of-32-bytes-length".getBytes(StandardCharsets.UTF_8)));
    StreamKey key = new StreamKey("123456789012", "eu-west-1", "orders");
    HashKey[] range = HashKey.evenRange(0, 1);
    StreamMeta stream = new StreamMeta(key, StreamStatus.CREATING, StreamMode.PROVISIONED, CLOCK.millis(), 24,
        List.of(new ShardMeta(0, null, null, range[0].value(), range[1].value(), CLOCK.millis(), null, null)), 1,
        Map.of(), "NONE", null, List.of(), 1024, null);
    BigInteger half = BigInteger.ONE.shiftLeft(127);
    List<DataPlane.PutEntry> entries = List.of(new DataPlane.PutEntry("k", "5", "low".getBytes()),
        new DataPlane.PutEntry("k", half.toString(), "high".getBytes()));
    AtomicReference<Future<List<DataPlane.PutOutcome>>> put = new AtomicReference<>();
    plane.start().compose(v -> registry.create(stream))
        .compose(v -> until(vertx, () -> registry.require(key).status() == StreamStatus.ACTIVE))
        // The parent closes first, as a reshard's first step does; metadata still routes to it.
        .compose(v -> registry.shards().find(key, 0).close())
        .compose(closed -> plane.resharder().reshard(key, m -> {
          // On the registry context, before the reshard publishes its children: this put meets the closed parent.
          put.set(data.put(key, entries));
          return ReshardPlan.split(m, 0, half);
        }))
        .compose(v -> put.get())
        .onComplete(test.succeeding(outcomes -> test.verify(() -> {
          assertNull(outcomes.get(0).error());
          assertNull(outcomes.get(1).error());
          assertEquals("shardId-000000000001", outcomes.get(0).shardId());
          assertEquals("shardId-000000000002", outcomes.get(1).shardId());
          assertNotNull(outcomes.get(0).sequenceNumber());
          assertEquals(0L, registry.require(key).shard(0).orElseThrow().endOffset());
          test.completeNow();
        })));
  }

  private static Future<Void> until(Vertx vertx, java.util.function.BooleanSupplier condition) {
    return Future.future(p -> {
      int[] checks = {0};
      vertx.setPeriodic(2, id -> {
        if (condition.getAsBoolean()) {
          vertx.cancelTimer(id);
          p.tryComplete();
        } else if (++checks[0] >= 1000) {
          vertx.cancelTimer(id);
          p.tryFail("condition not reached");
        }
      });
    });
  }
}
