package io.millrace.stream;

import java.util.List;
import java.util.Map;

/**
 * The persisted form of all control-plane metadata, written as JSON by {@link MetadataStore}. Format version 2;
 * version 1 (before registered consumers) is still read, with no consumers.
 *
 * @param version          format version, 1 or 2
 * @param streams          every stream, in any state
 * @param resourcePolicies resource ARN to policy document
 * @param accountSettings  account id to its settings
 * @param consumers        every registered stream consumer, in any state (version 2)
 */
public record RegistrySnapshot(int version, List<StreamMeta> streams, Map<String, String> resourcePolicies,
                               Map<String, AccountSettings> accountSettings, List<ConsumerMeta> consumers) {

  public static final int VERSION = 2;

  /** The oldest version {@link MetadataStore} still reads. */
  public static final int OLDEST_READABLE_VERSION = 1;

  public RegistrySnapshot {
    consumers = consumers == null ? List.of() : List.copyOf(consumers);
  }

  public static RegistrySnapshot empty() {
    return new RegistrySnapshot(VERSION, List.of(), Map.of(), Map.of(), List.of());
  }
}
