package io.millrace.api.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The access log of API calls: one line per request once its answer is written (operation, stream, HTTP status,
 * latency, request id, client), on the logger {@code io.millrace.access} at the level the {@code accessLog} setting
 * names ({@code off}, the default, {@code info} or {@code debug}). Off, it costs a level check per request. Its
 * lines carry the same facts as key-value pairs, which the JSON log format writes as fields.
 *
 * <p>One per API verticle: its event loop is the only thread that touches it.
 */
final class AccessLog {

  static final String LOGGER = "io.millrace.access";
  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

  private final Level level;
  /**
   * The stream each request in progress names, once its body has been read. Weak: a request whose answer is never
   * ended (its client went away) must not be kept.
   */
  private final Map<HttpServerRequest, String> streams = new WeakHashMap<>();

  /** @param level the level lines are logged at, or null for none */
  AccessLog(Level level) {
    this.level = level;
  }

  private boolean on() {
    return level != null && LOG.isEnabledForLevel(level);
  }

  /** A request has arrived: its line is written when its answer has been. */
  void begin(HttpServerRequest request, String operation) {
    if (!on()) {
      return;
    }
    long started = System.nanoTime();
    request.response().bodyEndHandler(v -> end(request, operation, started));
  }

  /** The stream {@code request} names, for its line. */
  void stream(HttpServerRequest request, String stream) {
    if (on() && stream != null) {
      streams.put(request, stream);
    }
  }

  private void end(HttpServerRequest request, String operation, long startedNanos) {
    String stream = streams.remove(request);
    int status = request.response().getStatusCode();
    long micros = (System.nanoTime() - startedNanos) / 1000;
    String requestId = request.response().headers().get("x-amzn-RequestId");
    String client = request.remoteAddress() == null ? "-" : request.remoteAddress().toString();
    LOG.atLevel(level).addKeyValue("operation", operation).addKeyValue("stream", stream)
        .addKeyValue("status", status).addKeyValue("latencyMillis", micros / 1000.0)
        .addKeyValue("requestId", requestId).addKeyValue("client", client)
        .log("{} {} {} {} ms {} {}", operation, stream == null ? "-" : stream, status, micros / 1000.0,
            requestId == null ? "-" : requestId, client);
  }
}
