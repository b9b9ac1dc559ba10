package io.millrace.stream;

import io.millrace.error.KinesisException;
import io.millrace.shard.ShardHandle;
import io.millrace.shard.ShardVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's source of truth: streams, their shards, registered consumers, resource policies and account
 * settings.
 *
 * <p><b>Durable before visible.</b> Every change goes through {@link MetadataCommitter}: it is applied to the
 * committed metadata, persisted, and only then seen by anyone. A change whose persisting fails leaves nothing behind
 * and its caller gets a retryable InternalFailure. The end of a transition the caller was already promised (CREATING
 * to ACTIVE, a deleted stream forgotten) is retried until it is durable.
 *
 * <p><b>Threading.</b> Reads ({@link #find}, {@link #list}, ...) are lock-free from any thread: they read one
 * committed {@link Metadata} value. Changes run one at a time on the registry's context; state checks that need the
 * current value (exists, ACTIVE, limits) run inside the change, against the metadata it is applied to.
 *
 * <p><b>Lifecycle.</b> CreateStream commits CREATING, deploys the shards, waits {@code createStreamMillis}, then
 * commits ACTIVE. DeleteStream commits DELETING, waits {@code deleteStreamMillis}, stops the shards, deletes their
 * files and forgets the stream. Changes that AWS reports as UPDATING hold that state for {@code updateStreamMillis}.
 * When a delay is 0 the call answers only once its transition is over: a created stream is ACTIVE, a deleted one gone,
 * a consumer ACTIVE, an update done (unless persisting the transition's end failed; it is then retried in the
 * background). After a restart, interrupted transitions are completed.
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
  private final MetadataCommitter committer;
  private final ShardDirectory shards;
  private final Limits limits;
  private final Clock clock;
  private final List<Consumer<ConsumerMeta>> consumerGoneListeners = new CopyOnWriteArrayList<>();
  /** Streams with a reshard between closing its parents and publishing its children; completed on publish. */
  private final Map<StreamKey, Promise<Void>> reshards = new ConcurrentHashMap<>();
  /** When each stream's recent UpdateShardCount scalings ran (registry context only; not persisted). */
  private final Map<StreamKey, Deque<Long>> scalings = new HashMap<>();

  public StreamRegistry(Vertx vertx, MetadataStore store, ShardDirectory shards, Limits limits, Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.committer = new MetadataCommitter(vertx, context, store);
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

  /**
   * Loads the persisted metadata, redeploys every shard and finishes interrupted transitions (the future waits for
   * their first attempt).
   */
  public Future<Void> start() {
    return committer.load().compose(metadata -> {
      List<Future<?>> starts = new ArrayList<>();
      for (StreamMeta s : metadata.streams().values()) {
        if (s.status() == StreamStatus.DELETING) {
          starts.add(finishDelete(s.key()));
        } else {
          starts.add(deployShards(s).compose(v -> s.status() == StreamStatus.ACTIVE ? Future.succeededFuture()
              : activate(s.key())));
        }
      }
      for (ConsumerMeta c : metadata.consumers().values()) {
        if (c.status() == ConsumerStatus.CREATING) {
          starts.add(activateConsumer(c.arn()));
        } else if (c.status() == ConsumerStatus.DELETING) {
          starts.add(forgetConsumer(c.arn()));
        }
      }
      LOG.info("Loaded {} streams and {} consumers", metadata.streams().size(), metadata.consumers().size());
      return Future.all(starts).mapEmpty();
    });
  }

  // ---- reads (any thread) ----

  public Optional<StreamMeta> find(StreamKey key) {
    return Optional.ofNullable(committer.current().streams().get(key));
  }

  /** The stream, or ResourceNotFound in AWS's words. */
  public StreamMeta require(StreamKey key) {
    return require(committer.current().streams().get(key), key);
  }

  private static StreamMeta require(StreamMeta m, StreamKey key) {
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
    return List.copyOf(committer.current().streams().values());
  }

  /** The account's streams in a region, sorted by name. */
  public List<StreamMeta> list(String account, String region) {
    return list(committer.current().streams().values(), account, region);
  }

  private static List<StreamMeta> list(Collection<StreamMeta> streams, String account, String region) {
    return streams.stream().filter(s -> s.key().account().equals(account) && s.key().region().equals(region))
        .sorted(Comparator.comparing(StreamMeta::name)).toList();
  }

  public int openShardCount(String account, String region) {
    return list(account, region).stream().mapToInt(s -> s.openShards().size()).sum();
  }

  public int onDemandStreamCount(String account, String region) {
    return (int) list(account, region).stream().filter(s -> s.mode() == StreamMode.ON_DEMAND).count();
  }

  public Optional<String> policy(String arn) {
    return Optional.ofNullable(committer.current().policies().get(arn));
  }

  public AccountSettings accountSettings(String account) {
    return committer.current().accounts().getOrDefault(account, AccountSettings.DISABLED);
  }

  // ---- stream lifecycle ----

  /**
   * Creates a stream: CREATING once durable; it turns ACTIVE once its shards are up and the create delay passed. With
   * no delay the future completes with the ACTIVE stream. Shards that cannot start undo the creation.
   */
  public Future<StreamMeta> create(StreamMeta proposed) {
    StreamKey key = proposed.key();
    return committer.commit(d -> {
      if (d.stream(key) != null) {
        throw new KinesisException.ResourceInUse(key.describe() + " already exists.");
      }
      checkShardLimit(d.streams(), key.account(), key.region(), proposed.openShards().size());
      if (proposed.mode() == StreamMode.ON_DEMAND
          && list(d.streams(), key.account(), key.region()).stream().filter(s -> s.mode() == StreamMode.ON_DEMAND)
              .count() >= limits.onDemandStreamLimit()) {
        throw new KinesisException.LimitExceeded("This request would exceed the on-demand stream count limit of "
            + limits.onDemandStreamLimit() + " for the account " + key.account() + " in " + key.region() + ".");
      }
      d.put(proposed);
      return proposed;
    }).compose(created -> {
      Future<StreamMeta> started = deployShards(created).recover(e -> abandonCreate(key, e))
          .compose(v -> delay(limits.createStreamMillis()))
          .compose(v -> activate(key))
          .map(v -> find(key).orElse(created));
      if (limits.createStreamMillis() == 0) {
        return started;
      }
      started.onFailure(e -> LOG.error("Stream {} could not be started", key.arn(), e));
      return Future.succeededFuture(created);
    });
  }

  /** Shards of a new stream failed to start: stops those that did, deletes their files and forgets the stream. */
  private Future<Void> abandonCreate(StreamKey key, Throwable cause) {
    LOG.error("The shards of new stream {} could not be started; the stream is removed again", key.arn(), cause);
    return shards.undeployAll(key)
        .compose(v -> context.executeBlocking(() -> {
          shards.deleteFiles(key);
          return null;
        }, true))
        .transform(ar -> committer.commitEventually("removal of stream " + key.arn() + " that could not start", d -> {
          StreamMeta s = d.stream(key);
          if (s != null && s.status() == StreamStatus.CREATING) {
            d.removeStream(key);
          }
          return null;
        }))
        .transform(ar -> Future.failedFuture(new KinesisException.InternalFailure("The shards of " + key.describe()
            + " could not be started (" + cause.getMessage() + "); the stream was not created. Retry CreateStream.")));
  }

  /** Ends a CREATING or UPDATING state; see {@link #activateIfTransitioning}. */
  private Future<Void> activate(StreamKey key) {
    return committer.commitEventually("the end of a transition of " + key.arn(), d -> {
      StreamMeta s = d.stream(key);
      if (s != null) {
        StreamMeta active = activateIfTransitioning(s);
        if (active != s) {
          d.put(active);
        }
      }
      return null;
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

  /** AWS's shard limit check, with its exact wording, against {@code streams} (the metadata a change works on). */
  private void checkShardLimit(Collection<StreamMeta> streams, String account, String region, int additionalShards) {
    int current = list(streams, account, region).stream().mapToInt(s -> s.openShards().size()).sum();
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
   * Moves the stream to DELETING; its data goes after the delete delay (with no delay, before the future completes).
   * A stream with registered consumers is deleted (with its consumers) only if {@code enforceConsumerDeletion}, else
   * ResourceInUse as in AWS.
   */
  public Future<Void> delete(StreamKey key, boolean enforceConsumerDeletion) {
    return committer.commit(d -> {
      StreamMeta m = require(d.stream(key), key);
      if (m.status() == StreamStatus.DELETING) {
        return null; // already on its way out
      }
      List<ConsumerMeta> registered = consumers(d.consumers(), key);
      if (!registered.isEmpty() && !enforceConsumerDeletion) {
        throw new KinesisException.ResourceInUse(key.describe() + " has " + registered.size()
            + " registered consumers; deregister them first or set EnforceConsumerDeletion.");
      }
      registered.forEach(c -> d.removeConsumer(c.arn()));
      d.put(m.toBuilder().status(StreamStatus.DELETING).build());
      d.removePolicy(key.arn());
      return registered;
    }).compose(registered -> {
      if (registered == null) {
        return Future.succeededFuture();
      }
      registered.forEach(this::consumerGone);
      Future<Void> gone = delay(limits.deleteStreamMillis()).compose(v -> finishDelete(key));
      return limits.deleteStreamMillis() == 0 ? gone : Future.succeededFuture();
    });
  }

  /** Stops the shards, deletes their files and forgets the stream; failures are logged and tried again later. */
  private Future<Void> finishDelete(StreamKey key) {
    return shards.undeployAll(key)
        .compose(v -> context.executeBlocking(() -> {
          shards.deleteFiles(key);
          return null;
        }, true))
        .compose(v -> committer.commitEventually("the removal of deleted stream " + key.arn(), d -> {
          d.removeStream(key);
          return null;
        }))
        .recover(e -> {
          LOG.warn("The files of deleted stream {} could not be removed ({}); trying again in {} ms", key.arn(),
              e.toString(), MetadataCommitter.MAX_RETRY_MILLIS);
          vertx.setTimer(MetadataCommitter.MAX_RETRY_MILLIS, id -> finishDelete(key));
          return Future.succeededFuture();
        });
  }

  // ---- stream changes ----

  /**
   * Applies {@code change} to the current stream (it may throw a {@link KinesisException} to refuse) and persists
   * the result.
   */
  public Future<StreamMeta> change(StreamKey key, UnaryOperator<StreamMeta> change) {
    StreamMeta[] before = new StreamMeta[1];
    return committer.commit(d -> {
      before[0] = require(d.stream(key), key);
      StreamMeta updated = change.apply(before[0]);
      d.put(updated);
      return updated;
    }).compose(updated -> updated.retentionHours() == before[0].retentionHours() ? Future.succeededFuture(updated)
        // Retention changes take effect at once, without a restart.
        : shards.retention(key, updated.retentionHours()).map(updated));
  }

  /**
   * Applies {@code change} to an ACTIVE stream and shows it UPDATING for the update delay, as AWS does for
   * encryption and mode changes. With no delay it never shows UPDATING.
   */
  public Future<StreamMeta> changeWhileUpdating(StreamKey key, UnaryOperator<StreamMeta> change) {
    return change(key, m -> {
      requireActive(m);
      StreamMeta updated = change.apply(m);
      return limits.updateStreamMillis() == 0 ? updated : updated.toBuilder().status(StreamStatus.UPDATING).build();
    }).onSuccess(m -> {
      if (m.status() == StreamStatus.UPDATING) {
        delay(limits.updateStreamMillis()).compose(v -> activate(key));
      }
    });
  }

  /**
   * Reshards an ACTIVE stream: {@code planner} works out the plan against the current metadata (it may throw to
   * refuse); the shard limit is checked; the stream turns UPDATING (the new shard indices are reserved durably, so
   * they are never reused, even after a crash); the parents close ({@link ShardHandle#close}, which waits for appends
   * in flight); the children are deployed; then the parents' ends and the children are committed, which publishes
   * them. The future completes then, with the stream UPDATING for {@code updateStreamMillis} (with no delay, once it
   * is ACTIVE again).
   *
   * <p>Children get a creation time strictly above (in seconds) their parents' creation and last arrival, so their
   * sequence numbers (creation seconds first) are greater than all their parents'; parents close at that instant.
   * Appends that reach a closed parent meanwhile wait for the publish ({@link #reshardSettled}) and are routed again.
   *
   * <p>If the children cannot be deployed or committed, the reshard is undone: the parents open again, the children's
   * files go, the stream turns ACTIVE, and the caller gets InternalFailure. A crash before the commit leaves the
   * parents open (closing is not persisted) and the stream UPDATING, which restart turns ACTIVE: the reshard did not
   * happen and no acknowledged record is lost.
   */
  public Future<StreamMeta> reshard(StreamKey key, Function<StreamMeta, ReshardPlan> planner) {
    return committer.commit(d -> {
      StreamMeta before = require(d.stream(key), key);
      requireActive(before);
      ReshardPlan plan = planner.apply(before);
      if (plan.closing().isEmpty()) {
        return new Reshard(before, null);
      }
      if (plan.additionalOpenShards() > 0) {
        checkShardLimit(d.streams(), key.account(), key.region(), plan.additionalOpenShards());
      }
      d.put(before.toBuilder().status(StreamStatus.UPDATING).shards(before.shards(), plan.nextShardIndex()).build());
      return new Reshard(before, plan);
    }).compose(reshard -> {
      if (reshard.plan() == null) {
        return Future.succeededFuture(reshard.before());
      }
      ReshardPlan plan = reshard.plan();
      Promise<Void> settled = Promise.promise();
      reshards.put(key, settled);
      Future<StreamMeta> published = closeAll(key, plan.closing())
          .compose(ends -> publishReshard(key, plan, ends))
          .recover(e -> undoReshard(key, plan, e))
          .andThen(ar -> {
            reshards.remove(key, settled);
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
      Future<StreamMeta> active = published.compose(m -> delay(limits.updateStreamMillis()))
          .compose(v -> activate(key)).map(v -> require(key));
      return limits.updateStreamMillis() == 0 ? active : published;
    });
  }

  private record Reshard(StreamMeta before, ReshardPlan plan) {}

  /**
   * Completes once no reshard of the stream is between closing parents and publishing children (at once when none
   * is), or after a short pause if the caller raced a reshard that has not registered yet. Any thread.
   */
  public Future<Void> reshardSettled(StreamKey key) {
    Promise<Void> p = reshards.get(key);
    if (p == null) {
      return delay(5);
    }
    // The promise may complete on any context; hand the outcome back on the caller's (an API event loop's).
    Context caller = Vertx.currentContext();
    return caller == null ? p.future() : Future.fromCompletionStage(p.future().toCompletionStage(), caller);
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

  /** Deploys the children (the short-lived ones closed at once) and commits the new shards, which publishes them. */
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
    // Committed before published: once children are visible they acknowledge writes, and a crash must not forget a
    // shard that holds acknowledged records.
    return Future.all(deployed).compose(v -> committer.commit(d -> {
      StreamMeta now = require(d.stream(key), key);
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
  private Future<StreamMeta> undoReshard(StreamKey key, ReshardPlan plan, Throwable cause) {
    LOG.error("Reshard of {} failed and is undone: {}", key.arn(), cause.toString());
    List<Future<?>> undone = new ArrayList<>();
    for (int index : plan.closing()) {
      ShardHandle parent = shards.find(key, index);
      if (parent != null) {
        undone.add(parent.reopen());
      }
    }
    for (ShardMeta child : plan.created()) {
      undone.add(shards.undeploy(key, child.index()).compose(v -> context.executeBlocking(() -> {
        shards.deleteFiles(key, child.shardId());
        return null;
      }, true)));
    }
    return Future.join(undone).transform(ar -> activate(key)).transform(ar -> Future.failedFuture(
        cause instanceof KinesisException.InternalFailure ? cause : new KinesisException.InternalFailure(
            "The reshard of " + key.describe() + " failed (" + cause.getMessage() + ") and was undone; retry it.")));
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

  // ---- account-level settings ----

  public Future<Void> putPolicy(String arn, String policy) {
    return committer.commit(d -> {
      d.putPolicy(arn, policy);
      return null;
    });
  }

  public Future<Void> deletePolicy(String arn) {
    return committer.commit(d -> {
      d.removePolicy(arn);
      return null;
    });
  }

  public Future<AccountSettings> putAccountSettings(String account, AccountSettings settings) {
    return committer.commit(d -> {
      d.putAccount(account, settings);
      return settings;
    });
  }

  // ---- registered consumers ----

  /** The stream's consumers in any state, sorted by creation time then name. */
  public List<ConsumerMeta> consumers(StreamKey stream) {
    return consumers(committer.current().consumers().values(), stream);
  }

  private static List<ConsumerMeta> consumers(Collection<ConsumerMeta> all, StreamKey stream) {
    return all.stream().filter(c -> c.stream().equals(stream))
        .sorted(Comparator.comparingLong(ConsumerMeta::createdSeconds).thenComparing(ConsumerMeta::name)).toList();
  }

  public Optional<ConsumerMeta> consumer(String arn) {
    return Optional.ofNullable(committer.current().consumers().get(arn));
  }

  public Optional<ConsumerMeta> consumer(StreamKey stream, String name) {
    return consumers(stream).stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * Registers a consumer in CREATING; it turns ACTIVE after {@code consumerCreateMillis} (with no delay it is ACTIVE
   * at once). ResourceInUse if the name is taken on this stream, LimitExceeded over
   * {@value #MAX_CONSUMERS_PER_STREAM} consumers or {@value #MAX_CONSUMERS_CREATING} creating at once.
   */
  public Future<ConsumerMeta> registerConsumer(StreamKey stream, String name, Map<String, String> tags) {
    return committer.commit(d -> {
      StreamMeta s = require(d.stream(stream), stream);
      if (s.status() == StreamStatus.DELETING) {
        throw notFound(stream);
      }
      List<ConsumerMeta> existing = consumers(d.consumers(), stream);
      if (existing.stream().anyMatch(c -> c.name().equals(name))) {
        throw new KinesisException.ResourceInUse("Consumer " + name + " under stream " + stream.name()
            + " already exists for account " + stream.account() + ".");
      }
      if (existing.size() >= MAX_CONSUMERS_PER_STREAM) {
        throw new KinesisException.LimitExceeded("Consumer limit of " + MAX_CONSUMERS_PER_STREAM
            + " exceeded for stream " + stream.arn() + ".");
      }
      if (existing.stream().filter(c -> c.status() == ConsumerStatus.CREATING).count() >= MAX_CONSUMERS_CREATING) {
        throw new KinesisException.LimitExceeded("Stream " + stream.arn() + " already has "
            + MAX_CONSUMERS_CREATING + " consumers in CREATING state; retry once they are ACTIVE.");
      }
      ConsumerStatus status = limits.consumerCreateMillis() == 0 ? ConsumerStatus.ACTIVE : ConsumerStatus.CREATING;
      ConsumerMeta created = new ConsumerMeta(stream, name, clock.millis() / 1000, status, tags);
      d.put(created);
      return created;
    }).onSuccess(c -> {
      if (c.status() == ConsumerStatus.CREATING) {
        delay(limits.consumerCreateMillis()).compose(v -> activateConsumer(c.arn()));
      }
    });
  }

  private Future<Void> activateConsumer(String arn) {
    return committer.commitEventually("the activation of consumer " + arn, d -> {
      ConsumerMeta c = d.consumer(arn);
      if (c != null && c.status() == ConsumerStatus.CREATING) {
        d.put(c.withStatus(ConsumerStatus.ACTIVE));
      }
      return null;
    });
  }

  private Future<Void> forgetConsumer(String arn) {
    return committer.commitEventually("the removal of deregistered consumer " + arn, d -> {
      d.removeConsumer(arn);
      return null;
    });
  }

  /**
   * Calls {@code listener} (quick, on any context) each time a consumer stops being usable: deregistered (from the
   * moment it is DELETING) or removed with its stream. Live subscriptions end on it.
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

  /**
   * Moves a consumer to DELETING (ending its subscriptions at once); it is gone after {@code consumerDeleteMillis}
   * (with no delay, at once).
   */
  public Future<Void> deregisterConsumer(String arn) {
    return committer.commit(d -> {
      ConsumerMeta c = d.consumer(arn);
      if (c == null) {
        throw consumerNotFound(arn);
      }
      ConsumerMeta deleting = c.withStatus(ConsumerStatus.DELETING);
      if (limits.consumerDeleteMillis() == 0) {
        d.removeConsumer(arn);
      } else {
        d.put(deleting);
      }
      return deleting;
    }).compose(c -> {
      consumerGone(c);
      if (limits.consumerDeleteMillis() > 0) {
        delay(limits.consumerDeleteMillis()).compose(v -> forgetConsumer(arn));
      }
      return Future.succeededFuture();
    });
  }

  /** Applies {@code change} to a consumer (it may throw to refuse) and persists the result. */
  public Future<ConsumerMeta> changeConsumer(String arn, UnaryOperator<ConsumerMeta> change) {
    return committer.commit(d -> {
      ConsumerMeta before = d.consumer(arn);
      if (before == null) {
        throw consumerNotFound(arn);
      }
      ConsumerMeta updated = change.apply(before);
      d.put(updated);
      return updated;
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
}
