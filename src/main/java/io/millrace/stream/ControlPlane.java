package io.millrace.stream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * The Kinesis control plane: its three parts over one {@link MetadataCommitter}, built and started together.
 *
 * @param streams   streams, their shards and settings, resource policies, account settings
 * @param consumers registered (enhanced fan-out) consumers
 * @param resharder SplitShard, MergeShards, UpdateShardCount and on-demand scaling
 */
public record ControlPlane(StreamRegistry streams, ConsumerRegistry consumers, Resharder resharder) {

  /** Transition delays and account limits. */
  public record Limits(int shardLimit, int onDemandStreamLimit, long createStreamMillis, long deleteStreamMillis,
                       long updateStreamMillis, long consumerCreateMillis, long consumerDeleteMillis,
                       int scalingsPerDay) {

    /** AWS's default: at most 10 UpdateShardCount scalings per stream in a rolling 24 hours. */
    public static final int DEFAULT_SCALINGS_PER_DAY = 10;

    public Limits(int shardLimit, int onDemandStreamLimit, long createStreamMillis, long deleteStreamMillis,
                  long updateStreamMillis, long consumerCreateMillis, long consumerDeleteMillis) {
      this(shardLimit, onDemandStreamLimit, createStreamMillis, deleteStreamMillis, updateStreamMillis,
          consumerCreateMillis, consumerDeleteMillis, DEFAULT_SCALINGS_PER_DAY);
    }
  }

  /**
   * Wires the control plane over {@code store} (its changes are applied on a context of its own) and the server's
   * shards. Call {@link #start()} before use.
   */
  public static ControlPlane create(Vertx vertx, MetadataStore store, ShardDirectory shards, Limits limits,
                                    Clock clock) {
    MetadataCommitter committer = new MetadataCommitter(vertx, vertx.getOrCreateContext(), store);
    ConsumerRegistry consumers = new ConsumerRegistry(vertx, committer, limits, clock);
    StreamRegistry streams = new StreamRegistry(vertx, committer, shards, consumers, limits, clock);
    return new ControlPlane(streams, consumers, new Resharder(committer, streams, shards, clock));
  }

  /**
   * Loads the persisted metadata, redeploys every shard and finishes the transitions a stop interrupted (the future
   * waits for their first attempt).
   */
  public Future<Void> start() {
    return streams.committer().load().compose(metadata -> Future.all(streams.start(metadata),
        consumers.start(metadata)).mapEmpty());
  }
}
