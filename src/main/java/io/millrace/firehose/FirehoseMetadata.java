package io.millrace.firehose;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every delivery stream at one instant. Immutable; a change works on a {@link Draft} and {@link FirehoseCommitter}
 * publishes the next value once it is durable.
 */
public final class FirehoseMetadata {

  static final FirehoseMetadata EMPTY = new FirehoseMetadata(Map.of());

  private final Map<DeliveryStreamKey, DeliveryStreamMeta> streams;

  private FirehoseMetadata(Map<DeliveryStreamKey, DeliveryStreamMeta> streams) {
    this.streams = streams;
  }

  static FirehoseMetadata of(List<DeliveryStreamMeta> streams) {
    Map<DeliveryStreamKey, DeliveryStreamMeta> byKey = new HashMap<>();
    streams.forEach(s -> byKey.put(s.key(), s));
    return new FirehoseMetadata(Map.copyOf(byKey));
  }

  public Map<DeliveryStreamKey, DeliveryStreamMeta> streams() {
    return streams;
  }

  Draft draft() {
    return new Draft(this);
  }

  /** The working copy of one change; used on the committer's context by one change at a time. */
  public static final class Draft {
    private final FirehoseMetadata base;
    private final Map<DeliveryStreamKey, DeliveryStreamMeta> streams;
    private boolean changed;

    private Draft(FirehoseMetadata base) {
      this.base = base;
      this.streams = new HashMap<>(base.streams);
    }

    public DeliveryStreamMeta stream(DeliveryStreamKey key) {
      return streams.get(key);
    }

    public List<DeliveryStreamMeta> streams() {
      return List.copyOf(streams.values());
    }

    public void put(DeliveryStreamMeta stream) {
      streams.put(stream.key(), stream);
      changed = true;
    }

    public void remove(DeliveryStreamKey key) {
      changed |= streams.remove(key) != null;
    }

    FirehoseMetadata build() {
      return changed ? new FirehoseMetadata(Map.copyOf(streams)) : base;
    }
  }
}
