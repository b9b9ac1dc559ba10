package io.millrace.stream;

import io.millrace.concurrent.Delay;
import io.millrace.error.KinesisException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registered (enhanced fan-out) stream consumers: RegisterStreamConsumer, DeregisterStreamConsumer, their states
 * (CREATING, ACTIVE, DELETING, with configurable delays) and AWS's limits, durable through the shared
 * {@link MetadataCommitter} like every control-plane change. With no delay, a consumer is ACTIVE when its registration
 * completes and gone when its deregistration does.
 *
 * <p><b>Threading.</b> Reads are lock-free from any thread; changes run on the committer's context. Consumer-gone
 * listeners are called on whatever context completed the change.
 */
public final class ConsumerRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerRegistry.class);

  private final Vertx vertx;
  private final MetadataCommitter committer;
  private final ControlPlane.Limits limits;
  private final Clock clock;
  private final List<Consumer<ConsumerMeta>> goneListeners = new CopyOnWriteArrayList<>();

  ConsumerRegistry(Vertx vertx, MetadataCommitter committer, ControlPlane.Limits limits, Clock clock) {
    this.vertx = vertx;
    this.committer = committer;
    this.limits = limits;
    this.clock = clock;
  }

  /** Finishes the consumer transitions a stop interrupted. */
  Future<Void> start(Metadata metadata) {
    List<Future<?>> transitions = new ArrayList<>();
    for (ConsumerMeta c : metadata.consumers().values()) {
      if (c.status() == ConsumerStatus.CREATING) {
        transitions.add(activate(c.arn()));
      } else if (c.status() == ConsumerStatus.DELETING) {
        transitions.add(forget(c.arn()));
      }
    }
    return Future.all(transitions).mapEmpty();
  }

  // ---- reads (any thread) ----

  /** The stream's consumers in any state, sorted by creation time then name. */
  public List<ConsumerMeta> consumers(StreamKey stream) {
    return sorted(committer.current().consumers().values(), stream);
  }

  /** The stream's consumers in the metadata a change works on. */
  static List<ConsumerMeta> consumersOf(Metadata.Draft draft, StreamKey stream) {
    return sorted(draft.consumers(), stream);
  }

  private static List<ConsumerMeta> sorted(Collection<ConsumerMeta> all, StreamKey stream) {
    return all.stream().filter(c -> c.stream().equals(stream))
        .sorted(Comparator.comparingLong(ConsumerMeta::createdSeconds).thenComparing(ConsumerMeta::name)).toList();
  }

  public Optional<ConsumerMeta> consumer(String arn) {
    return Optional.ofNullable(committer.current().consumers().get(arn));
  }

  public Optional<ConsumerMeta> consumer(StreamKey stream, String name) {
    return consumers(stream).stream().filter(c -> c.name().equals(name)).findFirst();
  }

  public static KinesisException notFound(String arn) {
    return new KinesisException.ResourceNotFound("Consumer " + arn + " not found.");
  }

  // ---- changes ----

  /**
   * Registers a consumer in CREATING; it turns ACTIVE after {@code consumerCreateMillis} (with no delay it is ACTIVE
   * at once). ResourceInUse if the name is taken on this stream, LimitExceeded over
   * {@value KinesisLimits#MAX_CONSUMERS_PER_STREAM} consumers or {@value KinesisLimits#MAX_CONSUMERS_CREATING} creating at once.
   */
  public Future<ConsumerMeta> register(StreamKey stream, String name, Map<String, String> tags) {
    return committer.commit(d -> {
      StreamMeta s = StreamRegistry.require(d.stream(stream), stream);
      if (s.status() == StreamStatus.DELETING) {
        throw StreamRegistry.notFound(stream);
      }
      List<ConsumerMeta> existing = consumersOf(d, stream);
      if (existing.stream().anyMatch(c -> c.name().equals(name))) {
        throw new KinesisException.ResourceInUse("Consumer " + name + " under stream " + stream.name()
            + " already exists for account " + stream.account() + ".");
      }
      if (existing.size() >= KinesisLimits.MAX_CONSUMERS_PER_STREAM) {
        throw new KinesisException.LimitExceeded("Consumer limit of " + KinesisLimits.MAX_CONSUMERS_PER_STREAM
            + " exceeded for stream " + stream.arn() + ".");
      }
      if (existing.stream().filter(c -> c.status() == ConsumerStatus.CREATING).count() >= KinesisLimits.MAX_CONSUMERS_CREATING) {
        throw new KinesisException.LimitExceeded("Stream " + stream.arn() + " already has "
            + KinesisLimits.MAX_CONSUMERS_CREATING + " consumers in CREATING state; retry once they are ACTIVE.");
      }
      ConsumerStatus status = limits.consumerCreateMillis() == 0 ? ConsumerStatus.ACTIVE : ConsumerStatus.CREATING;
      ConsumerMeta created = new ConsumerMeta(stream, name, clock.millis() / 1000, status, tags);
      d.put(created);
      return created;
    }).onSuccess(c -> {
      if (c.status() == ConsumerStatus.CREATING) {
        Delay.of(vertx, limits.consumerCreateMillis()).compose(v -> activate(c.arn()));
      }
    });
  }

  /**
   * Moves a consumer to DELETING (ending its subscriptions at once); it is gone after {@code consumerDeleteMillis}
   * (with no delay, at once).
   */
  public Future<Void> deregister(String arn) {
    return committer.commit(d -> {
      ConsumerMeta c = d.consumer(arn);
      if (c == null) {
        throw notFound(arn);
      }
      ConsumerMeta deleting = c.withStatus(ConsumerStatus.DELETING);
      if (limits.consumerDeleteMillis() == 0) {
        d.removeConsumer(arn);
      } else {
        d.put(deleting);
      }
      return deleting;
    }).compose(c -> {
      gone(c);
      if (limits.consumerDeleteMillis() > 0) {
        Delay.of(vertx, limits.consumerDeleteMillis()).compose(v -> forget(arn));
      }
      return Future.succeededFuture();
    });
  }

  /** Applies {@code change} to a consumer (it may throw to refuse) and persists the result. */
  public Future<ConsumerMeta> change(String arn, UnaryOperator<ConsumerMeta> change) {
    return committer.commit(d -> {
      ConsumerMeta before = d.consumer(arn);
      if (before == null) {
        throw notFound(arn);
      }
      ConsumerMeta updated = change.apply(before);
      d.put(updated);
      return updated;
    });
  }

  private Future<Void> activate(String arn) {
    return committer.commitEventually("the activation of consumer " + arn, d -> {
      ConsumerMeta c = d.consumer(arn);
      if (c != null && c.status() == ConsumerStatus.CREATING) {
        d.put(c.withStatus(ConsumerStatus.ACTIVE));
      }
      return null;
    });
  }

  private Future<Void> forget(String arn) {
    return committer.commitEventually("the removal of deregistered consumer " + arn, d -> {
      d.removeConsumer(arn);
      return null;
    });
  }

  // ---- consumers that go ----

  /**
   * Calls {@code listener} (quick, on any context) each time a consumer stops being usable: deregistered (from the
   * moment it is DELETING) or removed with its stream. Live subscriptions end on it.
   */
  public void onConsumerGone(Consumer<ConsumerMeta> listener) {
    goneListeners.add(listener);
  }

  /** Tells the listeners that {@code c} is gone (deregistered, or removed with its stream). */
  void gone(ConsumerMeta c) {
    for (Consumer<ConsumerMeta> listener : goneListeners) {
      try {
        listener.accept(c);
      } catch (RuntimeException e) {
        LOG.warn("Consumer-gone listener failed for {}", c.arn(), e);
      }
    }
  }
}
