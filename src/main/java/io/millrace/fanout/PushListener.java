package io.millrace.fanout;

import io.millrace.stream.StreamKey;

/** Hears what subscriptions do, stream by stream (for metrics). Called from the subscriptions' contexts. */
public interface PushListener {

  /** A subscription to a shard of {@code stream} started. */
  void subscribed(StreamKey stream);

  /** An event was pushed: {@code records} of {@code bytes} (their data) from {@code shardId}. */
  void pushed(StreamKey stream, String shardId, int records, long bytes, long millisBehindLatest);
}
