package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the handler hands on, read by read, over an embedded channel (no server). */
class H2cUpgradeDeclinerTest {

  private static final String BODY = "{\"StreamName\":\"s\"}";
  private static final String UPGRADING = "POST / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings, keep-alive"
      + "\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: " + BODY.length() + "\r\n\r\n";
  private static final String DECLINED = "POST / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nContent-Length: "
      + BODY.length() + "\r\n\r\n";

  /** Everything the channel passed on, as text; the handler must have left the pipeline. */
  private static String passedOn(EmbeddedChannel channel) {
    StringBuilder out = new StringBuilder();
    for (ByteBuf buf; (buf = channel.readInbound()) != null; ) {
      out.append(buf.toString(StandardCharsets.ISO_8859_1));
      assertTrue(buf.release(), "the handler keeps no reference to what it passed on");
    }
    assertNull(channel.pipeline().get(H2cUpgradeDecliner.class), "it steps out after the first head");
    return out.toString();
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
  }

  @Test
  void a_head_trickled_a_byte_at_a_time_loses_its_upgrade_headers_and_keeps_its_body_and_the_next_request() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    String sent = UPGRADING + BODY + "GET /health HTTP/1.1\r\nUpgrade: h2c\r\n\r\n";
    for (int i = 0; i < UPGRADING.length(); i++) {
      channel.writeInbound(bytes(sent.substring(i, i + 1)));
    }
    channel.writeInbound(bytes(sent.substring(UPGRADING.length())));
    assertEquals(DECLINED + BODY + "GET /health HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", passedOn(channel),
        "only the first request may upgrade: the next passes as it came");
  }

  @Test
  void a_small_upgrading_head_is_declined_though_a_body_larger_than_the_limit_comes_in_the_same_read() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    String body = "y".repeat(2 * H2cUpgradeDecliner.MAX_HELD_BYTES);
    String head = UPGRADING.replace("Content-Length: " + BODY.length(), "Content-Length: " + body.length());
    channel.writeInbound(bytes(head + body));
    assertEquals(DECLINED.replace("Content-Length: " + BODY.length(), "Content-Length: " + body.length()) + body,
        passedOn(channel));
  }

  @Test
  void a_head_that_asks_for_no_upgrade_passes_unchanged() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    String plain = "\r\nGET /metrics HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
    channel.writeInbound(bytes(plain));
    assertEquals(plain, passedOn(channel));
  }

  @Test
  void empty_lines_before_the_request_and_a_folded_upgrade_header_are_seen_through() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    channel.writeInbound(bytes("\r\n\r\nGET / HTTP/1.1\r\nUpgrade:\r\n h2c\r\nHost: h\r\n\r\n"));
    assertEquals("GET / HTTP/1.1\r\nHost: h\r\n\r\n", passedOn(channel));
  }

  @Test
  void http2_by_prior_knowledge_passes_unchanged_even_when_its_preface_comes_in_pieces() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    channel.writeInbound(bytes("PR"));
    assertNull(channel.readInbound(), "two bytes cannot tell");
    channel.writeInbound(bytes("I * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    assertEquals("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", passedOn(channel));
  }

  @Test
  void a_head_larger_than_any_the_server_accepts_is_passed_on_for_the_decoder_to_refuse() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    String start = "GET / HTTP/1.1\r\nUpgrade: h2c\r\nX-Big: ";
    String filler = "x".repeat(H2cUpgradeDecliner.MAX_HELD_BYTES);
    channel.writeInbound(bytes(start));
    channel.writeInbound(bytes(filler));
    assertEquals(start + filler, passedOn(channel));
  }

  @Test
  void bytes_held_when_the_connection_closes_are_released() {
    EmbeddedChannel channel = new EmbeddedChannel(new H2cUpgradeDecliner());
    ByteBuf partial = bytes("GET / HTTP/1.1\r\nHo");
    channel.writeInbound(partial);
    assertEquals(0, partial.refCnt(), "copied, and the read's buffer released at once");
    channel.close();
    assertNull(channel.readInbound());
  }
}
