package io.millrace.app;

import io.millrace.config.MillraceConfig;
import io.millrace.storage.DataDirectoryLock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What a server checks before it reads any data, so that a start that cannot succeed stops at once with one line the
 * operator can act on: the data directory must be this server's alone, and the port free. Blocking.
 */
final class Startup {

  private Startup() {}

  /** Locks the data directory for this server, or refuses the start naming the server that holds it. */
  static DataDirectoryLock claim(Path dataDir, int port) throws IOException {
    try {
      return DataDirectoryLock.acquire(dataDir, holder(port));
    } catch (DataDirectoryLock.HeldElsewhereException e) {
      throw new StartRefusedException(e.getMessage());
    }
  }

  /** How this server describes itself in the lock file. */
  static String holder(int port) {
    return "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", port "
        + (port == 0 ? "not yet bound" : port < 0 ? "none (TLS only)" : String.valueOf(port)) + ", started "
        + Instant.now();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "an unnamed host";
    }
  }

  /**
   * Refuses the start when the port is taken, before shards are loaded and checked (which can take a while). The real
   * bind later still reports a port taken meanwhile.
   */
  static void requirePortFree(MillraceConfig config) {
    if (config.port() <= 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(config.host(), config.port()));
    } catch (IOException e) {
      throw portInUse(config.host(), config.port(), e);
    }
  }

  static StartRefusedException portInUse(String host, int port, Throwable cause) {
    return new StartRefusedException("Cannot listen on " + host + ":" + port + " (" + cause.getMessage() + "). Is "
        + "another server running there? Choose another port with --port.");
  }

  /** A port that was free a moment ago. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
