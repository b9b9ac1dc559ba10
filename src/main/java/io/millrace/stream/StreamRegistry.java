package io.millrace.stream;

import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
                       long updateStreamMillis, long consumerCreateMillis, long consumerDeleteMillis) {}

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
    RegistrySnapshot snapshot = new RegistrySnapshot(RegistrySnapshot.VERSION, new ArrayList<>(streams.values()),
        new HashMap<>(policies), new HashMap<>(accounts), new ArrayList<>(consumers.values()));
    return context.executeBlocking(() -> {
      store.save(snapshot);
      return null;
    }, true);
  }
}
