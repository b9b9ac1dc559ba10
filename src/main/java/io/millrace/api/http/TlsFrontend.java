package io.millrace.api.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS port: terminates TLS (a configured PEM certificate, or a self-signed one made at start) and pipes each
 * connection's bytes to the API's own listener on loopback, whose HTTP/2 preface detection then serves HTTP/2 or
 * HTTP/1.1 as the client speaks it. So a client that negotiates {@code h2} or {@code http/1.1} by ALPN is served, and
 * so is one that speaks HTTP/2 right after the handshake without ALPN (the AWS SDK for Java's default async client),
 * which Vert.x's own TLS listener would answer as HTTP/1.1. Both directions are piped with back-pressure; either side
 * closing closes the other.
 */
public final class TlsFrontend {

  private static final Logger LOG = LoggerFactory.getLogger(TlsFrontend.class);

  private final NetServer server;
  private final NetClient upstream;

  private TlsFrontend(NetServer server, NetClient upstream) {
    this.server = server;
    this.upstream = upstream;
  }

  /**
   * What the TLS port is.
   *
   * @param host, port             where it listens
   * @param api                    the API's listener it forwards to (its private domain socket)
   * @param certFile               a PEM certificate (chain), or empty for a self-signed one
   * @param keyFile                its PEM private key, or empty
   * @param handshakeTimeoutMillis how long a connection may take to finish its handshake before it is closed
   * @param idleTimeoutMillis      how long a connection may pass nothing either way before it is closed
   */
  public record Settings(String host, int port, SocketAddress api, String certFile, String keyFile,
                         long handshakeTimeoutMillis, long idleTimeoutMillis) {}

  /** Listens as {@code settings} say and forwards each connection to the API's listener. */
  public static Future<TlsFrontend> start(Vertx vertx, Settings settings) {
    // Making a key pair takes about a second: on a worker, never on an event loop.
    return vertx.executeBlocking(() -> settings.certFile().isEmpty()
        ? SelfSignedCertificate.create("localhost").keyCertOptions()
        : new PemKeyCertOptions().setCertPath(settings.certFile()).setKeyPath(settings.keyFile())).compose(keyCert -> {
          int idle = (int) Math.min(Integer.MAX_VALUE, settings.idleTimeoutMillis());
          NetServerOptions options = new NetServerOptions().setHost(settings.host()).setPort(settings.port())
              .setSsl(true).setKeyCertOptions(keyCert).setUseAlpn(true)
              .setSslHandshakeTimeout(settings.handshakeTimeoutMillis())
              .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
              .setIdleTimeout(idle).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
          options.getSslOptions().setApplicationLayerProtocols(List.of("h2", "http/1.1"));
          NetClient upstream = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
              .setIdleTimeout(idle).setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
          NetServer server = vertx.createNetServer(options);
          TlsFrontend frontend = new TlsFrontend(server, upstream);
          server.connectHandler(client -> frontend.forward(client, settings.api()));
          return server.listen().map(s -> {
            LOG.info("TLS on {}:{} ({})", settings.host(), s.actualPort(), settings.certFile().isEmpty()
                ? "a self-signed certificate" : settings.certFile());
            return frontend;
          });
        });
  }

  /**
   * Pipes {@code client} to a new connection to the API's listener, both ways with back-pressure. Either side closing
   * (or going idle) closes the other at once, whatever data is still queued: a client that stopped reading must not
   * keep its pair open.
   */
  private void forward(NetSocket client, SocketAddress api) {
    client.pause();
    upstream.connect(api).onComplete(ar -> {
      if (ar.failed()) {
        client.close();
        return;
      }
      NetSocket listener = ar.result();
      client.closeHandler(v -> listener.close());
      listener.closeHandler(v -> client.close());
      client.pipeTo(listener);
      listener.pipeTo(client);
    });
  }

  /** The port bound (useful when 0 was asked). */
  public int actualPort() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server.close().eventually(() -> upstream.close());
  }
}
