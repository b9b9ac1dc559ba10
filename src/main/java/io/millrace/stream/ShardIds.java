package io.millrace.stream;

import io.millrace.error.KinesisException;

/**
 * How Kinesis reads a ShardId argument: by the number in it, so {@code shardId-000000000001}, {@code shardId-1} and
 * {@code shard-1} all name shard 1. The number is the text between the first {@code -} and the next one (all of it
 * when there is no {@code -}); anything else than digits up to 2^31-1 names no shard. Stateless.
 */
public final class ShardIds {

  private ShardIds() {}

  /**
   * The shard index {@code shardId} names, or ResourceNotFound in Kinesis's words ({@code Could not find shard <id>
   * in stream <name> under account <account>.}), which Kinesis answers before it even looks for the stream.
   */
  public static int index(String shardId, StreamKey stream) {
    int dash = shardId.indexOf('-');
    String digits = dash < 0 ? shardId : shardId.substring(dash + 1);
    int next = digits.indexOf('-');
    if (next >= 0) {
      digits = digits.substring(0, next);
    }
    if (digits.isEmpty() || digits.length() > 19 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
        || Long.parseLong(digits) > Integer.MAX_VALUE) {
      throw new KinesisException.ResourceNotFound("Could not find shard " + shardId + " in stream " + stream.name()
          + " under account " + stream.account() + ".");
    }
    return Integer.parseInt(digits);
  }
}
