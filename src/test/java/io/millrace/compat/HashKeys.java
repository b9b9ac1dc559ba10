package io.millrace.compat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Kinesis routing computed independently of the server: MD5 of the partition key, even hash ranges. */
final class HashKeys {

  static final BigInteger SPACE = BigInteger.ONE.shiftLeft(128);

  private HashKeys() {}

  static BigInteger md5(String partitionKey) {
    try {
      return new BigInteger(1, MessageDigest.getInstance("MD5").digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code floor(i * 2^128 / n)}: where shard i of n starts. */
  static BigInteger start(int i, int n) {
    return SPACE.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(n));
  }

  /** The id of the shard whose hash range contains {@code hash}. */
  static String shardFor(List<Shard> shards, BigInteger hash) {
    for (Shard s : shards) {
      BigInteger lo = new BigInteger(s.hashKeyRange().startingHashKey());
      BigInteger hi = new BigInteger(s.hashKeyRange().endingHashKey());
      if (lo.compareTo(hash) <= 0 && hash.compareTo(hi) <= 0) {
        return s.shardId();
      }
    }
    throw new AssertionError("no shard covers " + hash);
  }

  static String shardId(int index) {
    return String.format("shardId-%012d", index);
  }
}
