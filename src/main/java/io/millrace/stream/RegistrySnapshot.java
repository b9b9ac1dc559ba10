package io.millrace.stream;

import java.util.List;
import java.util.Map;

/**
 * The persisted form of all control-plane metadata. Format version 1, written as JSON by {@link MetadataStore}.
 *
 * @param version          format version, 1
 * @param streams          every stream, in any state
 * @param resourcePolicies resource ARN to policy document
 * @param accountSettings  account id to its settings
 */
public record RegistrySnapshot(int version, List<StreamMeta> streams, Map<String, String> resourcePolicies,
                               Map<String, AccountSettings> accountSettings) {

  public static final int VERSION = 1;

  public static RegistrySnapshot empty() {
    return new RegistrySnapshot(VERSION, List.of(), Map.of(), Map.of());
  }
}
