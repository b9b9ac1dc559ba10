package io.millrace.api.op;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.model.Requests.AddTagsToStreamRequest;
import io.millrace.api.model.Requests.ListTagsForResourceRequest;
import io.millrace.api.model.Requests.ListTagsForStreamRequest;
import io.millrace.api.model.Requests.RemoveTagsFromStreamRequest;
import io.millrace.api.model.Requests.TagResourceRequest;
import io.millrace.api.model.Requests.UntagResourceRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.ControlPlane;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tagging: the stream-named actions (AddTagsToStream, RemoveTagsFromStream, ListTagsForStream) and the ARN-named
 * ones (TagResource, UntagResource, ListTagsForResource) share one implementation.
 */
final class TagOps {

  private TagOps() {}

  static Future<Void> addTags(ControlPlane plane, StreamKey key, Map<String, String> tags) {
    String failedTo = "add tags to stream " + key.name() + " under account " + key.account();
    return plane.streams().change(key, s -> {
      Tags.checkCharacters(keysAndValues(tags), failedTo);
      TreeMap<String, String> merged = new TreeMap<>(s.tags());
      merged.putAll(tags);
      if (merged.size() > KinesisLimits.MAX_TAGS) {
        throw new KinesisException.InvalidArgument("Failed to " + failedTo + " because a given stream cannot have "
            + "more than " + KinesisLimits.MAX_TAGS + " tags associated with it.");
      }
      return s.toBuilder().tags(merged).build();
    }).mapEmpty();
  }

  static Future<Void> removeTags(ControlPlane plane, StreamKey key, List<String> keys) {
    return plane.streams().change(key, s -> {
      Tags.checkCharacters(keys, "remove tags from stream " + key.name() + " under account " + key.account());
      TreeMap<String, String> left = new TreeMap<>(s.tags());
      keys.forEach(left::remove);
      return s.toBuilder().tags(left).build();
    }).mapEmpty();
  }

  static List<String> keysAndValues(Map<String, String> tags) {
    List<String> all = new ArrayList<>(tags.keySet());
    all.addAll(tags.values());
    return all;
  }

  static List<Responses.Tag> tags(StreamMeta s) {
    List<Responses.Tag> out = new ArrayList<>();
    s.tags().forEach((k, v) -> out.add(new Responses.Tag(k, v)));
    return out;
  }

  /** The stream an ARN names (consumer ARNs are handled by the callers first). */
  static StreamKey streamOf(String resourceArn) {
    return RequestScope.parseStreamArn(resourceArn);
  }

  static boolean isConsumer(String resourceArn) {
    return resourceArn.contains("/consumer/");
  }

  static Future<Void> changeConsumerTags(ControlPlane plane, String arn,
                                         java.util.function.UnaryOperator<Map<String, String>> change) {
    return plane.consumers().change(arn, c -> {
      Map<String, String> updated = change.apply(new TreeMap<>(c.tags()));
      if (updated.size() > KinesisLimits.MAX_TAGS) {
        throw new KinesisException.InvalidArgument("Failed to add tags to consumer " + arn + " because a given "
            + "resource cannot have more than " + KinesisLimits.MAX_TAGS + " tags associated with it.");
      }
      return c.withTags(updated);
    }).mapEmpty();
  }

  static final class AddTagsToStream extends BaseOperation<AddTagsToStreamRequest, Responses.Empty> {
    private final ControlPlane plane;

    AddTagsToStream(ControlPlane plane) {
      super("AddTagsToStream", AddTagsToStreamRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.Empty> handle(AddTagsToStreamRequest r, RequestScope scope) {
      return addTags(plane, scope.streamKey(r), r.tags()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class RemoveTagsFromStream extends BaseOperation<RemoveTagsFromStreamRequest, Responses.Empty> {
    private final ControlPlane plane;

    RemoveTagsFromStream(ControlPlane plane) {
      super("RemoveTagsFromStream", RemoveTagsFromStreamRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.Empty> handle(RemoveTagsFromStreamRequest r, RequestScope scope) {
      return removeTags(plane, scope.streamKey(r), r.tagKeys()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class ListTagsForStream
      extends BaseOperation<ListTagsForStreamRequest, Responses.ListTagsForStreamResponse> {
    private final ControlPlane plane;

    ListTagsForStream(ControlPlane plane) {
      super("ListTagsForStream", ListTagsForStreamRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.ListTagsForStreamResponse> handle(ListTagsForStreamRequest r, RequestScope scope) {
      StreamMeta s = plane.streams().require(scope.streamKey(r));
      int limit = r.limit() == null ? 10 : r.limit();
      Page<Responses.Tag> page = Page.of(tags(s), Responses.Tag::key, r.exclusiveStartTagKey(), limit);
      return Future.succeededFuture(new Responses.ListTagsForStreamResponse(page.items(), page.more()));
    }
  }

  static final class TagResource extends BaseOperation<TagResourceRequest, Responses.Empty> {
    private final ControlPlane plane;

    TagResource(ControlPlane plane) {
      super("TagResource", TagResourceRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.Empty> handle(TagResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        return changeConsumerTags(plane, r.resourceARN(), t -> {
          Tags.checkCharacters(keysAndValues(r.tags()), "add tags to consumer " + r.resourceARN());
          t.putAll(r.tags());
          return t;
        }).map(Responses.Empty.INSTANCE);
      }
      return addTags(plane, streamOf(r.resourceARN()), r.tags()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class UntagResource extends BaseOperation<UntagResourceRequest, Responses.Empty> {
    private final ControlPlane plane;

    UntagResource(ControlPlane plane) {
      super("UntagResource", UntagResourceRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.Empty> handle(UntagResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        return changeConsumerTags(plane, r.resourceARN(), t -> {
          Tags.checkCharacters(r.tagKeys(), "remove tags from consumer " + r.resourceARN());
          r.tagKeys().forEach(t::remove);
          return t;
        }).map(Responses.Empty.INSTANCE);
      }
      return removeTags(plane, streamOf(r.resourceARN()), r.tagKeys()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class ListTagsForResource
      extends BaseOperation<ListTagsForResourceRequest, Responses.ListTagsForResourceResponse> {
    private final ControlPlane plane;

    ListTagsForResource(ControlPlane plane) {
      super("ListTagsForResource", ListTagsForResourceRequest.class);
      this.plane = plane;
    }

    @Override
    public Future<Responses.ListTagsForResourceResponse> handle(ListTagsForResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        List<Responses.Tag> out = new ArrayList<>();
        plane.consumers().consumer(r.resourceARN()).orElseThrow(() -> ConsumerRegistry.notFound(r.resourceARN()))
            .tags().forEach((k, v) -> out.add(new Responses.Tag(k, v)));
        return Future.succeededFuture(new Responses.ListTagsForResourceResponse(out));
      }
      StreamMeta s = plane.streams().require(streamOf(r.resourceARN()));
      return Future.succeededFuture(new Responses.ListTagsForResourceResponse(tags(s)));
    }
  }

  static List<Operation<?, ?>> all(ControlPlane plane) {
    return List.of(new AddTagsToStream(plane), new RemoveTagsFromStream(plane),
        new ListTagsForStream(plane), new TagResource(plane), new UntagResource(plane),
        new ListTagsForResource(plane));
  }
}
