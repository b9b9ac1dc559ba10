package io.millrace.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What keeps connections from holding the server: an idle timeout, a deadline for reading each request, and a cap on
 * open connections. One guard serves every API verticle of a server.
 *
 * <ul>
 *   <li><b>Idle timeout</b> ({@code connectionIdleTimeoutMillis}): a connection with nothing read or written for
 *       that long is closed (HTTP/1.1 and HTTP/2), whether it ever sent a request or not. A live SubscribeToShard
 *       writes at least a heartbeat every few seconds, so only clients that went quiet are cut; one that stopped
 *       reading its subscription goes too.</li>
 *   <li><b>Request read deadline</b> ({@code requestReadTimeoutMillis}, HTTP/1.1): from the first byte of a request
 *       to its last (headers and body), however slowly the bytes trickle in, so a "slowloris" client that sends a
 *       byte now and then cannot keep a connection forever. A request whose headers are still incomplete gets
 *       {@code 408 Request Timeout}; one whose body is late is cut off. The time a keep-alive connection waits
 *       between requests is not counted (the idle timeout covers it).</li>
 *   <li><b>Request read deadline, HTTP/2</b>: the same deadline per stream, from its headers to the end of its
 *       body ({@link #bodyDeadline}); a late stream is reset. A gRPC ProduceStream call, whose request is a stream
 *       by design, is exempt (the idle timeout still applies).</li>
 *   <li><b>Cap</b> ({@code maxConnections}): every accepted connection counts, from its accept to its close. One
 *       beyond the cap is answered, on its first request, {@code 503 ServiceUnavailable} (which the AWS SDKs retry)
 *       and closed; it must send that request within the read deadline.</li>
 * </ul>
 *
 * <p><b>Threading.</b> The counters are atomic (connections of every event loop share them). Each connection's
 * deadline lives in its own Netty pipeline and runs on its event loop.
 *
 * <p>Design note: Vert.x shows a connection to the application only once its first request's headers are complete
 * (it must first tell HTTP/1.1 from HTTP/2 prior knowledge and look for an h2c upgrade), which is exactly too late to
 * time those headers. So the guard sees each connection at accept, through {@link #transport()}: Vert.x's NIO
 * transport, unchanged but for a handler on the listening channel that gives each accepted channel a first handler of
 * ours (Vert.x's documented transport SPI; nothing else changes). That handler sees the raw bytes (a request has
 * begun); a second one, placed after the HTTP/1.1 decoder once Vert.x reports the connection, sees the decoded end of
 * each request. Reaching a reported connection's pipeline takes Vert.x's connection implementation class
 * ({@link ConnectionBase}, {@link Http1xServerConnection}); this class is the only place that does. An HTTP/2
 * connection drops the connection deadline (HTTP/2 has its own framing; each stream gets {@link #bodyDeadline}, and the
 * idle timeout still applies), unless it is over the cap.
 */
public final class ConnectionGuard {

  /** The limits, each configurable (see {@code conf/millrace.yaml}). */
  public record Limits(int maxConnections, long idleTimeoutMillis, long requestReadTimeoutMillis,
                       long maxReceivingBytes) {}

  private static final AttributeKey<Boolean> OVER_CAP = AttributeKey.valueOf("millrace.connectionOverCap");
  private static final AttributeKey<RequestDeadline> DEADLINE = AttributeKey.valueOf("millrace.requestDeadline");
  private static final String DECODER = "httpDecoder";
  private static final String START = "millraceRequestStart";
  private static final String END = "millraceRequestEnd";

  private final Limits limits;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger tlsOpen = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  /** Bytes of request bodies being received, all connections together. */
  private final AtomicLong receiving = new AtomicLong();
  private final AtomicLong overBudget = new AtomicLong();

  public ConnectionGuard(Limits limits) {
    this.limits = limits;
  }

  /**
   * The transport to build the server's Vert.x with: NIO, with every accepted connection passed through
   * {@link #accepted}.
   */
  public Transport transport() {
    return new AcceptHookTransport(Transport.NIO, (channel, tls) -> {
      if (tls) {
        acceptedTls(channel);
      } else {
        accepted(channel);
      }
    });
  }

  /**
   * A connection to the TLS port was accepted: it counts for its whole life, and beyond the cap it is closed at once
   * (before its handshake nothing can be answered; the SDKs retry a connection that closes). Its requests are timed
   * where they arrive decrypted, on the API's private socket ({@link #accepted}).
   */
  private void acceptedTls(Channel channel) {
    boolean overCap = open.incrementAndGet() > limits.maxConnections();
    tlsOpen.incrementAndGet();
    channel.closeFuture().addListener(f -> {
      open.decrementAndGet();
      tlsOpen.decrementAndGet();
    });
    if (overCap) {
      refused.incrementAndGet();
      channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
          ctx.close(); // not before: the channel is not registered yet
        }
      });
    }
  }

  /** {@code options} with the idle timeout set. */
  HttpServerOptions apply(HttpServerOptions options) {
    return options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.idleTimeoutMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** A connection was accepted (before any byte is read): count it and give it a request read deadline. */
  private void accepted(Channel channel) {
    RequestDeadline deadline = new RequestDeadline(limits.requestReadTimeoutMillis(), timedOut);
    channel.attr(DEADLINE).set(deadline);
    channel.pipeline().addFirst(START, deadline.start);
    channel.pipeline().addAfter(START, "millraceH2cUpgradeDecliner", new H2cUpgradeDecliner());
    if (!(channel.localAddress() instanceof InetSocketAddress)) {
      return; // the TLS port's connection, piped to the API's private socket: counted as the TLS one
    }
    boolean overCap = open.incrementAndGet() > limits.maxConnections();
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    if (overCap) {
      channel.attr(OVER_CAP).set(Boolean.TRUE);
      deadline.armAtAccept = true; // it must say what it wants, and hear 503, within the deadline
    }
  }

  /**
   * Vert.x reports a connection: an HTTP/1.1 one (its first request's headers just read) gets the deadline's end
   * detector after its decoder; an HTTP/2 one drops the deadline.
   */
  void onConnection(HttpConnection connection) {
    Channel channel = ((ConnectionBase) connection).channel();
    RequestDeadline deadline = channel.attr(DEADLINE).get();
    if (deadline == null) {
      return; // not accepted through this guard's transport (a test's own Vert.x)
    }
    if (connection instanceof Http1xServerConnection && channel.pipeline().get(DECODER) != null) {
      deadline.headersRead = true;
      channel.pipeline().addAfter(DECODER, END, deadline.end);
    } else {
      deadline.http2 = true;
      if (!Boolean.TRUE.equals(channel.attr(OVER_CAP).get())) {
        deadline.cancel(); // one over the cap keeps it: it must open a stream (and hear 503) in time, or go
      }
      channel.pipeline().remove(START);
    }
  }

  /**
   * Whether this request's connection is over the cap; if so {@code answer} (a 503 that closes the connection) has
   * been run.
   */
  boolean refused(HttpServerRequest request, Runnable answer) {
    Channel channel = ((ConnectionBase) request.connection()).channel();
    if (!Boolean.TRUE.equals(channel.attr(OVER_CAP).get())) {
      return false;
    }
    refused.incrementAndGet();
    answer.run();
    return true;
  }

  /**
   * Resets HTTP/2 stream {@code request} (CANCEL) unless its body has arrived within the request read deadline.
   * Runs on the request's event loop.
   */
  void bodyDeadline(Vertx vertx, HttpServerRequest request) {
    long timer = vertx.setTimer(limits.requestReadTimeoutMillis(), id -> {
      timedOut.incrementAndGet();
      request.response().reset(CANCEL);
    });
    request.end().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /** HTTP/2's CANCEL error code. */
  private static final long CANCEL = 0x8;

  /**
   * Takes {@code bytes} more of a request body being received into the server-wide budget; false (nothing taken) if
   * that would go beyond {@code maxReceivingBytes}. What is taken is given back with {@link #received}.
   */
  boolean receive(long bytes) {
    long now = receiving.addAndGet(bytes);
    if (now > limits.maxReceivingBytes()) {
      receiving.addAndGet(-bytes);
      overBudget.incrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back {@code bytes} taken by {@link #receive} (the body was read, or given up). */
  void received(long bytes) {
    receiving.addAndGet(-bytes);
  }

  /** Bytes of request bodies being received now. */
  public long receivingBytes() {
    return receiving.get();
  }

  /** Requests refused because the server was receiving maxReceivingBytes already, since the start. */
  public long overBudgetRequests() {
    return overBudget.get();
  }

  /** The message of a request refused for the receiving budget. */
  String overBudgetMessage() {
    return "The server is receiving " + limits.maxReceivingBytes() + " bytes of requests already (setting "
        + "maxReceivingBytes); retry shortly.";
  }

  /** The message of a refused request. */
  String overCapMessage() {
    return "The server has reached its limit of " + limits.maxConnections() + " open connections (setting "
        + "maxConnections); retry shortly.";
  }

  public int openConnections() {
    return open.get();
  }

  /** Open connections to the TLS port (included in {@link #openConnections()}). */
  public int openTlsConnections() {
    return tlsOpen.get();
  }

  /** Requests refused because their connection was over the cap, since the start. */
  public long refusedRequests() {
    return refused.get();
  }

  /** Connections closed, and HTTP/2 streams reset, because a request was not read in time, since the start. */
  public long timedOutRequests() {
    return timedOut.get();
  }

  /** The deadline of one connection: armed by the first byte of a request, disarmed by its decoded end. */
  private static final class RequestDeadline {
    private static final ByteBuf REQUEST_TIMEOUT = Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(
        "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", StandardCharsets.US_ASCII));

    private final long timeoutMillis;
    private final AtomicLong timedOut;
    private ScheduledFuture<?> timer;
    boolean headersRead;
    boolean armAtAccept;
    /** An HTTP/2 connection: nothing can be answered in HTTP/1.1's words, it is just closed. */
    boolean http2;

    final ChannelHandler start = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        if (armAtAccept) {
          arm(ctx);
        }
        ctx.fireChannelActive();
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
          headersRead = false;
          arm(ctx);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
      }
    };

    final ChannelHandler end = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
          headersRead = true;
        }
        if (msg instanceof LastHttpContent) {
          cancel();
        }
        ctx.fireChannelRead(msg);
      }
    };

    RequestDeadline(long timeoutMillis, AtomicLong timedOut) {
      this.timeoutMillis = timeoutMillis;
      this.timedOut = timedOut;
    }

    private void arm(ChannelHandlerContext ctx) {
      timer = ctx.executor().schedule(() -> expire(ctx), timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void expire(ChannelHandlerContext ctx) {
      timer = null;
      timedOut.incrementAndGet();
      if (headersRead || http2) {
        ctx.channel().close(); // the body is late and the server may be answering already: just cut it off
      } else {
        // Written from the head of the pipeline, as raw bytes: no request exists yet to answer through Vert.x.
        ctx.writeAndFlush(REQUEST_TIMEOUT.duplicate()).addListener(ChannelFutureListener.CLOSE);
      }
    }

    void cancel() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }
  }
}
