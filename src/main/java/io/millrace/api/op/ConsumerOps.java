package io.millrace.api.op;

import io.millrace.api.model.Requests.ListStreamConsumersRequest;
import io.millrace.api.model.Requests.RegisterStreamConsumerRequest;
import io.millrace.api.model.Requests.StreamConsumerRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.shard.TokenSigner;
import io.millrace.stream.ConsumerMeta;
import io.millrace.stream.ConsumerStatus;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.ControlPlane;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Registered (enhanced fan-out) consumers: RegisterStreamConsumer, DeregisterStreamConsumer,
 * DescribeStreamConsumer, ListStreamConsumers.
 */
final class ConsumerOps {

  private ConsumerOps() {}

  /** The consumer a request names by ConsumerARN, or by StreamARN and ConsumerName; ResourceNotFound if none. */
  static ConsumerMeta resolve(ControlPlane plane, String streamArn, String consumerName, String consumerArn) {
    if (consumerArn != null) {
      ConsumerMeta c = plane.consumers().consumer(consumerArn).orElseThrow(() -> ConsumerRegistry.notFound(consumerArn));
      if ((streamArn != null && !streamArn.equals(c.stream().arn()))
          || (consumerName != null && !consumerName.equals(c.name()))) {
        throw new KinesisException.InvalidArgument("ConsumerARN " + consumerArn
            + " does not match the StreamARN and ConsumerName given.");
      }
      return c;
    }
    if (streamArn == null || consumerName == null) {
      throw new KinesisException.InvalidArgument("Either ConsumerARN or both StreamARN and ConsumerName must be "
          + "provided.");
    }
    StreamKey stream = RequestScope.parseStreamArn(streamArn);
    plane.streams().require(stream);
    return plane.consumers().consumer(stream, consumerName).orElseThrow(() -> new KinesisException.ResourceNotFound(
        "Consumer " + consumerName + " under stream " + stream.name() + " not found for account "
            + stream.account() + "."));
  }

  static Responses.Consumer shape(ConsumerMeta c) {
    return new Responses.Consumer(c.name(), c.arn(), c.status().name(), Instant.ofEpochSecond(c.createdSeconds()));
  }

  static final class RegisterStreamConsumer
      extends BaseOperation<RegisterStreamConsumerRequest, Responses.RegisterStreamConsumerResponse> {
    private final ControlPlane plane;

    RegisterStreamConsumer(ControlPlane plane) {
      super("RegisterStreamConsumer", RegisterStreamConsumerRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.RegisterStreamConsumerResponse> handle(RegisterStreamConsumerRequest r,
                                                                   RequestScope scope) {
      if (r.tags() != null) {
        Tags.checkCharacters(TagOps.keysAndValues(r.tags()), "add tags to consumer " + r.consumerName());
      }
      // AWS always answers CREATING here; with no creation delay the consumer is ACTIVE already (Describe says so).
      return plane.consumers().register(RequestScope.parseStreamArn(r.streamARN()), r.consumerName(), r.tags())
          .map(c -> new Responses.RegisterStreamConsumerResponse(shape(c.withStatus(ConsumerStatus.CREATING))));
    }
  }

  static final class DeregisterStreamConsumer extends BaseOperation<StreamConsumerRequest, Responses.Empty> {
    private final ControlPlane plane;

    DeregisterStreamConsumer(ControlPlane plane) {
      super("DeregisterStreamConsumer", StreamConsumerRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.Empty> handle(StreamConsumerRequest r, RequestScope scope) {
      ConsumerMeta c = resolve(plane, r.streamARN(), r.consumerName(), r.consumerARN());
      return plane.consumers().deregister(c.arn()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class DescribeStreamConsumer
      extends BaseOperation<StreamConsumerRequest, Responses.DescribeStreamConsumerResponse> {
    private final ControlPlane plane;

    DescribeStreamConsumer(ControlPlane plane) {
      super("DescribeStreamConsumer", StreamConsumerRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.DescribeStreamConsumerResponse> handle(StreamConsumerRequest r, RequestScope scope) {
      ConsumerMeta c = resolve(plane, r.streamARN(), r.consumerName(), r.consumerARN());
      return Future.succeededFuture(new Responses.DescribeStreamConsumerResponse(new Responses.ConsumerDescription(
          c.name(), c.arn(), c.status().name(), Instant.ofEpochSecond(c.createdSeconds()), c.stream().arn())));
    }
  }

  static final class ListStreamConsumers
      extends BaseOperation<ListStreamConsumersRequest, Responses.ListStreamConsumersResponse> {
    private final ControlPlane plane;
    private final TokenSigner signer;

    ListStreamConsumers(ControlPlane plane, TokenSigner signer) {
      super("ListStreamConsumers", ListStreamConsumersRequest.class);
      this.plane = plane;
      this.signer = signer;
    }

    @Override
    public Future<Responses.ListStreamConsumersResponse> handle(ListStreamConsumersRequest r, RequestScope scope) {
      StreamKey key = RequestScope.parseStreamArn(r.streamARN());
      StreamMeta stream = plane.streams().require(key);
      if (r.streamCreationTimestamp() != null
          && r.streamCreationTimestamp().toEpochMilli() / 1000 != stream.createdMillis() / 1000) {
        throw new KinesisException.ResourceNotFound(key.describe() + " with creation timestamp "
            + r.streamCreationTimestamp() + " not found.");
      }
      String listScope = "consumers:" + key.arn() + ":" + stream.createdMillis();
      int limit = r.maxResults() == null ? 100 : Math.min(r.maxResults(), 100);
      String after = null;
      if (r.nextToken() != null) {
        PageToken token = PageToken.decode(r.nextToken(), signer).filter(t -> t.scope().equals(listScope))
            .orElseThrow(() -> new KinesisException.InvalidArgument("Invalid NextToken."));
        if (plane.streams().clock().millis() - token.issuedMillis() > PageToken.TTL_MILLIS) {
          throw new KinesisException.ExpiredNextToken("The NextToken has expired.");
        }
        after = token.position();
        limit = r.maxResults() == null ? token.limit() : limit;
      }
      List<ConsumerMeta> all = new ArrayList<>(plane.consumers().consumers(key));
      all.sort(Comparator.comparing(ConsumerMeta::name));
      List<Responses.Consumer> page = new ArrayList<>();
      boolean more = false;
      String last = null;
      for (ConsumerMeta c : all) {
        if (after != null && c.name().compareTo(after) <= 0) {
          continue;
        }
        if (page.size() == limit) {
          more = true;
          break;
        }
        page.add(shape(c));
        last = c.name();
      }
      String next = more ? new PageToken(plane.streams().clock().millis(), listScope, last, limit).encode(signer) : null;
      return Future.succeededFuture(new Responses.ListStreamConsumersResponse(page, next));
    }
  }

  static List<Operation<?, ?>> all(ControlPlane plane, TokenSigner signer) {
    return List.of(new RegisterStreamConsumer(plane), new DeregisterStreamConsumer(plane),
        new DescribeStreamConsumer(plane), new ListStreamConsumers(plane, signer));
  }
}
