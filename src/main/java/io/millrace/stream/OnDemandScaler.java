package io.millrace.stream;

import io.millrace.error.KinesisException;
import io.millrace.shard.AcceptedTotals;
import io.millrace.shard.ShardHandle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes ON_DEMAND streams scale by themselves.
 *
 * <p><b>Policy.</b> Every {@code checkMillis}, each open shard of each ACTIVE on-demand stream is sampled: the records
 * and billed bytes it accepted since the last sample give its write rate, compared with AWS's per-shard write limit
 * (1,000 records/s, 1 MiB/s). The hottest shard above {@value #SPLIT_FRACTION} of either limit is split at the middle
 * of its hash range, so a producer that doubles its rate finds a second shard before it is throttled (with
 * {@code enforceThroughputLimits} on). When no shard is hot, two adjacent shards that both stayed below
 * {@value #MERGE_FRACTION} of the limits for {@code quietMillis} are merged. The open shards stay within
 * {@code [minShards, maxShards]} (4, like a new on-demand stream, up to the configured maximum) and the account shard
 * limit. One reshard per stream at a time (a reshard needs the stream ACTIVE); the lineage is the same as for
 * SplitShard and MergeShards, so readers follow it the same way.
 *
 * <p><b>Threading.</b> Runs on its own context; its samples are touched only there.
 */
public final class OnDemandScaler {

  private static final Logger LOG = LoggerFactory.getLogger(OnDemandScaler.class);

  static final double SPLIT_FRACTION = 0.5;
  static final double MERGE_FRACTION = 0.05;
  static final double RECORDS_PER_SECOND = 1000;
  static final double BYTES_PER_SECOND = 1024 * 1024;

  /**
   * @param checkMillis how often shards are sampled (0 = never)
   * @param quietMillis how long two adjacent shards must stay cold before they are merged
   * @param minShards   fewest open shards an on-demand stream is merged down to
   * @param maxShards   most open shards an on-demand stream is split up to
   */
  public record Policy(long checkMillis, long quietMillis, int minShards, int maxShards) {}

  private record ShardKey(StreamKey stream, int index) {}

  private record Sample(long records, long bytes, long millis) {}

  private final Vertx vertx;
  private final Context context;
  private final StreamRegistry registry;
  private final Resharder resharder;
  private final Policy policy;
  private final Clock clock;
  private final Map<ShardKey, Sample> samples = new HashMap<>();
  private final Map<ShardKey, Long> coldSince = new HashMap<>();
  private long timer = -1;
  private boolean checking;

  public OnDemandScaler(Vertx vertx, StreamRegistry registry, Resharder resharder, Policy policy, Clock clock) {
    this.resharder = resharder;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.registry = registry;
    this.policy = policy;
    this.clock = clock;
  }

  public void start() {
    if (policy.checkMillis() > 0) {
      context.runOnContext(v -> timer = vertx.setPeriodic(policy.checkMillis(), id -> check()));
    }
  }

  public void stop() {
    context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    });
  }

  private void check() {
    if (checking) {
      return;
    }
    checking = true;
    List<Future<?>> streams = new ArrayList<>();
    java.util.Set<ShardKey> live = new java.util.HashSet<>();
    for (StreamMeta s : registry.all()) {
      if (s.mode() == StreamMode.ON_DEMAND && s.status() == StreamStatus.ACTIVE) {
        s.openShards().forEach(shard -> live.add(new ShardKey(s.key(), shard.index())));
        streams.add(check(s));
      }
    }
    // Forget closed shards and streams no longer scaled (checks below only add keys of open shards).
    samples.keySet().retainAll(live);
    coldSince.keySet().retainAll(live);
    Future.join(streams).onComplete(ar -> checking = false);
  }

  /** Samples the stream's open shards, then splits the hottest or merges a cold pair. */
  private Future<Void> check(StreamMeta stream) {
    List<ShardMeta> open = new ArrayList<>(stream.openShards());
    open.sort(Comparator.comparing(ShardMeta::startingHashKey));
    List<Future<AcceptedTotals>> totals = new ArrayList<>();
    for (ShardMeta shard : open) {
      ShardHandle h = registry.shards().find(stream.key(), shard.index());
      totals.add(h == null ? Future.failedFuture("not running") : h.acceptedTotals());
    }
    return Future.join(totals).transform(ignored -> {
      long now = clock.millis();
      double[] load = new double[open.size()];
      boolean[] sampled = new boolean[open.size()];
      for (int i = 0; i < open.size(); i++) {
        if (totals.get(i).failed()) {
          continue;
        }
        ShardKey key = new ShardKey(stream.key(), open.get(i).index());
        AcceptedTotals t = totals.get(i).result();
        Sample previous = samples.put(key, new Sample(t.records(), t.bytes(), now));
        if (previous == null || now <= previous.millis()) {
          continue;
        }
        double seconds = (now - previous.millis()) / 1000.0;
        load[i] = Math.max((t.records() - previous.records()) / seconds / RECORDS_PER_SECOND,
            (t.bytes() - previous.bytes()) / seconds / BYTES_PER_SECOND);
        sampled[i] = true;
        if (load[i] < MERGE_FRACTION) {
          coldSince.putIfAbsent(key, now);
        } else {
          coldSince.remove(key);
        }
      }
      int hottest = -1;
      for (int i = 0; i < open.size(); i++) {
        if (sampled[i] && load[i] > SPLIT_FRACTION && (hottest < 0 || load[i] > load[hottest])) {
          hottest = i;
        }
      }
      if (hottest >= 0 && open.size() < policy.maxShards()) {
        ShardMeta hot = open.get(hottest);
        BigInteger middle = hot.startingHashKey().add(hot.endingHashKey()).add(BigInteger.ONE).shiftRight(1);
        LOG.info("On-demand stream {}: splitting {} at {} (write load {} of a shard's limit)", stream.arn(),
            hot.shardId(), middle, String.format("%.2f", load[hottest]));
        return reshard(stream, m -> ReshardPlan.split(m, hot.index(), middle));
      }
      if (hottest < 0 && open.size() > policy.minShards()) {
        for (int i = 0; i + 1 < open.size(); i++) {
          Long a = coldSince.get(new ShardKey(stream.key(), open.get(i).index()));
          Long b = coldSince.get(new ShardKey(stream.key(), open.get(i + 1).index()));
          if (a != null && b != null && now - Math.max(a, b) >= policy.quietMillis()) {
            ShardMeta left = open.get(i);
            ShardMeta right = open.get(i + 1);
            LOG.info("On-demand stream {}: merging cold shards {} and {}", stream.arn(), left.shardId(),
                right.shardId());
            return reshard(stream, m -> ReshardPlan.merge(m, left.index(), right.index()));
          }
        }
      }
      return Future.succeededFuture();
    });
  }

  private Future<Void> reshard(StreamMeta stream, java.util.function.Function<StreamMeta, ReshardPlan> planner) {
    return resharder.reshard(stream.key(), planner).<Void>mapEmpty().recover(e -> {
      if (!(e instanceof KinesisException)) {
        LOG.warn("On-demand reshard of {} failed", stream.arn(), e);
      }
      return Future.succeededFuture(); // not ACTIVE any more, or the shard limit: try again next time
    });
  }
}
