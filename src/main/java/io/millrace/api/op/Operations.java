package io.millrace.api.op;

import io.millrace.shard.TokenSigner;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.DataPlane;
import io.millrace.stream.StreamRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Kinesis's dispatch table: action name to {@link Operation}. Immutable once built. */
public final class Operations implements Service {

  /** Kinesis's X-Amz-Target prefix. */
  public static final String TARGET_PREFIX = "Kinesis_20131202";

  /**
   * Kinesis actions that exist in AWS but that this version does not serve yet; they answer a clear
   * UnknownOperationException naming the action rather than a generic one.
   */
  public static final Set<String> NOT_YET_SERVED = Set.of("UpdateStreamWarmThroughput");

  private final Map<String, Operation<?, ?>> byName = new HashMap<>();

  public Operations(ControlPlane plane, DataPlane data, TokenSigner signer) {
    StreamRegistry streams = plane.streams();
    List<List<Operation<?, ?>>> families = List.of(StreamOps.all(plane, signer),
        List.of(new ListShards(streams, signer)), RecordOps.all(data), TagOps.all(plane),
        StreamSettingsOps.all(streams), ReshardOps.all(plane.resharder()), AccountOps.all(streams),
        ConsumerOps.all(plane, signer));
    for (List<Operation<?, ?>> family : families) {
      for (Operation<?, ?> op : family) {
        if (byName.put(op.name(), op) != null) {
          throw new IllegalStateException("two operations named " + op.name());
        }
      }
    }
  }

  @Override
  public String targetPrefix() {
    return TARGET_PREFIX;
  }

  @Override
  public String signingName() {
    return "kinesis";
  }

  @Override
  public Operation<?, ?> find(String name) {
    return byName.get(name);
  }

  @Override
  public String notServed(String action) {
    return NOT_YET_SERVED.contains(action) ? action + " is not served by this version of Millrace yet." : null;
  }

  public Set<String> names() {
    return Set.copyOf(byName.keySet());
  }
}
