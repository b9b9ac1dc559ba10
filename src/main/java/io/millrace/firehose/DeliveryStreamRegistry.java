package io.millrace.firehose;

import io.millrace.concurrent.Delay;
import io.millrace.error.KinesisException;
import io.millrace.firehose.DeliveryStreamMeta.Destination;
import io.millrace.firehose.DeliveryStreamMeta.Encryption;
import io.millrace.firehose.FirehoseConfig.Tag;
import io.millrace.meta.Committer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firehose's control plane: delivery streams, their states, configuration versions, encryption and tags, each change
 * made durable by the {@link FirehoseCommitter} before anyone sees it, and the running deliveries kept in step
 * ({@link DeliveryRuntime}).
 *
 * <p>States as in Firehose: a new delivery stream is CREATING until its delivery runs and {@code createMillis} passed,
 * then ACTIVE; DeleteDeliveryStream makes it DELETING, and after {@code deleteMillis} its delivery stops and its
 * files go. With no delay (the default) each call answers once its transition is over. A restart finishes any
 * transition a crash interrupted.
 *
 * <p>Thread-safe: reads take the committed metadata; changes run one at a time on the committer's context.
 */
public final class DeliveryStreamRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryStreamRegistry.class);

  /** Tags a delivery stream carries at most (Firehose's limit). */
  public static final int MAX_TAGS = 50;

  /**
   * @param deliveryStreamLimit delivery streams allowed per account and region
   * @param createMillis        time spent CREATING
   * @param deleteMillis        time spent DELETING
   */
  public record Limits(int deliveryStreamLimit, long createMillis, long deleteMillis) {}

  /** What the registry asks of the running deliveries. */
  public interface DeliveryRuntime {
    /** Starts (or, after a restart, resumes) the delivery of a stream; idempotent. */
    Future<Void> deploy(DeliveryStreamMeta stream);

    /** Hands a running delivery its new configuration (it applies from its next batch on). */
    void reconfigure(DeliveryStreamMeta stream);

    /** Stops the delivery and deletes what it kept on disk. */
    Future<Void> remove(DeliveryStreamKey key);
  }

  private final Vertx vertx;
  private final FirehoseCommitter committer;
  private final DeliveryRuntime runtime;
  private final Limits limits;
  private final Clock clock;

  public DeliveryStreamRegistry(Vertx vertx, FirehoseCommitter committer, DeliveryRuntime runtime, Limits limits,
                                Clock clock) {
    this.vertx = vertx;
    this.committer = committer;
    this.runtime = runtime;
    this.limits = limits;
    this.clock = clock;
  }

  public Clock clock() {
    return clock;
  }

  /** Loads the delivery streams, resumes their deliveries and finishes interrupted transitions. */
  public Future<Void> start() {
    return committer.load().compose(metadata -> {
      List<Future<?>> starts = new ArrayList<>();
      for (DeliveryStreamMeta s : metadata.streams().values()) {
        starts.add(s.status() == DeliveryStreamStatus.DELETING ? finishDelete(s.key())
            : runtime.deploy(s).compose(v -> s.status() == DeliveryStreamStatus.ACTIVE ? Future.succeededFuture()
                : activate(s.key())));
      }
      LOG.info("Loaded {} delivery streams", metadata.streams().size());
      return Future.all(starts).mapEmpty();
    });
  }

  // ---- reads (any thread) ----

  public Optional<DeliveryStreamMeta> find(DeliveryStreamKey key) {
    return Optional.ofNullable(committer.current().streams().get(key));
  }

  /** The delivery stream, or ResourceNotFound in Firehose's words. */
  public DeliveryStreamMeta require(DeliveryStreamKey key) {
    return require(committer.current().streams().get(key), key);
  }

  private static DeliveryStreamMeta require(DeliveryStreamMeta m, DeliveryStreamKey key) {
    if (m == null) {
      throw notFound(key);
    }
    return m;
  }

  public static KinesisException notFound(DeliveryStreamKey key) {
    return new KinesisException.ResourceNotFound(key.describe() + " not found.");
  }

  /** The delivery stream if it takes records (ACTIVE), else the error Firehose answers a put with. */
  public DeliveryStreamMeta requireActive(DeliveryStreamKey key) {
    DeliveryStreamMeta m = require(key);
    if (m.status() != DeliveryStreamStatus.ACTIVE) {
      throw new KinesisException.ResourceNotFound(key.describe() + " is not ACTIVE, but " + m.status()
          + "; it takes records once it is ACTIVE.");
    }
    return m;
  }

  /** The account's delivery streams in a region, by name, optionally of one type only. */
  public List<DeliveryStreamMeta> list(String account, String region, String type) {
    return committer.current().streams().values().stream()
        .filter(s -> s.key().account().equals(account) && s.key().region().equals(region))
        .filter(s -> type == null || type.equals(s.type()))
        .sorted(Comparator.comparing(s -> s.key().name())).toList();
  }

  // ---- lifecycle ----

  /**
   * Creates a delivery stream: CREATING once durable, ACTIVE once its delivery runs and the create delay passed. With
   * no delay the future completes with the ACTIVE stream. A delivery that cannot start undoes the creation.
   */
  public Future<DeliveryStreamMeta> create(DeliveryStreamMeta proposed) {
    DeliveryStreamKey key = proposed.key();
    return committer.commit(d -> {
      if (d.stream(key) != null) {
        throw new KinesisException.ResourceInUse(key.describe() + " already exists.");
      }
      long existing = d.streams().stream().filter(s -> s.key().account().equals(key.account())
          && s.key().region().equals(key.region())).count();
      if (existing >= limits.deliveryStreamLimit()) {
        throw new KinesisException.LimitExceeded("You have already consumed your firehose quota of "
            + limits.deliveryStreamLimit() + " hoses. Firehose names: " + names(d, key) + ".");
      }
      d.put(proposed);
      return proposed;
    }).compose(created -> {
      Future<DeliveryStreamMeta> started = runtime.deploy(created).recover(e -> abandonCreate(key, e))
          .compose(v -> Delay.of(vertx, limits.createMillis()))
          .compose(v -> activate(key))
          .map(v -> find(key).orElse(created));
      if (limits.createMillis() == 0) {
        return started;
      }
      started.onFailure(e -> LOG.error("Delivery stream {} could not be started", key.arn(), e));
      return Future.succeededFuture(created);
    });
  }

  private static List<String> names(FirehoseMetadata.Draft d, DeliveryStreamKey key) {
    return d.streams().stream().filter(s -> s.key().account().equals(key.account())
        && s.key().region().equals(key.region())).map(s -> s.key().name()).sorted().toList();
  }

  private Future<Void> abandonCreate(DeliveryStreamKey key, Throwable cause) {
    LOG.error("The delivery of new delivery stream {} could not start; it is removed again", key.arn(), cause);
    return runtime.remove(key)
        .transform(ar -> committer.commitEventually("removal of delivery stream " + key.arn()
            + " that could not start", d -> {
              DeliveryStreamMeta s = d.stream(key);
              if (s != null && s.status() == DeliveryStreamStatus.CREATING) {
                d.remove(key);
              }
              return null;
            }))
        .transform(ar -> Future.failedFuture(new KinesisException.InternalFailure("The delivery of "
            + key.describe() + " could not be started; it was not created. The server log says why; retry "
            + "CreateDeliveryStream.")));
  }

  /** Ends CREATING, retried until durable; a stream deleted meanwhile stays DELETING. */
  private Future<Void> activate(DeliveryStreamKey key) {
    return committer.commitEventually("the activation of delivery stream " + key.arn(), d -> {
      DeliveryStreamMeta s = d.stream(key);
      if (s != null && s.status() == DeliveryStreamStatus.CREATING) {
        d.put(s.withStatus(DeliveryStreamStatus.ACTIVE));
      }
      return null;
    });
  }

  /**
   * DeleteDeliveryStream: DELETING at once, gone (delivery stopped, undelivered records and files deleted) after the
   * delete delay; with no delay, before the future completes. A CREATING stream is refused as Firehose refuses it.
   */
  public Future<Void> delete(DeliveryStreamKey key) {
    return committer.commit(d -> {
      DeliveryStreamMeta m = require(d.stream(key), key);
      if (m.status() == DeliveryStreamStatus.DELETING) {
        return false;
      }
      if (m.status() == DeliveryStreamStatus.CREATING) {
        throw new KinesisException.ResourceInUse(key.describe() + " is not ACTIVE, but CREATING; delete it once "
            + "it is ACTIVE.");
      }
      d.put(m.withStatus(DeliveryStreamStatus.DELETING));
      return true;
    }).compose(deleting -> {
      if (!deleting) {
        return Future.succeededFuture();
      }
      Future<Void> gone = Delay.of(vertx, limits.deleteMillis()).compose(v -> finishDelete(key));
      return limits.deleteMillis() == 0 ? gone : Future.succeededFuture();
    });
  }

  private Future<Void> finishDelete(DeliveryStreamKey key) {
    return runtime.remove(key)
        .compose(v -> committer.commitEventually("the removal of deleted delivery stream " + key.arn(), d -> {
          d.remove(key);
          return null;
        }))
        .recover(e -> {
          LOG.warn("The files of deleted delivery stream {} could not be removed ({}); trying again in {} ms",
              key.arn(), e.toString(), Committer.MAX_RETRY_MILLIS);
          vertx.setTimer(Committer.MAX_RETRY_MILLIS, id -> finishDelete(key));
          return Future.succeededFuture();
        });
  }

  // ---- configuration ----

  /**
   * UpdateDestination: {@code update} turns the current destination into the next one (it may throw to refuse), on
   * the version the caller read; a stale version is ConcurrentModificationException, as in Firehose. The running
   * delivery takes the new configuration from its next batch on.
   */
  public Future<DeliveryStreamMeta> updateDestination(DeliveryStreamKey key, String currentVersionId,
                                                      String destinationId, UnaryOperator<Destination> update) {
    return change(key, m -> {
      if (!String.valueOf(m.versionId()).equals(currentVersionId)) {
        throw new KinesisException.ConcurrentModification("Cannot update firehose: " + key.name() + " since the "
            + "current version id: " + m.versionId() + " and specified version id: " + currentVersionId
            + " do not match");
      }
      if (!DeliveryStreamMeta.DESTINATION_ID.equals(destinationId)) {
        throw new KinesisException.InvalidArgument("Destination Id " + destinationId + " not found for "
            + key.describe() + ".");
      }
      return m.withDestination(update.apply(m.destination()), clock.millis());
    }).onSuccess(runtime::reconfigure);
  }

  /** Start/StopDeliveryStreamEncryption: the encryption of a Direct PUT delivery stream changes at once. */
  public Future<DeliveryStreamMeta> encryption(DeliveryStreamKey key, Encryption next) {
    return change(key, m -> {
      if (!m.directPut()) {
        throw new KinesisException.InvalidArgument("Server-side encryption is not supported for delivery streams "
            + "with a source other than Direct PUT; " + key.describe() + " reads a Kinesis stream.");
      }
      return m.withEncryption(next, clock.millis());
    }).onSuccess(runtime::reconfigure);
  }

  /** TagDeliveryStream: adds or replaces tags, at most {@value #MAX_TAGS} in all. */
  public Future<DeliveryStreamMeta> tag(DeliveryStreamKey key, List<Tag> tags) {
    return change(key, m -> {
      TreeMap<String, Tag> merged = new TreeMap<>();
      m.tags().forEach(t -> merged.put(t.key(), t));
      tags.forEach(t -> merged.put(t.key(), t));
      if (merged.size() > MAX_TAGS) {
        throw new KinesisException.LimitExceeded("A delivery stream cannot have more than " + MAX_TAGS + " tags; "
            + key.describe() + " would have " + merged.size() + ".");
      }
      return m.withTags(new ArrayList<>(merged.values()));
    });
  }

  /** UntagDeliveryStream: removes the tags with these keys (keys it does not carry are ignored). */
  public Future<DeliveryStreamMeta> untag(DeliveryStreamKey key, List<String> keys) {
    return change(key, m -> m.withTags(m.tags().stream().filter(t -> !keys.contains(t.key())).toList()));
  }

  private Future<DeliveryStreamMeta> change(DeliveryStreamKey key, UnaryOperator<DeliveryStreamMeta> change) {
    return committer.commit(d -> {
      DeliveryStreamMeta next = change.apply(require(d.stream(key), key));
      d.put(next);
      return next;
    });
  }
}
