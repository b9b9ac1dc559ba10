package io.millrace.fanout;

import io.millrace.stream.StreamKey;

/** Hears what subscriptions do, stream by stream (for metrics). Called from the subscriptions' contexts. */
public interface PushListener {

  /**
   * A subscription to a shard of {@code stream} started; {@code consumer} is the registered consumer's name
   * (SubscribeToShard), or null for a subscription without one (the gRPC API's Subscribe).
   */
  void subscribed(StreamKey stream, String consumer);

  /** A SubscribeToShard of {@code consumer} was refused: it came too soon after the live one's start. */
  void rateExceeded(StreamKey stream, String consumer);

  /** An event was pushed: {@code records} of {@code bytes} (their data) from {@code shardId}. */
  void pushed(StreamKey stream, String consumer, String shardId, int records, long bytes, long millisBehindLatest);
}
