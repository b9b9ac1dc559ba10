package io.millrace.testing;

import io.millrace.app.Millrace;
import io.millrace.config.ConfigLoader;
import io.millrace.config.MillraceConfig;
import io.millrace.firehose.DeliveryHandle;
import io.millrace.firehose.DeliveryStreamKey;
import io.millrace.storage.SegmentIo;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An in-process Millrace server for tests: in memory unless told otherwise, on a free loopback port.
 * {@code try (TestServer server = TestServer.start(Map.of())) { ... server.endpoint() ... }}
 */
public final class TestServer implements AutoCloseable {

  private final Millrace millrace;

  private TestServer(Millrace millrace) {
    this.millrace = millrace;
  }

  /** Starts a server with these settings over the test defaults (in memory, port 0, 2 event loops). */
  public static TestServer start(Map<String, String> overrides) {
    return start(overrides, Clock.systemUTC());
  }

  public static TestServer start(Map<String, String> overrides, Clock clock) {
    return start(overrides, clock, SegmentIo.standard());
  }

  /** Starts a server whose shard logs do their file I/O through {@code segmentIo} (e.g. a {@link FaultySegmentIo}). */
  public static TestServer start(Map<String, String> overrides, Clock clock, SegmentIo segmentIo) {
    Map<String, String> settings = new HashMap<>();
    settings.put("inMemory", "true");
    settings.put("port", "0");
    settings.put("eventLoops", "2");
    settings.put("blockedThreadWarnMillis", "500");
    settings.putAll(overrides);
    MillraceConfig config = ConfigLoader.fromValues(settings);
    try {
      return new TestServer(Millrace.start(config, clock, segmentIo).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("test server did not start", e);
    }
  }

  public Millrace millrace() {
    return millrace;
  }

  public int port() {
    return millrace.port();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Has delivery stream {@code name} (account 000000000000, us-east-1) look at its buffer now, as its periodic check
   * does, so a test that moved the clock sees the interval rule at once; true if a batch is being delivered.
   */
  public boolean checkDelivery(String name) throws Exception {
    DeliveryHandle handle = millrace.firehose().deliveries().find(new DeliveryStreamKey("000000000000", "us-east-1",
        name));
    if (handle == null) {
      throw new IllegalStateException("no running delivery stream " + name);
    }
    return handle.checkNow().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    try {
      millrace.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not stop", e);
    }
  }
}
