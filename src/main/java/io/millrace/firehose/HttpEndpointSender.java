package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.concurrent.OnContext;
import io.millrace.firehose.FirehoseConfig.HttpEndpointCommonAttribute;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.HttpEndpointException.Code;
import io.millrace.firehose.HttpEndpointWriter.StagedRequest;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Sends staged requests ({@link HttpEndpointWriter}) to one HTTP endpoint destination, as Firehose does (protocol.md
 * D.5): {@code POST <Url>} with {@code X-Amz-Firehose-Protocol-Version: 1.0}, {@code X-Amz-Firehose-Request-Id},
 * {@code X-Amz-Firehose-Source-Arn}, {@code X-Amz-Firehose-Access-Key} (when an AccessKey is configured),
 * {@code X-Amz-Firehose-Common-Attributes: {"commonAttributes":{...}}} (when attributes are configured),
 * {@code Content-Type: application/json}, {@code Content-Encoding: gzip} (gzip bodies only) and Content-Length. The
 * body is streamed from its file. {@code http://} and {@code https://} URLs are both allowed (Firehose allows only
 * https on port 443; a local endpoint under test rarely has a certificate); https trusts the JDK's CAs and checks the
 * host name.
 *
 * <p><b>Outcome.</b> Success is a 200 whose body is the response Firehose requires: {@code Content-Type:
 * application/json} and a JSON object whose {@code requestId} echoes the request's and whose {@code timestamp} is a
 * number (other members, such as {@code errorMessage}, are ignored). A 413 fails with {@link Retries.Permanent}: the
 * request is not retried. Everything else fails with a retryable {@link HttpEndpointException} in Firehose's words:
 * another status is a DestinationException with the status and the start of the body; a 200 that is not the
 * required response is an InvalidResponseFromDestination (Firehose treats malformed responses as failures, like a
 * 500, and retries them); then RequestTimeout, ResponseTooLarge (1 MiB or more, headers included), ConnectionFailed,
 * ConnectionReset and SSLHandshakeFailure. A staged file that cannot be read fails with the I/O exception itself.
 *
 * <p><b>Timeouts.</b> {@link Settings}: connecting (TCP and TLS) may take {@code connectTimeoutMillis}; once connected,
 * the whole exchange (sending the body, receiving the whole response) must end within {@code requestTimeoutMillis}
 * (Firehose's 3 minutes by default), however slowly bytes trickle in; a kept-alive connection unused for
 * {@code idleTimeoutMillis} is closed.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any Vert.x context, as often as wanted: each call keeps its own
 * state; it never blocks (the file is opened through Vert.x's file system) and its future completes on the calling
 * context. One HTTP client per sender: {@link #close} it when the destination is reconfigured or the delivery stream
 * stops.
 */
final class HttpEndpointSender {

  /** Firehose's time for an endpoint to answer: 3 minutes. */
  static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 180_000;
  /** A response this large or larger, headers included, is refused. */
  static final int MAX_RESPONSE_BYTES = 1024 * 1024;
  /** How much of an endpoint's response a DestinationException or InvalidResponse message quotes. */
  static final int RESPONSE_EXCERPT_CHARS = 8192;

  static final String PROTOCOL_VERSION = "X-Amz-Firehose-Protocol-Version";
  static final String REQUEST_ID = "X-Amz-Firehose-Request-Id";
  static final String SOURCE_ARN = "X-Amz-Firehose-Source-Arn";
  static final String ACCESS_KEY = "X-Amz-Firehose-Access-Key";
  static final String COMMON_ATTRIBUTES = "X-Amz-Firehose-Common-Attributes";

  private static final ObjectMapper RESPONSES = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  /** Header values must stay ASCII: other characters of the attributes are written as JSON escapes. */
  private static final JsonFactory HEADER_JSON = JsonFactory.builder()
      .enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  /**
   * The sender's timeouts.
   *
   * @param connectTimeoutMillis how long connecting (TCP and TLS) may take; default 10,000
   * @param idleTimeoutMillis    how long a kept-alive connection may stay unused before it is closed (whole seconds,
   *                             rounded up); default 60,000
   * @param requestTimeoutMillis how long, once connected, sending a request and receiving its whole response may take;
   *                             default 180,000 (Firehose's 3 minutes)
   */
  record Settings(long connectTimeoutMillis, long idleTimeoutMillis, long requestTimeoutMillis) {

    static final Settings DEFAULT = new Settings(10_000, 60_000, DEFAULT_REQUEST_TIMEOUT_MILLIS);

    Settings {
      positive("connectTimeoutMillis", connectTimeoutMillis);
      positive("idleTimeoutMillis", idleTimeoutMillis);
      positive("requestTimeoutMillis", requestTimeoutMillis);
      if (connectTimeoutMillis > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("connectTimeoutMillis must be at most " + Integer.MAX_VALUE + ", not "
            + connectTimeoutMillis);
      }
    }

    /** The defaults with another request timeout (the server's {@code httpEndpointTimeoutMillis}). */
    static Settings withRequestTimeout(long requestTimeoutMillis) {
      return new Settings(DEFAULT.connectTimeoutMillis, DEFAULT.idleTimeoutMillis, requestTimeoutMillis);
    }

    private static void positive(String name, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, not " + value);
      }
    }
  }

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final boolean ssl;
  private final String host;
  private final int port;
  private final String path;
  private final String sourceArn;
  private final String accessKey;
  private final String commonAttributes;
  private final long requestTimeoutMillis;

  /**
   * @param config            the destination: its EndpointConfiguration (Url, AccessKey) and RequestConfiguration
   *                          (CommonAttributes) shape every request; ContentEncoding is the staged request's
   * @param deliveryStreamArn sent as {@code X-Amz-Firehose-Source-Arn}
   * @throws IllegalArgumentException if the Url is not an absolute {@code http://} or {@code https://} URL with a host
   */
  HttpEndpointSender(Vertx vertx, HttpEndpointDestinationConfiguration config, String deliveryStreamArn,
                     Settings settings) {
    URI url = url(config.endpointConfiguration().url());
    this.vertx = vertx;
    this.ssl = url.getScheme().equalsIgnoreCase("https");
    this.host = url.getHost();
    this.port = url.getPort() >= 0 ? url.getPort() : ssl ? 443 : 80;
    String rawPath = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    this.path = url.getRawQuery() == null ? rawPath : rawPath + "?" + url.getRawQuery();
    this.sourceArn = deliveryStreamArn;
    String key = config.endpointConfiguration().accessKey();
    this.accessKey = key == null || key.isEmpty() ? null : key;
    this.commonAttributes = commonAttributes(config.requestConfiguration() == null ? null
        : config.requestConfiguration().commonAttributes());
    this.requestTimeoutMillis = settings.requestTimeoutMillis();
    HttpClientOptions options = new HttpClientOptions()
        .setConnectTimeout((int) settings.connectTimeoutMillis())
        .setSslHandshakeTimeout(settings.connectTimeoutMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setKeepAlive(true)
        .setKeepAliveTimeout((int) Math.min(Integer.MAX_VALUE, (settings.idleTimeoutMillis() + 999) / 1000))
        .setMaxHeaderSize(MAX_RESPONSE_BYTES)
        .setVerifyHost(true);
    this.client = vertx.httpClientBuilder().with(options).build();
  }

  /**
   * Sends one staged request, once (retrying is the caller's: {@link Retries}). Completes when the endpoint
   * acknowledged it; fails with {@link HttpEndpointException} (retryable) or {@link Retries.Permanent} (a 413).
   */
  Future<Void> send(StagedRequest request) {
    Promise<Void> done = Promise.promise();
    vertx.fileSystem().open(request.file().toString(), new OpenOptions().setRead(true).setWrite(false)
        .setCreate(false)).onComplete(opened -> {
          if (opened.failed()) {
            done.fail(opened.cause());
            return;
          }
          AsyncFile body = opened.result();
          done.future().onComplete(ignored -> body.close());
          body.size().onComplete(size -> {
            if (size.failed()) {
              done.tryFail(size.cause());
              return;
            }
            client.request(new RequestOptions().setMethod(HttpMethod.POST).setSsl(ssl).setHost(host).setPort(port)
                .setURI(path)).onComplete(connected -> {
                  if (connected.failed()) {
                    done.tryFail(connectFailure(connected.cause()));
                    return;
                  }
                  exchange(connected.result(), request, body, size.result(), done);
                });
          });
        });
    return OnContext.onCaller(done.future());
  }

  /** Closes the HTTP client and its connections; requests in flight fail. */
  Future<Void> close() {
    return client.close();
  }

  private void exchange(HttpClientRequest http, StagedRequest request, AsyncFile body, long bodyBytes,
                        Promise<Void> done) {
    long timer = vertx.setTimer(requestTimeoutMillis, id -> {
      if (done.tryFail(new HttpEndpointException(Code.REQUEST_TIMEOUT, "The endpoint did not respond within "
          + requestTimeoutMillis + " ms (Firehose allows 3 minutes)."))) {
        http.reset();
      }
    });
    done.future().onComplete(ignored -> vertx.cancelTimer(timer));
    MultiMap headers = http.headers();
    headers.set(PROTOCOL_VERSION, "1.0");
    headers.set(REQUEST_ID, request.requestId());
    headers.set(SOURCE_ARN, sourceArn);
    if (accessKey != null) {
      headers.set(ACCESS_KEY, accessKey);
    }
    if (commonAttributes != null) {
      headers.set(COMMON_ATTRIBUTES, commonAttributes);
    }
    headers.set(HttpHeaders.CONTENT_TYPE, "application/json");
    if (request.gzip()) {
      headers.set(HttpHeaders.CONTENT_ENCODING, "gzip");
    }
    headers.set(HttpHeaders.CONTENT_LENGTH, Long.toString(bodyBytes));
    http.exceptionHandler(e -> done.tryFail(exchangeFailure(e)));
    http.send(body).onComplete(answered -> {
      if (answered.failed()) {
        done.tryFail(exchangeFailure(answered.cause()));
      } else if (!done.future().isComplete()) {
        receive(answered.result(), request, done);
      }
    });
  }

  /** Reads the response, at most {@link #MAX_RESPONSE_BYTES} of it, and judges it. */
  private void receive(HttpClientResponse response, StagedRequest request, Promise<Void> done) {
    response.exceptionHandler(e -> done.tryFail(exchangeFailure(e)));
    long headerBytes = headerBytes(response.headers());
    long declared = contentLength(response.headers());
    if (declared >= 0 && headerBytes + declared >= MAX_RESPONSE_BYTES) {
      tooLarge(response, done);
      return;
    }
    Buffer received = Buffer.buffer();
    response.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (headerBytes + received.length() + chunk.length() >= MAX_RESPONSE_BYTES) {
        tooLarge(response, done);
        return;
      }
      received.appendBuffer(chunk);
    });
    response.endHandler(v -> {
      if (done.future().isComplete()) {
        return;
      }
      Throwable failure = judge(response.statusCode(), response.getHeader(HttpHeaders.CONTENT_TYPE), received,
          request.requestId());
      if (failure == null) {
        done.tryComplete();
      } else {
        done.tryFail(failure);
      }
    });
  }

  private static void tooLarge(HttpClientResponse response, Promise<Void> done) {
    if (done.tryFail(new HttpEndpointException(Code.RESPONSE_TOO_LARGE, "The response received from the endpoint is "
        + "too large: it must be less than 1 MiB (" + MAX_RESPONSE_BYTES + " bytes) including headers."))) {
      response.request().reset();
    }
  }

  /** Null for the acknowledgement Firehose requires; else why the response fails the delivery. */
  static Throwable judge(int status, String contentType, Buffer body, String requestId) {
    if (status == 413) {
      return new Retries.Permanent(destinationMessage(status, body));
    }
    if (status != 200) {
      return new HttpEndpointException(Code.DESTINATION_EXCEPTION, destinationMessage(status, body));
    }
    if (contentType == null || !mediaType(contentType).equals("application/json")) {
      return invalid(requestId, "does not have the header Content-Type: application/json", status, body);
    }
    JsonNode json;
    try {
      json = RESPONSES.readTree(body.getBytes());
    } catch (IOException e) {
      json = null;
    }
    if (json == null || !json.isObject()) {
      return invalid(requestId, "is not recognized as valid JSON or has unexpected fields", status, body);
    }
    JsonNode echoed = json.get("requestId");
    if (echoed == null || !echoed.isTextual()) {
      return invalid(requestId, "does not contain a requestId", status, body);
    }
    if (!echoed.asText().equals(requestId)) {
      return invalid(requestId, "has a requestId that does not match the request's", status, body);
    }
    JsonNode timestamp = json.get("timestamp");
    if (timestamp == null || !timestamp.isNumber()) {
      return invalid(requestId, "does not contain a timestamp (a number)", status, body);
    }
    return null;
  }

  /** Firehose's words for a status other than 200 [fh-guide http_troubleshooting.md]. */
  private static String destinationMessage(int status, Buffer body) {
    return "The following response was received from the endpoint destination. " + status + ": " + excerpt(body);
  }

  /** Firehose's words for a 200 that is not the acknowledgement [fh-guide http_troubleshooting.md]. */
  private static HttpEndpointException invalid(String requestId, String reason, int status, Buffer body) {
    return new HttpEndpointException(Code.INVALID_RESPONSE_FROM_DESTINATION, "The response received from the "
        + "specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue. Response for request "
        + requestId + " " + reason + ". Raw response received: " + status + " " + excerpt(body));
  }

  private static String excerpt(Buffer body) {
    String text = new String(body.getBytes(), StandardCharsets.UTF_8);
    return text.length() <= RESPONSE_EXCERPT_CHARS ? text : text.substring(0, RESPONSE_EXCERPT_CHARS);
  }

  /** A failure before the connection was made. */
  private static Throwable connectFailure(Throwable e) {
    if (isSsl(e)) {
      return new HttpEndpointException(Code.SSL_HANDSHAKE_FAILURE, "An SSL handshake could not be successfully "
          + "completed with the configured endpoint: " + describe(e) + ".", e);
    }
    return new HttpEndpointException(Code.CONNECTION_FAILED, "A connection could not be established with the "
        + "configured endpoint: " + describe(e) + ".", e);
  }

  /** A failure once connected: sending the request or receiving the response. */
  private static Throwable exchangeFailure(Throwable e) {
    if (e instanceof HttpEndpointException || e instanceof Retries.Permanent) {
      return e;
    }
    if (isSsl(e)) {
      return connectFailure(e);
    }
    if (has(e, ConnectException.class) || has(e, UnknownHostException.class)
        || has(e, NoRouteToHostException.class)) {
      return connectFailure(e);
    }
    if (has(e, TooLongFrameException.class)) {
      return new HttpEndpointException(Code.RESPONSE_TOO_LARGE, "The response received from the endpoint is too "
          + "large: it must be less than 1 MiB (" + MAX_RESPONSE_BYTES + " bytes) including headers.", e);
    }
    if (has(e, DecoderException.class)) {
      return new HttpEndpointException(Code.INVALID_RESPONSE_FROM_DESTINATION, "The response received from the "
          + "specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue. It is not an HTTP "
          + "response: " + describe(e) + ".", e);
    }
    return new HttpEndpointException(Code.CONNECTION_RESET, "A connection was made but reset or prematurely closed by "
        + "the endpoint: " + describe(e) + ".", e);
  }

  private static boolean isSsl(Throwable e) {
    return has(e, SSLException.class) || has(e, NotSslRecordException.class);
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  private static long headerBytes(MultiMap headers) {
    long bytes = 0;
    for (Map.Entry<String, String> h : headers) {
      bytes += h.getKey().length() + h.getValue().length() + 4; // "name: value\r\n"
    }
    return bytes;
  }

  private static long contentLength(MultiMap headers) {
    String value = headers.get(HttpHeaders.CONTENT_LENGTH);
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The Url, checked: absolute, http or https, with a host. */
  static URI url(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalArgumentException("The HTTP endpoint URL " + url + " is not a valid URL", e);
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("The HTTP endpoint URL " + url + " must be an absolute http:// or https:// "
          + "URL with a host");
    }
    return uri;
  }

  /**
   * The {@code X-Amz-Firehose-Common-Attributes} value, {@code {"commonAttributes":{"name":"value",...}}}, in the
   * configured order (a name given twice keeps its last value); null when there are none.
   */
  static String commonAttributes(List<HttpEndpointCommonAttribute> attributes) {
    if (attributes == null || attributes.isEmpty()) {
      return null;
    }
    Map<String, String> byName = new LinkedHashMap<>();
    for (HttpEndpointCommonAttribute a : attributes) {
      byName.put(a.attributeName(), a.attributeValue() == null ? "" : a.attributeValue());
    }
    StringWriter out = new StringWriter();
    try (JsonGenerator json = HEADER_JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeObjectFieldStart("commonAttributes");
      for (Map.Entry<String, String> a : byName.entrySet()) {
        json.writeStringField(a.getKey(), a.getValue());
      }
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }
}
