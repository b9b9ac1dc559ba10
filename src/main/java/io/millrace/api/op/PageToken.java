package io.millrace.api.op;

import io.millrace.shard.TokenSigner;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A signed pagination token (ListShards, ListStreams): where the next page starts, for which stream or listing,
 * and when it was issued. Payload, version 1:
 * {@code version u8 | issuedMillis i64 | scope (u16 length + UTF-8) | position (u16 length + UTF-8) | limit i32}.
 *
 * @param issuedMillis when the token was issued
 * @param scope        what is being listed (e.g. the stream's ARN and creation time, plus the shard filter)
 * @param position     the last item of the previous page
 * @param limit        the page size asked for
 */
public record PageToken(long issuedMillis, String scope, String position, int limit) {

  private static final byte VERSION = 1;

  /** ListShards tokens expire after this long, as in AWS. */
  public static final long TTL_MILLIS = 300_000;

  public String encode(TokenSigner signer) {
    byte[] s = scope.getBytes(StandardCharsets.UTF_8);
    byte[] p = position.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(1 + 8 + 2 + s.length + 2 + p.length + 4);
    buf.put(VERSION).putLong(issuedMillis).putShort((short) s.length).put(s).putShort((short) p.length).put(p)
        .putInt(limit);
    return signer.sign(buf.array());
  }

  public static Optional<PageToken> decode(String token, TokenSigner signer) {
    return signer.verify(token).flatMap(buf -> {
      try {
        if (buf.get() != VERSION) {
          return Optional.empty();
        }
        long issued = buf.getLong();
        String scope = text(buf);
        String position = text(buf);
        int limit = buf.getInt();
        return buf.hasRemaining() ? Optional.empty() : Optional.of(new PageToken(issued, scope, position, limit));
      } catch (BufferUnderflowException | IllegalArgumentException e) {
        return Optional.empty();
      }
    });
  }

  private static String text(ByteBuffer buf) {
    int length = buf.getShort() & 0xFFFF;
    if (length > buf.remaining()) {
      throw new BufferUnderflowException(); // allocate for what is there, not for what a length claims
    }
    byte[] b = new byte[length];
    buf.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
