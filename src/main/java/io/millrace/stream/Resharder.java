package io.millrace.stream;

import io.millrace.concurrent.Delay;
import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.millrace.shard.ShardEnd;
import io.millrace.shard.ShardHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SplitShard, MergeShards and UpdateShardCount (AWS's rules and wording), and the reshards on-demand scaling asks
 * for: each is a {@link ReshardPlan} worked out against the committed stream and carried out by {@link #reshard}.
 *
 * <p><b>A reshard.</b> The stream turns UPDATING with the new shard indices reserved durably (never reused, even after
 * a crash); the parents close ({@link ShardHandle#close}: no new appends, the ones in flight finish, the end is
 * reported); the children are deployed; then the parents' ends and the children are committed together, which
 * publishes them. Children get a creation time strictly above (in seconds) their parents' creation and last arrival,
 * so their sequence numbers are greater than all their parents'. Appends that reach a closed parent meanwhile wait for
 * the publish ({@link #reshardSettled}) and are routed again.
 *
 * <p>If the children cannot be deployed or committed, the reshard is undone: the parents open again, the children's
 * files go, the stream turns ACTIVE, and the caller gets InternalFailure. A crash before the commit leaves the
 * parents open (closing is not persisted) and the stream UPDATING, which a restart turns ACTIVE: the reshard did not
 * happen and no acknowledged record is lost.
 *
 * <p><b>Threading.</b> Plans are worked out inside a committer change (the committer's context); the rest runs on the
 * caller's context and the shards' own.
 */
public final class Resharder {

  private static final Logger LOG = LoggerFactory.getLogger(Resharder.class);

  private final MetadataCommitter committer;
  private final StreamRegistry streams;
  private final ShardDirectory shards;
  private final Clock clock;
  /** Streams with a reshard between closing its parents and publishing its children; completed on publish. */
  private final Map<StreamKey, Promise<Void>> inFlight = new ConcurrentHashMap<>();
  /** When each stream's recent UpdateShardCount scalings ran (committer context only; not persisted). */
  private final Map<StreamKey, Deque<Long>> scalings = new HashMap<>();

  Resharder(MetadataCommitter committer, StreamRegistry streams, ShardDirectory shards, Clock clock) {
    this.committer = committer;
    this.streams = streams;
    this.shards = shards;
    this.clock = clock;
  }

  /**
   * SplitShard in Kinesis's order of checks: the shard id names a shard at all ({@link ShardIds}), the stream exists
   * and is ACTIVE, the shard exists, the account has room for one more shard, then NewStartingHashKey.
   */
  public Future<StreamMeta> split(StreamKey key, String shardId, BigInteger newStartingHashKey) {
    int index = ShardIds.index(shardId, key);
    return reshard(key, (s, draft) -> {
      ReshardPlan.requireShard(s, index);
      streams.checkShardLimit(draft.streams(), key.account(), key.region(), 1);
      return ReshardPlan.split(s, index, newStartingHashKey);
    });
  }

  /** MergeShards: both ids name shards, the stream is ACTIVE, both shards exist, are open and adjacent in order. */
  public Future<StreamMeta> merge(StreamKey key, String shardId, String adjacentShardId) {
    int index = ShardIds.index(shardId, key);
    int adjacentIndex = ShardIds.index(adjacentShardId, key);
    return reshard(key, s -> ReshardPlan.merge(s, index, adjacentIndex));
  }

  /** What UpdateShardCount reports: the open shards before and the target. */
  public record Scaled(StreamMeta stream, int currentShardCount, int targetShardCount) {}

  /**
   * UpdateShardCount with UNIFORM_SCALING to {@code target}, as splits then merges in one reshard
   * ({@link ReshardPlan#uniform}). AWS's rules: PROVISIONED streams only, at most double and at least half the open
   * shards, within the shard limit, and {@code scalingsPerDay} scalings per stream in a rolling 24 hours.
   */
  public Future<Scaled> updateShardCount(StreamKey key, int target) {
    int[] current = new int[1];
    ControlPlane.Limits limits = streams.limits();
    return reshard(key, s -> {
      int open = s.openShards().size();
      current[0] = open;
      if (s.mode() == StreamMode.ON_DEMAND) {
        throw new KinesisException.InvalidArgument("UpdateShardCount is only supported for streams in PROVISIONED "
            + "mode; " + key.describe() + " is ON_DEMAND and scales by itself. Switch it with UpdateStreamMode "
            + "first.");
      }
      if (target > limits.shardLimit()) {
        throw new KinesisException.LimitExceeded("Target shard count or number of open shards cannot be greater "
            + "than " + limits.shardLimit() + ". Current open shard count: " + open + ", Target shard count: "
            + target);
      }
      if (target > open * 2) {
        throw new KinesisException.LimitExceeded("UpdateShardCount cannot scale up over double your current open "
            + "shard count. Current open shard count: " + open + ", Target shard count: " + target);
      }
      if (target * 2 < open) {
        throw new KinesisException.LimitExceeded("UpdateShardCount cannot scale down below half your current "
            + "open shard count. Current open shard count: " + open + ", Target shard count: " + target);
      }
      ReshardPlan plan = ReshardPlan.uniform(s, target);
      if (!plan.closing().isEmpty()) {
        countScaling(key);
      }
      return plan;
    }).map(s -> new Scaled(s, current[0], target));
  }

  /**
   * Reshards an ACTIVE stream: {@code planner} works out the plan against the committed metadata (it may throw to
   * refuse); see the class note. The future completes once the children are published, with the stream UPDATING for
   * {@code updateStreamMillis} (with no delay, once it is ACTIVE again).
   */
  public Future<StreamMeta> reshard(StreamKey key, Function<StreamMeta, ReshardPlan> planner) {
    return reshard(key, (s, draft) -> planner.apply(s));
  }

  private Future<StreamMeta> reshard(StreamKey key, BiFunction<StreamMeta, Metadata.Draft, ReshardPlan> planner) {
    return committer.commit(d -> {
      StreamMeta before = StreamRegistry.require(d.stream(key), key);
      StreamRegistry.requireActive(before);
      ReshardPlan plan = planner.apply(before, d);
      if (plan.closing().isEmpty()) {
        return new Start(before, null);
      }
      if (plan.additionalOpenShards() > 0) {
        streams.checkShardLimit(d.streams(), key.account(), key.region(), plan.additionalOpenShards());
      }
      d.put(before.toBuilder().status(StreamStatus.UPDATING).shards(before.shards(), plan.nextShardIndex()).build());
      return new Start(before, plan);
    }).compose(start -> {
      if (start.plan() == null) {
        return Future.succeededFuture(start.before());
      }
      ReshardPlan plan = start.plan();
      Promise<Void> settled = Promise.promise();
      inFlight.put(key, settled);
      Future<StreamMeta> published = closeAll(key, plan.closing())
          .compose(ends -> publish(key, plan, ends))
          .recover(e -> undo(key, plan, e))
          .andThen(ar -> {
            inFlight.remove(key, settled);
            settled.tryComplete();
            if (ar.succeeded()) {
              // Closing again tells the parents' push readers the end once more, now that the metadata shows it.
              plan.closing().forEach(index -> {
                ShardHandle h = shards.find(key, index);
                if (h != null) {
                  h.close();
                }
              });
            }
          });
      long updateMillis = streams.limits().updateStreamMillis();
      Future<StreamMeta> active = published.compose(m -> Delay.of(streams.vertx(), updateMillis))
          .compose(v -> streams.activate(key)).map(v -> streams.require(key));
      return updateMillis == 0 ? active : published;
    });
  }

  private record Start(StreamMeta before, ReshardPlan plan) {}

  /**
   * Completes once no reshard of the stream is between closing parents and publishing children (at once when none
   * is), or after a short pause if the caller raced a reshard that has not registered yet. Any thread; completes on
   * the caller's context.
   */
  public Future<Void> reshardSettled(StreamKey key) {
    Promise<Void> p = inFlight.get(key);
    if (p == null) {
      return Delay.of(streams.vertx(), 5);
    }
    return OnContext.onCaller(p.future());
  }

  private Future<Map<Integer, ShardEnd>> closeAll(StreamKey key, List<Integer> indices) {
    List<Future<ShardEnd>> closes = new ArrayList<>();
    for (int index : indices) {
      ShardHandle handle = shards.find(key, index);
      if (handle == null) {
        return Future.failedFuture(new KinesisException.InternalFailure("Shard " + ShardMeta.shardId(index)
            + " of stream " + key.name() + " is not running."));
      }
      closes.add(handle.close());
    }
    // The ends are read from the futures' results once all are done, not gathered by callbacks.
    return Future.all(closes).map(done -> {
      Map<Integer, ShardEnd> ends = new HashMap<>();
      for (int i = 0; i < indices.size(); i++) {
        ends.put(indices.get(i), closes.get(i).result());
      }
      return ends;
    });
  }

  /** Deploys the children (the short-lived ones closed at once) and commits the new shards, which publishes them. */
  private Future<StreamMeta> publish(StreamKey key, ReshardPlan plan, Map<Integer, ShardEnd> ends) {
    StreamMeta current = streams.require(key);
    long latestSecond = 0;
    for (int index : plan.closing()) {
      ShardMeta parent = current.shard(index).orElseThrow();
      latestSecond = Math.max(latestSecond, Math.max(parent.createdSeconds(),
          ends.get(index).lastArrivalMillis() / 1000));
    }
    long at = Math.max(clock.millis(), (latestSecond + 1) * 1000);
    List<ShardMeta> all = new ArrayList<>();
    for (ShardMeta s : current.shards()) {
      ShardEnd end = ends.get(s.index());
      all.add(end == null || !s.open() ? s : new ShardMeta(s.index(), s.parentIndex(), s.adjacentParentIndex(),
          s.startingHashKey(), s.endingHashKey(), s.createdMillis(), end.endOffset(), at));
    }
    List<ShardMeta> children = new ArrayList<>();
    for (ShardMeta c : plan.created()) {
      children.add(new ShardMeta(c.index(), c.parentIndex(), c.adjacentParentIndex(), c.startingHashKey(),
          c.endingHashKey(), at, c.endOffset(), c.open() ? null : at));
    }
    all.addAll(children);
    List<Future<?>> deployed = new ArrayList<>();
    for (ShardMeta c : children) {
      deployed.add(shards.deploy(current, c).compose(h -> c.open() ? Future.succeededFuture() : h.close()));
    }
    // Committed before published: once children are visible they acknowledge writes, and a crash must not forget a
    // shard that holds acknowledged records.
    return Future.all(deployed).compose(v -> committer.commit(d -> {
      StreamMeta now = StreamRegistry.require(d.stream(key), key);
      StreamMeta withChildren = now.toBuilder().shards(mergeShards(now.shards(), all),
          Math.max(now.nextShardIndex(), plan.nextShardIndex())).build();
      d.put(withChildren);
      return withChildren;
    }));
  }

  /**
   * A reshard failed after its parents closed: opens the parents again, removes the children and their files, and
   * turns the stream ACTIVE. Fails with the reason, as InternalFailure.
   */
  private Future<StreamMeta> undo(StreamKey key, ReshardPlan plan, Throwable cause) {
    LOG.error("Reshard of {} failed and is undone", key.arn(), cause);
    List<Future<?>> undone = new ArrayList<>();
    for (int index : plan.closing()) {
      ShardHandle parent = shards.find(key, index);
      if (parent != null) {
        undone.add(parent.reopen());
      }
    }
    for (ShardMeta child : plan.created()) {
      undone.add(shards.undeploy(key, child.index()).compose(v -> streams.vertx().executeBlocking(() -> {
        shards.deleteFiles(key, child.shardId());
        return null;
      })));
    }
    return Future.join(undone).transform(ar -> streams.activate(key)).transform(ar -> Future.failedFuture(
        cause instanceof KinesisException.InternalFailure ? cause : new KinesisException.InternalFailure(
            "The reshard of " + key.describe() + " failed and was undone; retry it.")));
  }

  /** {@code all} in index order; shards of {@code current} it lacks are kept (none expected). */
  private static List<ShardMeta> mergeShards(List<ShardMeta> current, List<ShardMeta> all) {
    Map<Integer, ShardMeta> byIndex = new TreeMap<>();
    current.forEach(s -> byIndex.put(s.index(), s));
    all.forEach(s -> byIndex.put(s.index(), s));
    return new ArrayList<>(byIndex.values());
  }

  /**
   * Counts an UpdateShardCount scaling of the stream, refusing with LimitExceeded past {@code scalingsPerDay} in a
   * rolling 24 hours. Called inside a reshard planner (committer context).
   */
  private void countScaling(StreamKey key) {
    long now = clock.millis();
    Deque<Long> recent = scalings.computeIfAbsent(key, k -> new ArrayDeque<>());
    while (!recent.isEmpty() && recent.peekFirst() <= now - 86_400_000L) {
      recent.pollFirst();
    }
    int perDay = streams.limits().scalingsPerDay();
    if (recent.size() >= perDay) {
      throw new KinesisException.LimitExceeded("Exceeded the limit of " + perDay
          + " UpdateShardCount scalings in a rolling 24 hours for stream " + key.name() + " under account "
          + key.account() + ".");
    }
    recent.addLast(now);
  }
}
