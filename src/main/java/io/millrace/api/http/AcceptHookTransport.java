package io.millrace.api.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.function.BiConsumer;

/**
 * A Vert.x transport that is another one in every respect but one: each server it binds hands every accepted
 * connection to {@code onAccept} (with whether the server is a TLS one) before the connection is registered and
 * initialised, so the caller can put a first handler in its pipeline. Used by {@link ConnectionGuard}; see its design
 * note.
 *
 * <p>Threading: {@code onAccept} runs on the listening channel's event loop, once per accepted connection; it must be
 * quick and thread-safe.
 */
final class AcceptHookTransport implements Transport {

  private final Transport base;
  private final io.vertx.core.spi.transport.Transport implementation;

  AcceptHookTransport(Transport base, BiConsumer<Channel, Boolean> onAccept) {
    this.base = base;
    this.implementation = new Hooked(base.implementation(), onAccept);
  }

  @Override
  public String name() {
    return base.name();
  }

  @Override
  public boolean available() {
    return base.available();
  }

  @Override
  public Throwable unavailabilityCause() {
    return base.unavailabilityCause();
  }

  @Override
  public io.vertx.core.spi.transport.Transport implementation() {
    return implementation;
  }

  /** The base SPI transport, with the accept hook added to each server bootstrap. */
  private record Hooked(io.vertx.core.spi.transport.Transport base, BiConsumer<Channel, Boolean> onAccept)
      implements io.vertx.core.spi.transport.Transport {

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
      base.configure(options, domainSocket, bootstrap);
      boolean tls = options.isSsl();
      // The listening channel's own handler runs before the bootstrap's acceptor, which registers each accepted
      // channel and adds the server's initialiser after whatever the hook added.
      bootstrap.handler(new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object accepted) {
          if (accepted instanceof Channel child) {
            onAccept.accept(child, tls);
          }
          ctx.fireChannelRead(accepted);
        }
      });
    }

    @Override
    public boolean supportsDomainSockets() {
      return base.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return base.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return base.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return base.unavailabilityCause();
    }

    @Override
    public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return base.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
      return base.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
      return base.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return base.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return base.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      return base.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      base.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket,
                          io.netty.bootstrap.Bootstrap bootstrap) {
      base.configure(options, connectTimeout, domainSocket, bootstrap);
    }
  }
}
