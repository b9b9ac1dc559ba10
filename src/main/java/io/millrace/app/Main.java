package io.millrace.app;

import io.millrace.config.ConfigLoader;
import io.millrace.config.MillraceConfig;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar millrace.jar [--port N] [--data-dir DIR] [--in-memory] [--config FILE] ...}: starts a server and
 * stops it cleanly on SIGTERM or Ctrl-C.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    MillraceConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigLoader.HelpRequested help) {
      System.out.print(help.getMessage());
      System.exit(0);
      return;
    } catch (ConfigLoader.ConfigException e) {
      System.err.println("millrace: " + e.getMessage());
      System.exit(2);
      return;
    }
    Logs.applyFormat(config);
    CountDownLatch started = new CountDownLatch(1);
    Millrace[] server = new Millrace[1];
    Throwable[] failure = new Throwable[1];
    Millrace.start(config, Clock.systemUTC()).onComplete(m -> {
      server[0] = m;
      started.countDown();
    }, e -> {
      failure[0] = e;
      started.countDown();
    });
    started.await();
    if (failure[0] != null) {
      if (failure[0] instanceof StartRefusedException) {
        LOG.error("Millrace could not start: {}", failure[0].getMessage()); // one line: the operator's to fix
      } else {
        LOG.error("Millrace could not start: {}", failure[0].getMessage(), failure[0]);
      }
      System.exit(1);
      return;
    }
    Millrace millrace = server[0];
    String where = (millrace.port() < 0 ? "" : "http://" + config.host() + ":" + millrace.port()
        + " (HTTP/1.1 and h2c)") + (millrace.port() >= 0 && millrace.tlsPort() >= 0 ? " and " : "")
        + (millrace.tlsPort() < 0 ? "" : "https://" + config.host() + ":" + millrace.tlsPort() + " (TLS)");
    LOG.info("Millrace listening on {}; data {} (durability {})", where,
        config.inMemory() ? "in memory only" : config.dataDir().toAbsolutePath(),
        config.durability().name().toLowerCase(java.util.Locale.ROOT));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutting down: finishing requests in flight, flushing and closing shard logs");
      CountDownLatch stopped = new CountDownLatch(1);
      millrace.close().onComplete(v -> stopped.countDown());
      try {
        if (!stopped.await(30, TimeUnit.SECONDS)) {
          LOG.warn("Shutdown did not finish within 30 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      LOG.info("Stopped");
    }, "millrace-shutdown"));
  }
}
