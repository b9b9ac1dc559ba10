package io.millrace.shard;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A decoded shard iterator: which shard of which stream incarnation to read, from which log offset, issued when.
 *
 * <p>Token payload (version 1, big-endian), signed by {@link TokenSigner}:
 * <pre>
 *   version u8 = 1 | issuedMillis i64 | streamCreatedMillis i64 | shardIndex i32 | offset i64
 *   | account (u8 length + ASCII) | region (u8 length + ASCII) | stream name (u8 length + ASCII)
 * </pre>
 * The stream's creation time tells apart a deleted and re-created stream of the same name.
 */
public record ShardIterator(String account, String region, String streamName, long streamCreatedMillis,
                            int shardIndex, long offset, long issuedMillis) {

  private static final byte VERSION = 1;

  /** How long an iterator stays valid, as in AWS. */
  public static final long TTL_MILLIS = 300_000;

  public String encode(TokenSigner signer) {
    byte[] a = account.getBytes(StandardCharsets.US_ASCII);
    byte[] r = region.getBytes(StandardCharsets.US_ASCII);
    byte[] n = streamName.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer buf = ByteBuffer.allocate(1 + 8 + 8 + 4 + 8 + 3 + a.length + r.length + n.length);
    buf.put(VERSION).putLong(issuedMillis).putLong(streamCreatedMillis).putInt(shardIndex).putLong(offset);
    buf.put((byte) a.length).put(a).put((byte) r.length).put(r).put((byte) n.length).put(n);
    return signer.sign(buf.array());
  }

  /** The iterator in {@code token}, or empty if it is not a genuine, well-formed iterator. */
  public static Optional<ShardIterator> decode(String token, TokenSigner signer) {
    Optional<ByteBuffer> payload = signer.verify(token);
    if (payload.isEmpty()) {
      return Optional.empty();
    }
    ByteBuffer buf = payload.get();
    try {
      if (buf.get() != VERSION) {
        return Optional.empty();
      }
      long issued = buf.getLong();
      long created = buf.getLong();
      int shard = buf.getInt();
      long offset = buf.getLong();
      String account = text(buf);
      String region = text(buf);
      String name = text(buf);
      if (buf.hasRemaining() || shard < 0 || offset < 0) {
        return Optional.empty();
      }
      return Optional.of(new ShardIterator(account, region, name, created, shard, offset, issued));
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  public ShardIterator at(long newOffset, long nowMillis) {
    return new ShardIterator(account, region, streamName, streamCreatedMillis, shardIndex, newOffset, nowMillis);
  }

  public boolean expiredAt(long nowMillis) {
    return nowMillis - issuedMillis > TTL_MILLIS;
  }

  private static String text(ByteBuffer buf) {
    int len = buf.get() & 0xFF;
    byte[] b = new byte[len];
    buf.get(b);
    return new String(b, StandardCharsets.US_ASCII);
  }
}
