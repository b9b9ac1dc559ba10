package io.millrace.firehose;

import io.millrace.concurrent.OnContext;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * The HTTP client of one OpenSearch or Splunk destination: POSTs a body held in memory to a path under the
 * destination's base URL and hands back the status and the body of the answer. A connection is given
 * {@code connectTimeoutMillis}, and an answer {@code requestTimeoutMillis} of silence before the request fails.
 * Keep-alive; one client per destination configuration, closed when the configuration changes or the delivery stops.
 *
 * <p>Thread-safe (Vert.x's client); the futures complete on the caller's context.
 */
final class DestinationHttp {

  /** An answer: its status and body. */
  record Answer(int status, Buffer body) {}

  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  /**
   * The most of an answer kept: a {@code _bulk} answer for 10,000 documents that all failed is a few megabytes; a
   * store that sends more fails the request rather than the server's memory.
   */
  static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final boolean ssl;
  private final String host;
  private final int port;
  private final String basePath;
  private final long requestTimeoutMillis;

  /** @throws IllegalArgumentException if {@code baseUrl} is not an absolute http(s) URL with a host */
  DestinationHttp(Vertx vertx, String baseUrl, long requestTimeoutMillis) {
    URI url = url(baseUrl);
    this.vertx = vertx;
    this.ssl = url.getScheme().equalsIgnoreCase("https");
    this.host = url.getHost();
    this.port = url.getPort() >= 0 ? url.getPort() : ssl ? 443 : 80;
    String path = url.getRawPath() == null ? "" : url.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.client = vertx.httpClientBuilder().with(new HttpClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MILLIS)
        .setKeepAlive(true).setKeepAliveTimeout(60).setVerifyHost(true)).build();
  }

  static URI url(String baseUrl) {
    if (baseUrl == null) {
      throw new IllegalArgumentException("no URL is configured for the destination");
    }
    try {
      URI url = new URI(baseUrl);
      if (url.getScheme() == null || !url.getScheme().matches("(?i)https?") || url.getHost() == null) {
        throw new IllegalArgumentException(baseUrl + " is not an http:// or https:// URL with a host");
      }
      return url;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(baseUrl + " is not a URL: " + e.getMessage(), e);
    }
  }

  /**
   * POSTs {@code body} to {@code path} (after the base URL's path); fails if the whole answer has not come within the
   * request timeout (a store that trickles its answer holds no attempt for ever).
   */
  Future<Answer> post(String path, MultiMap headers, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setSsl(ssl).setHost(host).setPort(port)
        .setURI(basePath + path).setHeaders(headers).setIdleTimeout(requestTimeoutMillis);
    Promise<Answer> done = Promise.promise();
    client.request(options).onComplete(connected -> {
      if (connected.failed()) {
        done.tryFail(connected.cause());
        return;
      }
      HttpClientRequest request = connected.result();
      long timer = vertx.setTimer(requestTimeoutMillis, id -> {
        if (done.tryFail(new IllegalStateException(describe() + " did not answer within " + requestTimeoutMillis
            + " ms"))) {
          request.reset();
        }
      });
      done.future().onComplete(ignored -> vertx.cancelTimer(timer));
      request.send(body).compose(DestinationHttp::read).onComplete(done::tryComplete, done::tryFail);
    });
    return OnContext.onCaller(done.future());
  }

  /** The whole answer, if it is at most {@link #MAX_ANSWER_BYTES}; else a failure (the request is reset). */
  private static Future<Answer> read(HttpClientResponse response) {
    Promise<Answer> done = Promise.promise();
    Buffer received = Buffer.buffer();
    response.exceptionHandler(done::tryFail);
    response.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (received.length() + chunk.length() > MAX_ANSWER_BYTES) {
        if (done.tryFail(new IllegalStateException("the answer is larger than " + MAX_ANSWER_BYTES + " bytes"))) {
          response.request().reset();
        }
        return;
      }
      received.appendBuffer(chunk);
    });
    response.endHandler(v -> done.tryComplete(new Answer(response.statusCode(), received)));
    return done.future();
  }

  /** Where requests go, for logs and failure records. */
  String describe() {
    return (ssl ? "https://" : "http://") + host + ":" + port + basePath;
  }

  Future<Void> close() {
    return client.close();
  }
}
