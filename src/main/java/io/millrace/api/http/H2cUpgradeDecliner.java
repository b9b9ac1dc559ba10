package io.millrace.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
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
 * complete and drops its {@code Upgrade: h2c} and {@code HTTP2-Settings} lines before Vert.x reads it; then it steps
 * out of the pipeline. A connection that opens with the HTTP/2 preface, or whose head grows past
 * {@link #MAX_HELD_BYTES} (the decoder refuses it anyway), passes unchanged.
 *
 * <p>Threading: a Netty handler of one channel, on its event loop.
 */
final class H2cUpgradeDecliner extends ChannelInboundHandlerAdapter {

  /** More than any head the server accepts (its header and request-line limits together). */
  static final int MAX_HELD_BYTES = 64 * 1024;
  private static final byte[] PREFACE_START = "PRI ".getBytes(StandardCharsets.US_ASCII);

  private ByteBuf held;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf bytes)) {
      ctx.fireChannelRead(msg);
      return;
    }
    held = held == null ? bytes : Unpooled.wrappedBuffer(held, bytes);
    if (startsLikePreface(held)) {
      if (held.readableBytes() >= PREFACE_START.length) {
        release(ctx, held);
      }
      return; // too few bytes yet to tell
    }
    int headEnd = headEnd(held);
    if (headEnd < 0) {
      if (held.readableBytes() > MAX_HELD_BYTES) {
        release(ctx, held);
      }
      return;
    }
    release(ctx, withoutUpgrade(held, headEnd));
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

  /** Whether the bytes so far agree with the start of the HTTP/2 preface (an HTTP/1.1 method never starts so). */
  private static boolean startsLikePreface(ByteBuf buf) {
    int n = Math.min(buf.readableBytes(), PREFACE_START.length);
    for (int i = 0; i < n; i++) {
      if (buf.getByte(buf.readerIndex() + i) != PREFACE_START[i]) {
        return false;
      }
    }
    return true;
  }

  /** The index just past the head's blank line, or -1 while it has not come. */
  private static int headEnd(ByteBuf buf) {
    int end = buf.writerIndex() - 3;
    for (int i = buf.readerIndex(); i < end; i++) {
      if (buf.getByte(i) == '\r' && buf.getByte(i + 1) == '\n' && buf.getByte(i + 2) == '\r'
          && buf.getByte(i + 3) == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  /**
   * {@code buf} itself when its head does not ask for h2c; else a copy of the head without the upgrade's two header
   * lines, followed by whatever came after the head (a body, the next requests).
   */
  private static ByteBuf withoutUpgrade(ByteBuf buf, int headEnd) {
    String head = buf.toString(buf.readerIndex(), headEnd - buf.readerIndex(), StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n", -1);
    boolean asksH2c = false;
    for (String line : lines) {
      if (isHeader(line, "upgrade") && line.substring(line.indexOf(':') + 1).toLowerCase(Locale.ROOT)
          .contains("h2c")) {
        asksH2c = true;
      }
    }
    if (!asksH2c) {
      return buf;
    }
    StringBuilder kept = new StringBuilder(head.length());
    for (int i = 0; i < lines.length - 2; i++) { // the last two are the blank line's halves
      String line = lines[i];
      if (isHeader(line, "connection")) {
        line = withoutUpgradeTokens(line);
      }
      if (line != null && !isHeader(line, "upgrade") && !isHeader(line, "http2-settings")) {
        kept.append(line).append("\r\n");
      }
    }
    kept.append("\r\n");
    ByteBuf rest = buf.retainedSlice(headEnd, buf.writerIndex() - headEnd);
    buf.release();
    return Unpooled.wrappedBuffer(Unpooled.copiedBuffer(kept, StandardCharsets.ISO_8859_1), rest);
  }

  /** A Connection header line without the upgrade's tokens, or null when none other is left. */
  private static String withoutUpgradeTokens(String line) {
    StringBuilder tokens = new StringBuilder();
    for (String token : line.substring(line.indexOf(':') + 1).split(",")) {
      String t = token.trim();
      if (!t.isEmpty() && !t.equalsIgnoreCase("upgrade") && !t.equalsIgnoreCase("http2-settings")) {
        tokens.append(tokens.isEmpty() ? "" : ", ").append(t);
      }
    }
    return tokens.isEmpty() ? null : line.substring(0, line.indexOf(':') + 1) + " " + tokens;
  }

  private static boolean isHeader(String line, String lowerCaseName) {
    int colon = line.indexOf(':');
    return colon == lowerCaseName.length() && line.substring(0, colon).toLowerCase(Locale.ROOT).equals(lowerCaseName);
  }
}
