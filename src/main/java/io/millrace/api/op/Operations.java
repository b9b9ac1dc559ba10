package io.millrace.api.op;

import io.millrace.api.auth.Authorizer;
import io.millrace.api.model.Requests;
import io.millrace.api.validate.Validated;
import io.millrace.metrics.KinesisMetrics;
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

  public Operations(ControlPlane plane, DataPlane data, TokenSigner signer, KinesisMetrics metrics) {
    this.plane = plane;
    this.signer = signer;
    StreamRegistry streams = plane.streams();
    this.authorizer = new Authorizer(streams::policy);
    List<List<Operation<?, ?>>> families = List.of(StreamOps.all(plane, signer),
        List.of(new ListShards(streams, signer)), RecordOps.all(data, metrics), TagOps.all(plane),
        StreamSettingsOps.all(streams), ReshardOps.all(plane.resharder()), AccountOps.all(streams, plane.consumers()),
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
   * SubscribeToShard and the consumer actions that name one, the ARN a tag or resource policy action names, the
   * stream otherwise (a GetRecords's from its iterator, a continued ListShards's from its NextToken); {@code *} for
   * ListStreams and the account actions. Stream ARNs are given as the server writes them, so a policy names what the
   * action touches.
   */
  @Override
  public String resourceOf(String action, Validated request, RequestScope scope) {
    if (request instanceof Requests.SubscribeToShardRequest r) {
      return r.consumerARN();
    }
    if (request instanceof Requests.ResourcePolicyRequest r) {
      return resourceArn(r.resourceARN());
    }
    if (request instanceof Requests.TagResourceRequest r) {
      return resourceArn(r.resourceARN());
    }
    if (request instanceof Requests.UntagResourceRequest r) {
      return resourceArn(r.resourceARN());
    }
    if (request instanceof Requests.ListTagsForResourceRequest r) {
      return resourceArn(r.resourceARN());
    }
    if (request instanceof Requests.StreamConsumerRequest r) {
      if (r.consumerARN() != null || r.streamARN() == null) {
        return r.consumerARN() != null ? r.consumerARN() : "*";
      }
      StreamKey stream = RequestScope.parseStreamArn(r.streamARN());
      return plane.consumers().consumer(stream, r.consumerName()).map(ConsumerMeta::arn).orElse(stream.arn());
    }
    if (request instanceof Requests.RegisterStreamConsumerRequest r) {
      return RequestScope.parseStreamArn(r.streamARN()).arn();
    }
    if (request instanceof Requests.ListStreamConsumersRequest r) {
      return RequestScope.parseStreamArn(r.streamARN()).arn();
    }
    if (request instanceof Requests.CreateStreamRequest r) {
      return new StreamKey(scope.account(), scope.region(), r.streamName()).arn();
    }
    if (request instanceof Requests.GetRecordsRequest r) {
      return r.streamARN() != null ? RequestScope.parseStreamArn(r.streamARN()).arn()
          : ShardIterator.decode(r.shardIterator(), signer)
              .map(it -> new StreamKey(it.account(), it.region(), it.streamName()).arn()).orElse("*");
    }
    if (request instanceof Requests.ListShardsRequest r && r.nextToken() != null && r.streamName() == null
        && r.streamARN() == null) {
      return ListShards.streamOf(r.nextToken(), signer).map(StreamKey::arn).orElse("*");
    }
    if (request instanceof Requests.StreamScoped r && (r.streamName() != null || r.streamARN() != null)) {
      return scope.streamKey(r).arn();
    }
    return "*";
  }

  /** A stream ARN as the server writes it; a consumer's (or anything else) as given. */
  private static String resourceArn(String arn) {
    return TagOps.isConsumer(arn) ? arn : RequestScope.parseStreamArn(arn).arn();
  }

  public Set<String> names() {
    return Set.copyOf(byName.keySet());
  }
}
