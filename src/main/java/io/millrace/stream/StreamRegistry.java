package io.millrace.stream;

import io.millrace.concurrent.Delay;
import io.millrace.error.KinesisException;
import io.millrace.error.StorageFaults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams: their lifecycle, shards and settings, plus resource policies and account settings. Registered consumers
 * are the {@link ConsumerRegistry}'s, reshards the {@link Resharder}'s; all three share one {@link MetadataCommitter}.
 *
 * <p><b>Durable before visible.</b> Every change goes through the committer: it is applied to the committed metadata,
 * persisted, and only then seen by anyone. A change whose persisting fails leaves nothing behind and its caller gets
 * a retryable InternalFailure. The end of a transition the caller was already promised (CREATING to ACTIVE, a deleted
 * stream forgotten) is retried until it is durable.
 *
 * <p><b>Threading.</b> Reads ({@link #find}, {@link #list}, ...) are lock-free from any thread: they read one
 * committed {@link Metadata} value. Changes run one at a time on the committer's context; state checks that need the
 * current value (exists, ACTIVE, limits) run inside the change, against the metadata it is applied to.
 *
 * <p><b>Lifecycle.</b> CreateStream commits CREATING, deploys the shards, waits {@code createStreamMillis}, then
 * commits ACTIVE. DeleteStream commits DELETING, waits {@code deleteStreamMillis}, stops the shards, deletes their
 * files and forgets the stream. Changes that AWS reports as UPDATING hold that state for {@code updateStreamMillis}.
 * When a delay is 0 the call answers only once its transition is over: a created stream is ACTIVE, a deleted one gone,
 * an update done (unless persisting the transition's end failed; it is then retried in the background).
 */
public final class StreamRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);

  private final Vertx vertx;
  private final MetadataCommitter committer;
  private final ShardDirectory shards;
  private final ConsumerRegistry consumers;
  private final ControlPlane.Limits limits;
  private final Clock clock;

  StreamRegistry(Vertx vertx, MetadataCommitter committer, ShardDirectory shards, ConsumerRegistry consumers,
                 ControlPlane.Limits limits, Clock clock) {
    this.vertx = vertx;
    this.committer = committer;
    this.shards = shards;
    this.consumers = consumers;
    this.limits = limits;
    this.clock = clock;
  }

  public ShardDirectory shards() {
    return shards;
  }

  public ControlPlane.Limits limits() {
    return limits;
  }

  public Clock clock() {
    return clock;
  }

  MetadataCommitter committer() {
    return committer;
  }

  Vertx vertx() {
    return vertx;
  }

  /** Redeploys the shards of the loaded streams and finishes their interrupted transitions. */
  Future<Void> start(Metadata metadata) {
    List<Future<?>> starts = new ArrayList<>();
    for (StreamMeta s : metadata.streams().values()) {
      if (s.status() == StreamStatus.DELETING) {
        starts.add(finishDelete(s.key()));
      } else {
        starts.add(deployShards(s).compose(v -> s.status() == StreamStatus.ACTIVE ? Future.succeededFuture()
            : activate(s.key())));
      }
    }
    LOG.info("Loaded {} streams and {} consumers", metadata.streams().size(), metadata.consumers().size());
    return Future.all(starts).mapEmpty();
  }

  // ---- reads (any thread) ----

  public Optional<StreamMeta> find(StreamKey key) {
    return Optional.ofNullable(committer.current().streams().get(key));
  }

  /** The stream, or ResourceNotFound in AWS's words. */
  public StreamMeta require(StreamKey key) {
    return require(committer.current().streams().get(key), key);
  }

  static StreamMeta require(StreamMeta m, StreamKey key) {
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
    return onDemandStreamCount(committer.current().streams().values(), account, region);
  }

  private static int onDemandStreamCount(Collection<StreamMeta> streams, String account, String region) {
    return (int) list(streams, account, region).stream().filter(s -> s.mode() == StreamMode.ON_DEMAND).count();
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
      if (proposed.mode() == StreamMode.ON_DEMAND) {
        checkOnDemandLimit(d.streams(), key);
      }
      d.put(proposed);
      return proposed;
    }).compose(created -> {
      Future<StreamMeta> started = deployShards(created).recover(e -> abandonCreate(key, e))
          .compose(v -> Delay.of(vertx, limits.createStreamMillis()))
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
        .compose(v -> vertx.executeBlocking(() -> {
          shards.deleteFiles(key);
          return null;
        }))
        .transform(ar -> committer.commitEventually("removal of stream " + key.arn() + " that could not start", d -> {
          StreamMeta s = d.stream(key);
          if (s != null && s.status() == StreamStatus.CREATING) {
            d.removeStream(key);
          }
          return null;
        }))
        .transform(ar -> Future.failedFuture(new KinesisException.InternalFailure("The shards of " + key.describe()
            + " could not be started (" + StorageFaults.reason(cause) + "); the stream was not created. Retry "
            + "CreateStream.")));
  }

  /**
   * Ends a CREATING or UPDATING state, retried until durable; the future completes after the first attempt. Anything
   * else is left alone: a stream deleted while its shards were still starting must stay DELETING, or a late "now
   * ACTIVE" would undo an acknowledged DeleteStream.
   */
  Future<Void> activate(StreamKey key) {
    return committer.commitEventually("the end of a transition of " + key.arn(), d -> {
      StreamMeta s = d.stream(key);
      if (s != null && (s.status() == StreamStatus.CREATING || s.status() == StreamStatus.UPDATING)) {
        d.put(s.toBuilder().status(StreamStatus.ACTIVE).build());
      }
      return null;
    });
  }

  /** AWS's shard limit check, with its exact wording, against {@code streams} (the metadata a change works on). */
  void checkShardLimit(Collection<StreamMeta> streams, String account, String region, int additionalShards) {
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

  /** LimitExceeded if one more ON_DEMAND stream would pass the account's limit. */
  void checkOnDemandLimit(Collection<StreamMeta> streams, StreamKey key) {
    if (onDemandStreamCount(streams, key.account(), key.region()) >= limits.onDemandStreamLimit()) {
      throw new KinesisException.LimitExceeded("This request would exceed the on-demand stream count limit of "
          + limits.onDemandStreamLimit() + " for the account " + key.account() + " in " + key.region() + ".");
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
      List<ConsumerMeta> registered = ConsumerRegistry.consumersOf(d, key);
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
      registered.forEach(consumers::gone);
      Future<Void> gone = Delay.of(vertx, limits.deleteStreamMillis()).compose(v -> finishDelete(key));
      return limits.deleteStreamMillis() == 0 ? gone : Future.succeededFuture();
    });
  }

  /** Stops the shards, deletes their files and forgets the stream; failures are logged and tried again later. */
  private Future<Void> finishDelete(StreamKey key) {
    return shards.undeployAll(key)
        .compose(v -> vertx.executeBlocking(() -> {
          shards.deleteFiles(key);
          return null;
        }))
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
   * the result. {@link StreamSettings} has the changes of the settings actions.
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
        Delay.of(vertx, limits.updateStreamMillis()).compose(v -> activate(key));
      }
    });
  }

  /** ResourceInUse unless the stream is ACTIVE, in AWS's words. */
  public static void requireActive(StreamMeta m) {
    if (m.status() != StreamStatus.ACTIVE) {
      throw new KinesisException.ResourceInUse(m.key().describe() + " not ACTIVE, instead in state "
          + m.status());
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

  private Future<Void> deployShards(StreamMeta stream) {
    List<Future<?>> deployed = new ArrayList<>();
    for (ShardMeta shard : stream.shards()) {
      deployed.add(shards.deploy(stream, shard));
    }
    return Future.all(deployed).mapEmpty();
  }
}
