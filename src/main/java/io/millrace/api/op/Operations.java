package io.millrace.api.op;

import io.millrace.api.auth.Authorizer;
import io.millrace.api.model.Requests;
import io.millrace.api.validate.Validated;
import io.millrace.shard.ShardIterator;
import io.millrace.shard.TokenSigner;
import io.millrace.stream.ConsumerMeta;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.DataPlane;
import io.millrace.stream.StreamKey;
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
  private final ControlPlane plane;
  private final TokenSigner signer;
  private final Authorizer authorizer;

  public Operations(ControlPlane plane, DataPlane data, TokenSigner signer) {
    this.plane = plane;
    this.signer = signer;
    StreamRegistry streams = plane.streams();
    this.authorizer = new Authorizer(streams::policy);
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

  @Override
  public Authorizer authorizer() {
    return authorizer;
  }

  /**
   * The stream or consumer a request acts on, as IAM's Kinesis resource types name them: the consumer for
   * SubscribeToShard and the consumer actions that name one, the policy's resource for the resource policy actions,
   * the stream otherwise (a GetRecords's from its iterator); {@code *} for ListStreams and the account actions, and
   * for a ListShards continued by NextToken alone.
   */
  @Override
  public String resourceOf(String action, Validated request, RequestScope scope) {
    if (request instanceof Requests.SubscribeToShardRequest r) {
      return r.consumerARN();
    }
    if (request instanceof Requests.ResourcePolicyRequest r) {
      return r.resourceARN();
    }
    if (request instanceof Requests.StreamConsumerRequest r) {
      if (r.consumerARN() != null || r.streamARN() == null) {
        return r.consumerARN() != null ? r.consumerARN() : "*";
      }
      StreamKey stream = RequestScope.parseStreamArn(r.streamARN());
      return plane.consumers().consumer(stream, r.consumerName()).map(ConsumerMeta::arn).orElse(r.streamARN());
    }
    if (request instanceof Requests.RegisterStreamConsumerRequest r) {
      return r.streamARN();
    }
    if (request instanceof Requests.ListStreamConsumersRequest r) {
      return r.streamARN();
    }
    if (request instanceof Requests.GetRecordsRequest r) {
      return r.streamARN() != null ? r.streamARN() : ShardIterator.decode(r.shardIterator(), signer)
          .map(it -> new StreamKey(it.account(), it.region(), it.streamName()).arn()).orElse("*");
    }
    if (request instanceof Requests.StreamScoped r && (r.streamName() != null || r.streamARN() != null)) {
      return scope.streamKey(r).arn();
    }
    return "*";
  }

  public Set<String> names() {
    return Set.copyOf(byName.keySet());
  }
}
