package io.millrace.stream;

import io.millrace.meta.Committer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.io.IOException;

/**
 * The Kinesis control plane's {@link Committer}: changes of {@link Metadata}, kept by {@link MetadataStore}
 * ({@code streams.json}). Every stream, consumer, policy and account change goes through it, so nobody sees one before
 * it is durable.
 */
public final class MetadataCommitter extends Committer<Metadata, Metadata.Draft> {

  private static final Model<Metadata, Metadata.Draft> MODEL = new Model<>() {
    @Override
    public Metadata.Draft draft(Metadata committed) {
      return committed.draft();
    }

    @Override
    public Metadata build(Metadata.Draft draft) {
      return draft.build();
    }
  };

  public MetadataCommitter(Vertx vertx, Context context, MetadataStore store) {
    super(vertx, context, MODEL, new Store<>() {
      @Override
      public Metadata load() throws IOException {
        return Metadata.of(store.load());
      }

      @Override
      public void save(Metadata value) throws IOException {
        store.save(value.snapshot());
      }
    }, Metadata.EMPTY);
  }
}
