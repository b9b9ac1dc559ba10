package io.millrace.api.op;

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
import io.millrace.stream.StreamRegistry;
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

  static Future<Void> addTags(StreamRegistry registry, StreamKey key, Map<String, String> tags) {
    Tags.check(tags);
    return registry.change(key, s -> {
      TreeMap<String, String> merged = new TreeMap<>(s.tags());
      merged.putAll(tags);
      if (merged.size() > Tags.MAX_TAGS) {
        throw new KinesisException.LimitExceeded("Failed to add tags to stream " + key.name() + " under account "
            + key.account() + " because a given stream cannot have more than " + Tags.MAX_TAGS
            + " tags associated with it.");
      }
      return s.toBuilder().tags(merged).build();
    }).mapEmpty();
  }

  static Future<Void> removeTags(StreamRegistry registry, StreamKey key, List<String> keys) {
    return registry.change(key, s -> {
      TreeMap<String, String> left = new TreeMap<>(s.tags());
      keys.forEach(left::remove);
      return s.toBuilder().tags(left).build();
    }).mapEmpty();
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

  static Future<Void> changeConsumerTags(StreamRegistry registry, String arn,
                                         java.util.function.UnaryOperator<Map<String, String>> change) {
    return registry.changeConsumer(arn, c -> {
      Map<String, String> updated = change.apply(new TreeMap<>(c.tags()));
      if (updated.size() > Tags.MAX_TAGS) {
        throw new KinesisException.LimitExceeded("Failed to add tags to consumer " + arn
            + " because a given resource cannot have more than " + Tags.MAX_TAGS + " tags associated with it.");
      }
      return c.withTags(updated);
    }).mapEmpty();
  }

  static final class AddTagsToStream extends BaseOperation<AddTagsToStreamRequest, Responses.Empty> {
    private final StreamRegistry registry;

    AddTagsToStream(StreamRegistry registry) {
      super("AddTagsToStream", AddTagsToStreamRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(AddTagsToStreamRequest r, RequestScope scope) {
      return addTags(registry, scope.streamKey(r), r.tags()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class RemoveTagsFromStream extends BaseOperation<RemoveTagsFromStreamRequest, Responses.Empty> {
    private final StreamRegistry registry;

    RemoveTagsFromStream(StreamRegistry registry) {
      super("RemoveTagsFromStream", RemoveTagsFromStreamRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(RemoveTagsFromStreamRequest r, RequestScope scope) {
      return removeTags(registry, scope.streamKey(r), r.tagKeys()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class ListTagsForStream
      extends BaseOperation<ListTagsForStreamRequest, Responses.ListTagsForStreamResponse> {
    private final StreamRegistry registry;

    ListTagsForStream(StreamRegistry registry) {
      super("ListTagsForStream", ListTagsForStreamRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.ListTagsForStreamResponse> handle(ListTagsForStreamRequest r, RequestScope scope) {
      StreamMeta s = registry.require(scope.streamKey(r));
      int limit = r.limit() == null ? 10 : r.limit();
      Page<Responses.Tag> page = Page.of(tags(s), Responses.Tag::key, r.exclusiveStartTagKey(), limit);
      return Future.succeededFuture(new Responses.ListTagsForStreamResponse(page.items(), page.more()));
    }
  }

  static final class TagResource extends BaseOperation<TagResourceRequest, Responses.Empty> {
    private final StreamRegistry registry;

    TagResource(StreamRegistry registry) {
      super("TagResource", TagResourceRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(TagResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        Tags.check(r.tags());
        return changeConsumerTags(registry, r.resourceARN(), t -> {
          t.putAll(r.tags());
          return t;
        }).map(Responses.Empty.INSTANCE);
      }
      return addTags(registry, streamOf(r.resourceARN()), r.tags()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class UntagResource extends BaseOperation<UntagResourceRequest, Responses.Empty> {
    private final StreamRegistry registry;

    UntagResource(StreamRegistry registry) {
      super("UntagResource", UntagResourceRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.Empty> handle(UntagResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        return changeConsumerTags(registry, r.resourceARN(), t -> {
          r.tagKeys().forEach(t::remove);
          return t;
        }).map(Responses.Empty.INSTANCE);
      }
      return removeTags(registry, streamOf(r.resourceARN()), r.tagKeys()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class ListTagsForResource
      extends BaseOperation<ListTagsForResourceRequest, Responses.ListTagsForResourceResponse> {
    private final StreamRegistry registry;

    ListTagsForResource(StreamRegistry registry) {
      super("ListTagsForResource", ListTagsForResourceRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.ListTagsForResourceResponse> handle(ListTagsForResourceRequest r, RequestScope scope) {
      if (isConsumer(r.resourceARN())) {
        List<Responses.Tag> out = new ArrayList<>();
        registry.consumer(r.resourceARN()).orElseThrow(() -> StreamRegistry.consumerNotFound(r.resourceARN()))
            .tags().forEach((k, v) -> out.add(new Responses.Tag(k, v)));
        return Future.succeededFuture(new Responses.ListTagsForResourceResponse(out));
      }
      StreamMeta s = registry.require(streamOf(r.resourceARN()));
      return Future.succeededFuture(new Responses.ListTagsForResourceResponse(tags(s)));
    }
  }

  static List<Operation<?, ?>> all(StreamRegistry registry) {
    return List.of(new AddTagsToStream(registry), new RemoveTagsFromStream(registry),
        new ListTagsForStream(registry), new TagResource(registry), new UntagResource(registry),
        new ListTagsForResource(registry));
  }
}
