package io.millrace.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * All control-plane metadata at one instant: streams, registered consumers, resource policies and account settings.
 * Immutable; a change works on a {@link Draft} and {@link MetadataCommitter} publishes the resulting value once it is
 * durable. Readers on any thread take one value and see a consistent whole.
 */
public final class Metadata {

  static final Metadata EMPTY = new Metadata(Map.of(), Map.of(), Map.of(), Map.of());

  private final Map<StreamKey, StreamMeta> streams;
  private final Map<String, ConsumerMeta> consumers;
  private final Map<String, String> policies;
  private final Map<String, AccountSettings> accounts;

  private Metadata(Map<StreamKey, StreamMeta> streams, Map<String, ConsumerMeta> consumers,
                   Map<String, String> policies, Map<String, AccountSettings> accounts) {
    this.streams = streams;
    this.consumers = consumers;
    this.policies = policies;
    this.accounts = accounts;
  }

  /** The metadata a snapshot holds. */
  static Metadata of(RegistrySnapshot snapshot) {
    Draft draft = EMPTY.draft();
    snapshot.streams().forEach(draft::put);
    snapshot.consumers().forEach(draft::put);
    draft.policies.putAll(snapshot.resourcePolicies());
    draft.accounts.putAll(snapshot.accountSettings());
    return draft.build();
  }

  /** The persisted form. */
  RegistrySnapshot snapshot() {
    return new RegistrySnapshot(RegistrySnapshot.VERSION, new ArrayList<>(streams.values()), new HashMap<>(policies),
        new HashMap<>(accounts), new ArrayList<>(consumers.values()));
  }

  public Map<StreamKey, StreamMeta> streams() {
    return streams;
  }

  public Map<String, ConsumerMeta> consumers() {
    return consumers;
  }

  public Map<String, String> policies() {
    return policies;
  }

  public Map<String, AccountSettings> accounts() {
    return accounts;
  }

  /** A mutable copy to change; {@link Draft#build()} gives the next value. */
  Draft draft() {
    return new Draft(this);
  }

  /**
   * The working copy of one change. Used on the committer's context only, by one change at a time; its getters see
   * the change's own edits.
   */
  public static final class Draft {
    private final Metadata base;
    private final Map<StreamKey, StreamMeta> streams;
    private final Map<String, ConsumerMeta> consumers;
    private final Map<String, String> policies;
    private final Map<String, AccountSettings> accounts;
    private boolean changed;

    private Draft(Metadata base) {
      this.base = base;
      this.streams = new HashMap<>(base.streams);
      this.consumers = new HashMap<>(base.consumers);
      this.policies = new HashMap<>(base.policies);
      this.accounts = new HashMap<>(base.accounts);
    }

    public StreamMeta stream(StreamKey key) {
      return streams.get(key);
    }

    public List<StreamMeta> streams() {
      return List.copyOf(streams.values());
    }

    public void put(StreamMeta stream) {
      streams.put(stream.key(), stream);
      changed = true;
    }

    public void removeStream(StreamKey key) {
      changed |= streams.remove(key) != null;
    }

    public ConsumerMeta consumer(String arn) {
      return consumers.get(arn);
    }

    public List<ConsumerMeta> consumers() {
      return List.copyOf(consumers.values());
    }

    public void put(ConsumerMeta consumer) {
      consumers.put(consumer.arn(), consumer);
      changed = true;
    }

    /** Removes a consumer, and its resource policy with it. */
    public void removeConsumer(String arn) {
      changed |= consumers.remove(arn) != null;
      changed |= policies.remove(arn) != null;
    }

    public void putPolicy(String arn, String policy) {
      policies.put(arn, policy);
      changed = true;
    }

    public void removePolicy(String arn) {
      changed |= policies.remove(arn) != null;
    }

    public void putAccount(String account, AccountSettings settings) {
      accounts.put(account, settings);
      changed = true;
    }

    /** The next value, or the base itself when nothing was changed (then there is nothing to persist). */
    Metadata build() {
      if (!changed) {
        return base;
      }
      return new Metadata(Map.copyOf(streams), Map.copyOf(consumers), Map.copyOf(policies), Map.copyOf(accounts));
    }
  }
}
