package io.millrace.stream;

import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.millrace.shard.ShardHandle;
import io.millrace.shard.ShardVerticle;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's source of truth: streams, their shards, resource policies and account settings.
 *
 * <p><b>Threading.</b> Reads ({@link #find}, {@link #list}, ...) are lock-free from any thread: the maps hold
 * immutable values. Every change runs on the registry's own context, one at a time, is published at once and then
 * persisted by {@link MetadataStore} on an ordered worker; the caller's future completes only after the metadata is
 * durable. State checks that need the current value (exists, ACTIVE, limits) run inside the change.
 *
 * <p><b>Lifecycle.</b> CreateStream publishes CREATING, deploys the shards, waits {@code createStreamMillis}, then
 * publishes ACTIVE. DeleteStream publishes DELETING, waits {@code deleteStreamMillis}, stops the shards, deletes
 * their files and forgets the stream. Changes that AWS reports as UPDATING hold that state for
 * {@code updateStreamMillis}. After a restart, interrupted transitions are completed.
 */
public final class StreamRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);

  /** Transition delays and account limits. */
  public record Limits(int shardLimit, int onDemandStreamLimit, long createStreamMillis, long deleteStreamMillis,
                       long updateStreamMillis, long consumerCreateMillis, long consumerDeleteMillis,
                       int scalingsPerDay) {

    /** AWS's default: at most 10 UpdateShardCount scalings per stream in a rolling 24 hours. */
    public static final int DEFAULT_SCALINGS_PER_DAY = 10;

    public Limits(int shardLimit, int onDemandStreamLimit, long createStreamMillis, long deleteStreamMillis,
                  long updateStreamMillis, long consumerCreateMillis, long consumerDeleteMillis) {
      this(shardLimit, onDemandStreamLimit, createStreamMillis, deleteStreamMillis, updateStreamMillis,
          consumerCreateMillis, consumerDeleteMillis, DEFAULT_SCALINGS_PER_DAY);
    }
  }

  /** At most this many consumers per stream, as in AWS (outside On-demand Advantage accounts). */
  public static final int MAX_CONSUMERS_PER_STREAM = 20;

  /** At most this many consumers of one stream CREATING at once, as in AWS. */
  public static final int MAX_CONSUMERS_CREATING = 5;

  private final Vertx vertx;
  private final Context context;
  private final MetadataStore store;
  private final ShardDirectory shards;
  private final Limits limits;
  private final Clock clock;
  private final Map<StreamKey, StreamMeta> streams = new ConcurrentHashMap<>();
  private final Map<String, String> policies = new ConcurrentHashMap<>();
  private final Map<String, AccountSettings> accounts = new ConcurrentHashMap<>();
  private final Map<String, ConsumerMeta> consumers = new ConcurrentHashMap<>();
  private final List<Consumer<ConsumerMeta>> consumerGoneListeners = new CopyOnWriteArrayList<>();
  /** Streams with a reshard between closing its parents and publishing its children; completed on publish. */
  private final Map<StreamKey, Promise<Void>> reshards = new ConcurrentHashMap<>();
  /** When each stream's recent UpdateShardCount scalings ran (registry context only; not persisted). */
  private final Map<StreamKey, Deque<Long>> scalings = new HashMap<>();
  /** A reshard's new shards, persisted but not yet published (registry context only; see publishDurably). */
  private final Map<StreamKey, StreamMeta> unpublished = new HashMap<>();

  public StreamRegistry(Vertx vertx, MetadataStore store, ShardDirectory shards, Limits limits, Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.store = store;
    this.shards = shards;
    this.limits = limits;
    this.clock = clock;
  }

  public ShardDirectory shards() {
    return shards;
  }

  public Limits limits() {
    return limits;
  }

  public Clock clock() {
    return clock;
  }

  /** Loads the persisted metadata, redeploys every shard and finishes interrupted transitions. */
  public Future<Void> start() {
    return OnContext.call(context, () -> context.executeBlocking(store::load, true).compose(snapshot -> {
      snapshot.streams().forEach(s -> streams.put(s.key(), s));
      policies.putAll(snapshot.resourcePolicies());
      accounts.putAll(snapshot.accountSettings());
      snapshot.consumers().forEach(c -> consumers.put(c.arn(), c));
      List<Future<?>> starts = new ArrayList<>();
      for (StreamMeta s : snapshot.streams()) {
        if (s.status() == StreamStatus.DELETING) {
          starts.add(finishDelete(s.key()));
        } else {
          starts.add(deployShards(s).compose(v -> s.status() == StreamStatus.ACTIVE ? Future.succeededFuture()
              : change(s.key(), StreamRegistry::activateIfTransitioning)));
        }
      }
      for (ConsumerMeta c : snapshot.consumers()) {
        // Finish consumer transitions a restart interrupted.
        if (c.status() == ConsumerStatus.CREATING) {
          starts.add(changeConsumer(c.arn(), m -> m.withStatus(ConsumerStatus.ACTIVE)));
        } else if (c.status() == ConsumerStatus.DELETING) {
          starts.add(OnContext.call(context, () -> {
            consumers.remove(c.arn());
            return persist();
          }));
        }
      }
      LOG.info("Loaded {} streams and {} consumers", snapshot.streams().size(), snapshot.consumers().size());
      return Future.all(starts).mapEmpty();
    }));
  }

  // ---- reads (any thread) ----

  public Optional<StreamMeta> find(StreamKey key) {
    return Optional.ofNullable(streams.get(key));
  }

  /** The stream, or ResourceNotFound in AWS's words. */
  public StreamMeta require(StreamKey key) {
    StreamMeta m = streams.get(key);
    if (m == null) {
      throw notFound(key);
    }
    return m;
  }

  public static KinesisException notFound(StreamKey key) {
    return new KinesisException.ResourceNotFound(key.describe() + " not found.");
  }

  /** Every stream, in no particular order. */
  public List<StreamMeta> all() {
    return List.copyOf(streams.values());
  }

  /** The account's streams in a region, sorted by name. */
  public List<StreamMeta> list(String account, String region) {
    return streams.values().stream()
        .filter(s -> s.key().account().equals(account) && s.key().region().equals(region))
        .sorted(Comparator.comparing(StreamMeta::name)).toList();
  }

  public int openShardCount(String account, String region) {
    return list(account, region).stream().mapToInt(s -> s.openShards().size()).sum();
  }

  public int onDemandStreamCount(String account, String region) {
    return (int) list(account, region).stream().filter(s -> s.mode() == StreamMode.ON_DEMAND).count();
  }

  public Optional<String> policy(String arn) {
    return Optional.ofNullable(policies.get(arn));
  }

  public AccountSettings accountSettings(String account) {
    return accounts.getOrDefault(account, AccountSettings.DISABLED);
  }

  // ---- changes (run on the registry context, durable before they complete) ----

  /** Creates a stream in CREATING; it turns ACTIVE once its shards are up and the create delay passed. */
  public Future<StreamMeta> create(StreamMeta proposed) {
    return OnContext.call(context, () -> {
      StreamKey key = proposed.key();
      if (streams.containsKey(key)) {
        throw new KinesisException.ResourceInUse(key.describe() + " already exists.");
      }
      checkShardLimit(key.account(), key.region(), proposed.openShards().size());
      if (proposed.mode() == StreamMode.ON_DEMAND
          && onDemandStreamCount(key.account(), key.region()) >= limits.onDemandStreamLimit()) {
        throw new KinesisException.LimitExceeded("This request would exceed the on-demand stream count limit of "
            + limits.onDemandStreamLimit() + " for the account " + key.account() + " in " + key.region() + ".");
      }
      streams.put(key, proposed);
      return persist().map(proposed).onSuccess(created -> deployShards(created)
          .compose(v -> delay(limits.createStreamMillis()))
          .compose(v -> change(key, StreamRegistry::activateIfTransitioning))
          .onFailure(e -> LOG.error("Stream {} could not be started; it stays CREATING", key.arn(), e)));
    });
  }

  /**
   * Ends a CREATING or UPDATING state. Anything else is left alone: a stream deleted while its shards were still
   * starting must stay DELETING, or a late "now ACTIVE" would undo an acknowledged DeleteStream.
   */
  private static StreamMeta activateIfTransitioning(StreamMeta m) {
    return m.status() == StreamStatus.CREATING || m.status() == StreamStatus.UPDATING
        ? m.toBuilder().status(StreamStatus.ACTIVE).build() : m;
  }

  /** AWS's shard limit check, with its exact wording. */
  public void checkShardLimit(String account, String region, int additionalShards) {
    int current = openShardCount(account, region);
    if (current + additionalShards > limits.shardLimit()) {
      throw new KinesisException.LimitExceeded("This request would exceed the shard limit for the account "
          + account + " in " + region + ". Current shard count for the account: " + current + ". Limit: "
          + limits.shardLimit() + ". Number of additional shards that would have resulted from this request: "
          + additionalShards + ". Refer to the AWS Service Limits page "
          + "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to "
          + "request higher limits.");
    }
  }

  /** Moves the stream to DELETING; its data goes after the delete delay. */
  public Future<Void> delete(StreamKey key) {
    return delete(key, true);
  }

  /**
   * Moves the stream to DELETING; its data goes after the delete delay. A stream with registered consumers is
   * deleted (with its consumers) only if {@code enforceConsumerDeletion}, else ResourceInUse as in AWS.
   */
  public Future<Void> delete(StreamKey key, boolean enforceConsumerDeletion) {
    return OnContext.call(context, () -> {
      StreamMeta m = require(key);
      if (m.status() == StreamStatus.DELETING) {
        return Future.succeededFuture();
      }
      List<ConsumerMeta> registered = consumers(key);
      if (!registered.isEmpty() && !enforceConsumerDeletion) {
        throw new KinesisException.ResourceInUse(key.describe() + " has " + registered.size()
            + " registered consumers; deregister them first or set EnforceConsumerDeletion.");
      }
      registered.forEach(c -> consumers.remove(c.arn()));
      streams.put(key, m.toBuilder().status(StreamStatus.DELETING).build());
      policies.remove(key.arn());
      return persist().onSuccess(v -> registered.forEach(this::consumerGone)).onSuccess(v -> delay(limits.deleteStreamMillis()).compose(x -> finishDelete(key))
          .onFailure(e -> LOG.error("Stream {} could not be deleted; it stays DELETING", key.arn(), e)));
    });
  }

  private Future<Void> finishDelete(StreamKey key) {
    return shards.undeployAll(key)
        .compose(v -> context.executeBlocking(() -> {
          shards.deleteFiles(key);
          return null;
        }, true))
        .compose(v -> OnContext.call(context, () -> {
          streams.remove(key);
          return persist();
        }));
  }

  /**
   * Applies {@code change} to the current stream (it may throw a {@link KinesisException} to refuse) and persists
   * the result.
   */
  public Future<StreamMeta> change(StreamKey key, UnaryOperator<StreamMeta> change) {
    return OnContext.call(context, () -> {
      StreamMeta before = require(key);
      StreamMeta updated = change.apply(before);
      streams.put(key, updated);
      Future<Void> durable = persist();
      if (updated.retentionHours() != before.retentionHours()) {
        // Retention changes take effect at once, without a restart.
        durable = durable.compose(v -> shards.retention(key, updated.retentionHours()));
      }
      return durable.map(updated);
    });
  }

  /**
   * Applies {@code change} to an ACTIVE stream and shows it UPDATING for the update delay, as AWS does for
   * encryption and mode changes.
   */
  public Future<StreamMeta> changeWhileUpdating(StreamKey key, UnaryOperator<StreamMeta> change) {
    return change(key, m -> {
      requireActive(m);
      StreamMeta updated = change.apply(m);
      return limits.updateStreamMillis() == 0 ? updated : updated.toBuilder().status(StreamStatus.UPDATING).build();
    }).onSuccess(m -> {
      if (m.status() == StreamStatus.UPDATING) {
        delay(limits.updateStreamMillis()).compose(v -> change(key, s -> s.status() == StreamStatus.UPDATING
            ? s.toBuilder().status(StreamStatus.ACTIVE).build() : s));
      }
    });
  }

  /**
   * Reshards an ACTIVE stream: {@code planner} works out the plan against the current metadata (it may throw to
   * refuse); the shard limit is checked; the stream turns UPDATING (the new shard indices are reserved durably, so
   * they are never reused, even after a crash); the parents close ({@link ShardHandle#close}, which waits for
   * appends in flight); the children are deployed; then parents' ends and the children are persisted and, once
   * durable, published. The future completes then, with the stream still UPDATING for {@code updateStreamMillis}.
   *
   * <p>Children get a creation time strictly above (in seconds) their parents' creation and last arrival, so their
   * sequence numbers (creation seconds first) are greater than all their parents'; parents close at that instant.
   * Appends that reach a closed parent meanwhile wait for the publish ({@link #reshardSettled}) and are routed again.
   *
   * <p>A crash before the publish leaves the parents open (closing is not persisted) and the stream UPDATING, which
   * restart turns ACTIVE: the reshard did not happen and no acknowledged record is lost.
   */
  public Future<StreamMeta> reshard(StreamKey key, Function<StreamMeta, ReshardPlan> planner) {
    return OnContext.call(context, () -> {
      StreamMeta before = require(key);
      requireActive(before);
      ReshardPlan plan = planner.apply(before);
      if (plan.closing().isEmpty()) {
        return Future.succeededFuture(before);
      }
      if (plan.additionalOpenShards() > 0) {
        checkShardLimit(key.account(), key.region(), plan.additionalOpenShards());
      }
      Promise<Void> settled = Promise.promise();
      reshards.put(key, settled);
      StreamMeta updating = before.toBuilder().status(StreamStatus.UPDATING)
          .shards(before.shards(), plan.nextShardIndex()).build();
      streams.put(key, updating);
      return persist()
          .compose(v -> closeAll(key, plan.closing()))
          .compose(ends -> publishReshard(key, plan, ends))
          .andThen(ar -> {
            reshards.remove(key, settled);
            settled.tryComplete();
            if (ar.failed()) {
              LOG.error("Reshard of {} failed; it stays UPDATING until a restart", key.arn(), ar.cause());
            } else {
              delay(limits.updateStreamMillis()).compose(v -> change(key, StreamRegistry::activateIfTransitioning));
            }
          });
    });
  }

  /**
   * Completes once no reshard of the stream is between closing parents and publishing children (at once when none
   * is), or after a short pause if the caller raced a reshard that has not registered yet. Any thread.
   */
  public Future<Void> reshardSettled(StreamKey key) {
    Promise<Void> p = reshards.get(key);
    if (p == null) {
      return delay(5);
    }
    // The promise lives on the registry context; hand the outcome back on the caller's (an API event loop's).
    Context caller = Vertx.currentContext();
    return caller == null || caller == context ? p.future()
        : Future.fromCompletionStage(p.future().toCompletionStage(), caller);
  }

  private Future<Map<Integer, ShardVerticle.Closed>> closeAll(StreamKey key, List<Integer> indices) {
    Map<Integer, ShardVerticle.Closed> ends = new ConcurrentHashMap<>();
    List<Future<?>> closes = new ArrayList<>();
    for (int index : indices) {
      ShardHandle handle = shards.find(key, index);
      if (handle == null) {
        return Future.failedFuture(new KinesisException.InternalFailure("Shard " + ShardMeta.shardId(index)
            + " of stream " + key.name() + " is not running."));
      }
      closes.add(handle.close().onSuccess(c -> ends.put(index, c)));
    }
    return Future.all(closes).map(ends);
  }

  private Future<StreamMeta> publishReshard(StreamKey key, ReshardPlan plan,
                                            Map<Integer, ShardVerticle.Closed> ends) {
    StreamMeta current = require(key);
    long latestSecond = 0;
    for (int index : plan.closing()) {
      ShardMeta parent = current.shard(index).orElseThrow();
      latestSecond = Math.max(latestSecond, Math.max(parent.createdSeconds(),
          ends.get(index).lastArrivalMillis() / 1000));
    }
    long at = Math.max(clock.millis(), (latestSecond + 1) * 1000);
    List<ShardMeta> all = new ArrayList<>();
    for (ShardMeta s : current.shards()) {
      ShardVerticle.Closed end = ends.get(s.index());
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
    return Future.all(deployed).compose(v -> publishDurably(key, all, plan.nextShardIndex()))
        .andThen(ar -> {
          // Closing again tells the parents' push readers the end once more, now that the metadata shows it.
          plan.closing().forEach(index -> {
            ShardHandle h = shards.find(key, index);
            if (h != null) {
              h.close();
            }
          });
        });
  }

  /**
   * Persists the stream with its new shards first and publishes them only then: once children are published they
   * acknowledge writes, and a crash must not forget a shard that holds acknowledged records. Snapshots written
   * meanwhile (other changes of the registry) include the new shards too.
   */
  private Future<StreamMeta> publishDurably(StreamKey key, List<ShardMeta> all, int nextShardIndex) {
    return OnContext.call(context, () -> {
      StreamMeta current = require(key);
      unpublished.put(key, current.toBuilder().shards(mergeShards(current.shards(), all),
          Math.max(current.nextShardIndex(), nextShardIndex)).build());
      return persist().compose(v -> OnContext.call(context, () -> {
        StreamMeta pending = unpublished.remove(key);
        StreamMeta published = withShardsOf(require(key), pending);
        streams.put(key, published);
        return Future.succeededFuture(published);
      }));
    });
  }

  private static StreamMeta withShardsOf(StreamMeta stream, StreamMeta pending) {
    return pending == null ? stream : stream.toBuilder().shards(pending.shards(), pending.nextShardIndex()).build();
  }

  /** {@code all} in index order; shards of {@code current} it lacks are kept (none expected). */
  private static List<ShardMeta> mergeShards(List<ShardMeta> current, List<ShardMeta> all) {
    Map<Integer, ShardMeta> byIndex = new java.util.TreeMap<>();
    current.forEach(s -> byIndex.put(s.index(), s));
    all.forEach(s -> byIndex.put(s.index(), s));
    return new ArrayList<>(byIndex.values());
  }

  /**
   * Counts an UpdateShardCount scaling of the stream, refusing with LimitExceeded past {@code scalingsPerDay} in a
   * rolling 24 hours. Call inside a reshard planner (registry context).
   */
  public void countScaling(StreamKey key) {
    long now = clock.millis();
    Deque<Long> recent = scalings.computeIfAbsent(key, k -> new ArrayDeque<>());
    while (!recent.isEmpty() && recent.peekFirst() <= now - 86_400_000L) {
      recent.pollFirst();
    }
    if (recent.size() >= limits.scalingsPerDay()) {
      throw new KinesisException.LimitExceeded("Exceeded the limit of " + limits.scalingsPerDay()
          + " UpdateShardCount scalings in a rolling 24 hours for stream " + key.name() + " under account "
          + key.account() + ".");
    }
    recent.addLast(now);
  }

  /** ResourceInUse unless the stream is ACTIVE, in AWS's words. */
  public static void requireActive(StreamMeta m) {
    if (m.status() != StreamStatus.ACTIVE) {
      throw new KinesisException.ResourceInUse(m.key().describe() + " not ACTIVE, instead in state "
          + m.status() + ".");
    }
  }

  public Future<Void> putPolicy(String arn, String policy) {
    return OnContext.call(context, () -> {
      policies.put(arn, policy);
      return persist();
    });
  }

  public Future<Void> deletePolicy(String arn) {
    return OnContext.call(context, () -> {
      policies.remove(arn);
      return persist();
    });
  }

  public Future<AccountSettings> putAccountSettings(String account, AccountSettings settings) {
    return OnContext.call(context, () -> {
      accounts.put(account, settings);
      return persist().map(settings);
    });
  }

  // ---- registered consumers ----

  /** The stream's consumers in any state, sorted by creation time then name. */
  public List<ConsumerMeta> consumers(StreamKey stream) {
    return consumers.values().stream().filter(c -> c.stream().equals(stream))
        .sorted(Comparator.comparingLong(ConsumerMeta::createdSeconds).thenComparing(ConsumerMeta::name)).toList();
  }

  public Optional<ConsumerMeta> consumer(String arn) {
    return Optional.ofNullable(consumers.get(arn));
  }

  public Optional<ConsumerMeta> consumer(StreamKey stream, String name) {
    return consumers.values().stream().filter(c -> c.stream().equals(stream) && c.name().equals(name)).findFirst();
  }

  /**
   * Registers a consumer in CREATING; it turns ACTIVE after {@code consumerCreateMillis}. ResourceInUse if the
   * name is taken on this stream, LimitExceeded over {@value #MAX_CONSUMERS_PER_STREAM} consumers or
   * {@value #MAX_CONSUMERS_CREATING} creating at once.
   */
  public Future<ConsumerMeta> registerConsumer(StreamKey stream, String name, Map<String, String> tags) {
    return OnContext.call(context, () -> {
      StreamMeta s = require(stream);
      if (s.status() == StreamStatus.DELETING) {
        throw notFound(stream);
      }
      if (consumer(stream, name).isPresent()) {
        throw new KinesisException.ResourceInUse("Consumer " + name + " under stream " + stream.name()
            + " already exists for account " + stream.account() + ".");
      }
      List<ConsumerMeta> existing = consumers(stream);
      if (existing.size() >= MAX_CONSUMERS_PER_STREAM) {
        throw new KinesisException.LimitExceeded("Consumer limit of " + MAX_CONSUMERS_PER_STREAM
            + " exceeded for stream " + stream.arn() + ".");
      }
      if (existing.stream().filter(c -> c.status() == ConsumerStatus.CREATING).count() >= MAX_CONSUMERS_CREATING) {
        throw new KinesisException.LimitExceeded("Stream " + stream.arn() + " already has "
            + MAX_CONSUMERS_CREATING + " consumers in CREATING state; retry once they are ACTIVE.");
      }
      ConsumerMeta created = new ConsumerMeta(stream, name, clock.millis() / 1000, ConsumerStatus.CREATING, tags);
      consumers.put(created.arn(), created);
      return persist().map(created).onSuccess(c -> delay(limits.consumerCreateMillis())
          .compose(v -> changeConsumer(c.arn(), m -> m.status() == ConsumerStatus.CREATING
              ? m.withStatus(ConsumerStatus.ACTIVE) : m))
          .onFailure(e -> LOG.warn("Consumer {} did not turn ACTIVE: {}", c.arn(), e.toString())));
    });
  }

  /**
   * Calls {@code listener} (on the registry context, quick) each time a consumer stops being usable: deregistered
   * (from the moment it is DELETING) or removed with its stream. Live subscriptions end on it.
   */
  public void onConsumerGone(Consumer<ConsumerMeta> listener) {
    consumerGoneListeners.add(listener);
  }

  private void consumerGone(ConsumerMeta c) {
    for (Consumer<ConsumerMeta> listener : consumerGoneListeners) {
      try {
        listener.accept(c);
      } catch (RuntimeException e) {
        LOG.warn("Consumer-gone listener failed for {}", c.arn(), e);
      }
    }
  }

  /** Moves a consumer to DELETING (ending its subscriptions at once); it is gone after {@code consumerDeleteMillis}. */
  public Future<Void> deregisterConsumer(String arn) {
    return changeConsumer(arn, c -> c.withStatus(ConsumerStatus.DELETING)).compose(c -> {
      consumerGone(c);
      delay(limits.consumerDeleteMillis()).compose(v -> OnContext.call(context, () -> {
        if (consumers.remove(arn) == null) {
          return Future.succeededFuture();
        }
        return persist();
      }));
      return Future.succeededFuture();
    });
  }

  /** Applies {@code change} to a consumer (it may throw to refuse) and persists the result. */
  public Future<ConsumerMeta> changeConsumer(String arn, UnaryOperator<ConsumerMeta> change) {
    return OnContext.call(context, () -> {
      ConsumerMeta before = consumers.get(arn);
      if (before == null) {
        throw consumerNotFound(arn);
      }
      ConsumerMeta updated = change.apply(before);
      consumers.put(arn, updated);
      return persist().map(updated);
    });
  }

  public static KinesisException consumerNotFound(String arn) {
    return new KinesisException.ResourceNotFound("Consumer " + arn + " not found.");
  }

  private Future<Void> deployShards(StreamMeta stream) {
    List<Future<?>> deployed = new ArrayList<>();
    for (ShardMeta shard : stream.shards()) {
      deployed.add(shards.deploy(stream, shard));
    }
    return Future.all(deployed).mapEmpty();
  }

  private Future<Void> delay(long millis) {
    if (millis <= 0) {
      return Future.succeededFuture();
    }
    return Future.future(p -> vertx.setTimer(millis, id -> p.complete()));
  }

  /** Captures the current state (on the registry context) and writes it durably (on an ordered worker). */
  private Future<Void> persist() {
    List<StreamMeta> toSave = new ArrayList<>();
    streams.values().forEach(m -> toSave.add(withShardsOf(m, unpublished.get(m.key()))));
    RegistrySnapshot snapshot = new RegistrySnapshot(RegistrySnapshot.VERSION, toSave,
        new HashMap<>(policies), new HashMap<>(accounts), new ArrayList<>(consumers.values()));
    return context.executeBlocking(() -> {
      store.save(snapshot);
      return null;
    }, true);
  }
}
