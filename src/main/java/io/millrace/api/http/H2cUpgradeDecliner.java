package io.millrace.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Declines HTTP/2's cleartext upgrade ({@code Upgrade: h2c} on an HTTP/1.1 request): the request is answered over
 * HTTP/1.1, as if the header were not there. HTTP/2 by prior knowledge (the AWS SDK's async client, gRPC) is
 * untouched.
 *
 * <p>Why: RFC 9113 deprecated the upgrade, no AWS endpoint offers it, and the JDK's own {@code java.net.http} client
 * (17 and 25 alike), which attempts it by default on {@code http://}, loses its place in the frames that follow the
 * {@code 101} when the response is larger than a frame or two ("protocol error: Frame type(...) exceeds
 * MAX_FRAME_SIZE"), or hangs. A {@code GET /metrics} with {@code HttpClient.newHttpClient()} failed that way about
 * once in a few hundred calls. Vert.x offers no switch for the upgrade alone, so this handler, first in each
 * accepted connection's pipeline after the request deadline, holds the connection's first request head until it is
 * complete and drops its {@code Upgrade} and {@code HTTP2-Settings} headers (and those tokens of {@code Connection})
 * before Vert.x reads it; then it steps out of the pipeline. A connection that opens with the HTTP/2 preface, or
 * whose head has no end within {@link #MAX_HELD_BYTES} (which the decoder refuses anyway), passes unchanged.
 *
 * <p>What it holds is one copy of the bytes so far (at most {@link #MAX_HELD_BYTES}), scanned once: a client that
 * trickles its head a byte at a time costs no more than one that sends it whole.
 *
 * <p>Threading: a Netty handler of one channel, on its event loop.
 */
final class H2cUpgradeDecliner extends ChannelInboundHandlerAdapter {

  /** Past the decoder's limits (headers, plus the request line) with room to spare. */
  static final int MAX_HELD_BYTES = 2 * HttpApiVerticle.MAX_HEADER_BYTES;
  private static final byte[] PREFACE_START = "PRI ".getBytes(StandardCharsets.US_ASCII);

  private ByteBuf held;
  /** Where the head starts in {@link #held} (after the empty lines a client may send first), or -1 until known. */
  private int headStart = -1;
  /** Whether the head is known not to be HTTP/2's preface. */
  private boolean http1;
  /** How far {@link #held} has been searched (for the head's start, then for its end). */
  private int scanned;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf bytes)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (held == null) {
      held = ctx.alloc().heapBuffer(Math.min(MAX_HELD_BYTES, Math.max(256, bytes.readableBytes())), MAX_HELD_BYTES);
    }
    // What fits is copied; what does not (a body, or a head past any the server accepts) follows unexamined.
    held.writeBytes(bytes, Math.min(bytes.readableBytes(), held.maxWritableBytes()));
    ByteBuf rest = bytes;
    if (headStart < 0) {
      headStart = firstNonBlank(held, scanned);
      scanned = headStart < 0 ? held.writerIndex() : headStart;
    }
    if (headStart >= 0 && !http1) {
      if (!startsLikePreface(held, headStart)) {
        http1 = true;
      } else if (held.writerIndex() - headStart >= PREFACE_START.length) {
        release(ctx, held, rest); // HTTP/2 by prior knowledge
        return;
      }
    }
    int headEnd = http1 ? headEnd() : -1;
    if (headEnd >= 0) {
      release(ctx, withoutUpgrade(held, headStart, headEnd), rest);
    } else if (held.maxWritableBytes() == 0) {
      release(ctx, held, rest); // no end within the limit: the decoder refuses it
    } else {
      rest.release(); // empty: all of it was copied
    }
  }

  /** Hands {@code first} and what is left of {@code rest} on, and leaves the pipeline. */
  private void release(ChannelHandlerContext ctx, ByteBuf first, ByteBuf rest) {
    if (rest.isReadable()) {
      release(ctx, Unpooled.wrappedBuffer(first, rest));
    } else {
      rest.release();
      release(ctx, first);
    }
  }

  /** Hands {@code bytes} on and leaves the pipeline: only a connection's first request may ask to upgrade. */
  private void release(ChannelHandlerContext ctx, ByteBuf bytes) {
    held = null;
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(bytes);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (held != null) { // the channel closed while a head was incomplete
      held.release();
      held = null;
    }
  }

  private static int firstNonBlank(ByteBuf buf, int from) {
    for (int i = from; i < buf.writerIndex(); i++) {
      byte b = buf.getByte(i);
      if (b != '\r' && b != '\n') {
        return i;
      }
    }
    return -1;
  }

  /** Whether the bytes from {@code from} agree with the start of the HTTP/2 preface (no HTTP/1.1 method does). */
  private static boolean startsLikePreface(ByteBuf buf, int from) {
    int n = Math.min(buf.writerIndex() - from, PREFACE_START.length);
    for (int i = 0; i < n; i++) {
      if (buf.getByte(from + i) != PREFACE_START[i]) {
        return false;
      }
    }
    return true;
  }

  /** The index just past the head's blank line, or -1 while it has not come; resumes where the last search ended. */
  private int headEnd() {
    int end = held.writerIndex() - 3;
    for (int i = scanned; i < end; i++) {
      if (held.getByte(i) == '\r' && held.getByte(i + 1) == '\n' && held.getByte(i + 2) == '\r'
          && held.getByte(i + 3) == '\n') {
        return i + 4;
      }
    }
    scanned = Math.max(scanned, end);
    return -1;
  }

  /**
   * {@code buf} itself when its head does not ask for h2c; else the head without the upgrade's headers (continuation
   * lines included), followed by whatever came after it (a body, the next requests).
   */
  private static ByteBuf withoutUpgrade(ByteBuf buf, int headStart, int headEnd) {
    String head = buf.toString(headStart, headEnd - 4 - headStart, StandardCharsets.ISO_8859_1);
    List<String> fields = new ArrayList<>(); // the request line, then each header with its continuation lines
    for (String line : head.split("\r\n", -1)) {
      if (!fields.isEmpty() && !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
        fields.set(fields.size() - 1, fields.get(fields.size() - 1) + "\r\n" + line);
      } else {
        fields.add(line);
      }
    }
    if (fields.stream().noneMatch(f -> isHeader(f, "upgrade") && value(f).trim().equals("h2c"))) { // as Vert.x
      return buf;
    }
    StringBuilder kept = new StringBuilder(head.length() + 4);
    for (String field : fields) {
      String f = isHeader(field, "connection") ? withoutUpgradeTokens(field) : field;
      if (f != null && !isHeader(f, "upgrade") && !isHeader(f, "http2-settings")) {
        kept.append(f).append("\r\n");
      }
    }
    kept.append("\r\n");
    ByteBuf rest = buf.retainedSlice(headEnd, buf.writerIndex() - headEnd);
    buf.release();
    return Unpooled.wrappedBuffer(Unpooled.copiedBuffer(kept, StandardCharsets.ISO_8859_1), rest);
  }

  /** A Connection header without the upgrade's tokens, or null when none other is left. */
  private static String withoutUpgradeTokens(String field) {
    StringBuilder tokens = new StringBuilder();
    for (String token : value(field).split(",")) {
      String t = token.trim();
      if (!t.isEmpty() && !t.equals("upgrade") && !t.equals("http2-settings")) {
        tokens.append(tokens.isEmpty() ? "" : ", ").append(t);
      }
    }
    return tokens.isEmpty() ? null : field.substring(0, field.indexOf(':') + 1) + " " + tokens;
  }

  /** A header's value, lower case, its continuation lines joined. */
  private static String value(String field) {
    return field.substring(field.indexOf(':') + 1).replace("\r\n", " ").toLowerCase(Locale.ROOT);
  }

  private static boolean isHeader(String field, String lowerCaseName) {
    int colon = field.indexOf(':');
    return colon == lowerCaseName.length()
        && field.substring(0, colon).toLowerCase(Locale.ROOT).equals(lowerCaseName);
  }
}
