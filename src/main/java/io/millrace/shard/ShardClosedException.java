package io.millrace.shard;

/**
 * An append reached a shard that a reshard closed. Not an error for the client: the data plane routes the records
 * again, with the stream's new shards. Carries no stack trace (it is control flow).
 */
public final class ShardClosedException extends RuntimeException {

  public ShardClosedException(String shardName) {
    super("Shard " + shardName + " is closed for writes", null, false, false);
  }
}
