package io.millrace.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * A Splunk HTTP Event Collector (HEC) for tests: a Vert.x HTTP server on 127.0.0.1 (a free port) that answers as
 * Splunk's HEC documents it, status codes, {@code {"text":...,"code":...}} bodies and indexer acknowledgement
 * included, and keeps the events it "indexed" for the test to read.
 * {@code HecServer hec = HecServer.start(vertx); ... hec.url() ... hec.awaitEvents(3) ... hec.close();}
 *
 * <p>Endpoints (POST unless said): {@code /services/collector}, {@code /services/collector/event} and
 * {@code /services/collector/event/1.0} take one or more concatenated JSON event objects; {@code
 * /services/collector/raw} (and {@code /raw/1.0}) takes text, one event per non-empty line, with {@code host},
 * {@code source}, {@code sourcetype}, {@code index} and {@code time} from the query string; {@code
 * /services/collector/ack} answers the status of ack ids; {@code GET /services/collector/health} answers code 17.
 * Request bodies may come gzip-encoded. HTTP/1.1 only, as Splunk's HEC: a client's h2c upgrade is ignored.
 *
 * <p>The answers, checked in this order:
 * <ul>
 *   <li>{@link #setAvailable(boolean) unavailable}: 503 {@code {"text":"Server is busy","code":9}} to everything;
 *   <li>no {@code Authorization} header: 401 code 2 "Token is required"; one that is neither {@code Splunk <token>} nor
 *       {@code Basic} (any user, the token as password): 401 code 3 "Invalid authorization"; a token the server does
 *       not have: 403 code 4 "Invalid token";
 *   <li>the channel ({@code X-Splunk-Request-Channel} header, else the {@code channel} query parameter): missing where
 *       the token has acknowledgement on: 400 code 10 "Data channel is missing"; present but not a GUID: 400 code 11
 *       "Invalid data channel";
 *   <li>an empty body: 400 code 5 "No data"; a body that is not a sequence of JSON objects, or a {@code time} that is
 *       not a number: 400 code 6 "Invalid data format"; an object without {@code event}: 400 code 12 "Event field is
 *       required"; with a null or empty {@code event}: 400 code 13 "Event field cannot be blank"; {@code fields} that
 *       are not an object of flat values: 400 code 15 "Error in handling indexed fields". These four carry {@code
 *       invalid-event-number}, the 0-based position of the event at fault, and reject the whole request (nothing of it
 *       is indexed: a simplification, Splunk may have indexed the events before it);
 *   <li>success: 200 {@code {"text":"Success","code":0}}, plus {@code "ackId":N} where the token has acknowledgement
 *       on; ack ids are per channel and start at 0.
 * </ul>
 *
 * <p>Acknowledgement: {@code POST /services/collector/ack} with {@code {"acks":[0,1]}} answers {@code
 * {"acks":{"0":true,"1":false}}} (400 code 14 "ACK is disabled" for a token without it; the same channel rules as
 * above, the channel being required). As in Splunk, an id that was answered {@code true} is forgotten: asked again it
 * is {@code false}. Normally a request's events are indexed, and its ack id true, at once. {@link #holdAcks(boolean)
 * holdAcks(true)} keeps the events of acknowledged requests pending (not indexed, their ids false) until {@code
 * holdAcks(false)} indexes them; {@link #dropHeld()} discards the pending ones for good, as an indexer that was lost
 * would (their ids stay false). Requests under a token without acknowledgement are indexed at once, held or not.
 * So a sender that re-sends after its ack timeout can be shown to: hold, await its first request and a few
 * {@link #ackPolls() ack polls}, drop, release, await the events of the re-sent request.
 *
 * <p>Thread-safe: state changes under this object's lock; accessors return copies.
 */
public final class HecServer implements AutoCloseable {

  /** A token without indexer acknowledgement, which {@link #start(Vertx)} configures. */
  public static final String TOKEN = "11111111-2222-3333-4444-555555555555";
  /** A token with indexer acknowledgement, which {@link #start(Vertx)} configures. */
  public static final String ACK_TOKEN = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  /** The limit of the blocking waits here: start, close, {@link #waitForEvents(int)}. */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  // decimals as BigDecimal, so that a time of 1700000000.5 reads back as sent
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final String PREFIX = "/services/collector";

  /**
   * One indexed event, in arrival order. {@code raw}: it came to {@code /raw} as {@code line}, with metadata from the
   * {@code query} string; otherwise {@code json} is the event object as sent. {@code token} and {@code channel}
   * (null when none) are those of its request; {@code ackId} is null without acknowledgement.
   */
  public record Event(boolean raw, JsonObject json, String line, Map<String, String> query, String token,
      String channel, Long ackId) {

    /** The {@code event} value as sent (a String, JsonObject, JsonArray, number or boolean), or the raw line. */
    public Object event() {
      return raw ? line : json.getValue("event");
    }

    /** {@link #event()} as text: a string as it is, anything else encoded as JSON. */
    public String text() {
      Object event = event();
      if (event instanceof JsonObject o) {
        return o.encode();
      }
      if (event instanceof JsonArray a) {
        return a.encode();
      }
      return String.valueOf(event);
    }

    /** {@code event} parsed as a JSON object (an object sent as such, or a string holding one). */
    public JsonObject eventObject() {
      Object event = event();
      return event instanceof JsonObject o ? o : new JsonObject(String.valueOf(event));
    }

    /** A metadata key ({@code host}, {@code source}, ...) of the event object, or of the query string; or null. */
    public String metadata(String key) {
      Object value = json == null ? null : json.getValue(key);
      return value != null ? String.valueOf(value) : query.get(key);
    }

    /** The {@code host} given, or null. */
    public String host() {
      return metadata("host");
    }

    /** The {@code source} given, or null. */
    public String source() {
      return metadata("source");
    }

    /** The {@code sourcetype} given, or null. */
    public String sourcetype() {
      return metadata("sourcetype");
    }

    /** The {@code index} given, or null. */
    public String index() {
      return metadata("index");
    }

    /** The {@code time} given, as sent (epoch seconds, maybe with a fraction), or null. */
    public String time() {
      return metadata("time");
    }

    /** The indexed {@code fields} of an event object, or an empty object. */
    public JsonObject fields() {
      JsonObject fields = json == null ? null : json.getJsonObject("fields");
      return fields == null ? new JsonObject() : fields;
    }
  }

  /** A request whose events wait for the acks to be released. */
  private record Held(String channel, long ackId, List<Event> events) {}

  private static final class Channel {
    long nextAckId;
    final Map<Long, Boolean> acks = new HashMap<>(); // ack id -> indexed; absent: unknown, answered, or dropped
  }

  private record Waiter(int count, Promise<List<Event>> promise) {}

  private final Map<String, Boolean> tokens = new ConcurrentHashMap<>(); // token -> acknowledgement on
  private final List<Event> events = new ArrayList<>();
  private final List<Held> held = new ArrayList<>();
  private final Map<String, Channel> channels = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private boolean available = true;
  private boolean holding;
  private long requests;
  private long ackPolls;
  private HttpServer http;

  private HecServer(Map<String, Boolean> tokens) {
    this.tokens.putAll(tokens);
  }

  /** Starts it with {@link #TOKEN} (no acknowledgement) and {@link #ACK_TOKEN} (acknowledgement); blocks. */
  public static HecServer start(Vertx vertx) {
    return start(vertx, Map.of(TOKEN, false, ACK_TOKEN, true));
  }

  /**
   * Starts it with these tokens (token to whether indexer acknowledgement is on for it) on a free port of
   * 127.0.0.1, and returns once it listens (within {@link #TIMEOUT}). Not on an event loop: it blocks.
   */
  public static HecServer start(Vertx vertx, Map<String, Boolean> tokens) {
    return start(vertx, tokens, 0);
  }

  /** As {@link #start(Vertx, Map)}, on {@code port} (0: a free one). */
  public static HecServer start(Vertx vertx, Map<String, Boolean> tokens, int port) {
    HecServer server = new HecServer(tokens);
    server.http = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
            .setDecompressionSupported(true).setHttp2ClearTextEnabled(false))
        .requestHandler(server::handle)
        .listen(), "the HEC server's listen");
    return server;
  }

  /** The port it listens on. */
  public int port() {
    return http.actualPort();
  }

  /** {@code http://127.0.0.1:<port>}, the base URL a HEC client is given. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** {@link #url()} with this path, e.g. {@code /services/collector/event}. */
  public URI url(String path) {
    return url().resolve(path);
  }

  /** Adds a token, or changes whether acknowledgement is on for it (from the next request on). */
  public void token(String token, boolean ack) {
    tokens.put(token, ack);
  }

  /** {@code false}: every request is answered 503 {@code {"text":"Server is busy","code":9}}; {@code true}: again. */
  public synchronized void setAvailable(boolean available) {
    this.available = available;
  }

  /**
   * {@code true}: the events of acknowledged requests from now on are held, not indexed, and their ack ids stay
   * false. {@code false}: the held ones are indexed (in arrival order), their ack ids become true, and requests are
   * indexed at once again.
   */
  public void holdAcks(boolean hold) {
    List<Runnable> completions;
    synchronized (this) {
      holding = hold;
      if (hold) {
        return;
      }
      for (Held h : held) {
        index(h.events());
        Channel channel = channels.get(h.channel());
        if (channel != null) {
          channel.acks.put(h.ackId(), true);
        }
      }
      held.clear();
      completions = readyWaiters();
    }
    completions.forEach(Runnable::run);
  }

  /** Discards the held requests (an indexer lost with them): never indexed, their ack ids false for good. */
  public synchronized void dropHeld() {
    for (Held h : held) {
      Channel channel = channels.get(h.channel());
      if (channel != null) {
        channel.acks.remove(h.ackId());
      }
    }
    held.clear();
  }

  /** How many requests are held now. */
  public synchronized int heldRequests() {
    return held.size();
  }

  /** The events indexed so far, in arrival order. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** {@link Event#text()} of each event indexed so far. */
  public synchronized List<String> texts() {
    return events.stream().map(Event::text).toList();
  }

  /** Requests received at the event and raw endpoints, whatever they were answered. */
  public synchronized long requests() {
    return requests;
  }

  /** Requests received at the ack endpoint, whatever they were answered. */
  public synchronized long ackPolls() {
    return ackPolls;
  }

  /** Completes with the events indexed once there are {@code count} or more (never fails: bound the wait). */
  public Future<List<Event>> awaitEvents(int count) {
    synchronized (this) {
      if (events.size() < count) {
        Promise<List<Event>> promise = Promise.promise();
        waiters.add(new Waiter(count, promise));
        return promise.future();
      }
      return Future.succeededFuture(List.copyOf(events));
    }
  }

  /**
   * Blocks until {@code count} or more events are indexed and returns them; fails after {@link #TIMEOUT} with what
   * was indexed. Not on an event loop.
   */
  public List<Event> waitForEvents(int count) {
    try {
      return awaitEvents(count).toCompletionStage().toCompletableFuture()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(count + " events were not indexed within " + TIMEOUT + "; indexed: " + texts()
          + ", held requests: " + heldRequests() + ", requests: " + requests() + ", ack polls: " + ackPolls());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  /** Stops listening (within {@link #TIMEOUT}); the Vertx instance is the caller's. */
  @Override
  public void close() {
    if (http != null) {
      await(http.close(), "the HEC server's close");
    }
  }

  private static <T> T await(Future<T> future, String what) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(what + " failed", e);
    }
  }

  // ---- the protocol

  private void handle(HttpServerRequest req) {
    req.body().onComplete(body -> {
      if (body.failed()) {
        req.response().reset();
        return;
      }
      Answer answer;
      try {
        answer = answer(req, body.result());
      } catch (RuntimeException e) {
        answer = new Answer(500, reply("Internal server error", 8));
      }
      req.response().setStatusCode(answer.status()).putHeader("Content-Type", "application/json")
          .end(answer.body().encode());
      answer.then().forEach(Runnable::run);
    });
  }

  private record Answer(int status, JsonObject body, List<Runnable> then) {
    Answer(int status, JsonObject body) {
      this(status, body, List.of());
    }
  }

  private static JsonObject reply(String text, int code) {
    return new JsonObject().put("text", text).put("code", code);
  }

  private static Answer error(int status, String text, int code) {
    return new Answer(status, reply(text, code));
  }

  private static Answer badEvent(String text, int code, int eventNumber) {
    return new Answer(400, reply(text, code).put("invalid-event-number", eventNumber));
  }

  private Answer answer(HttpServerRequest req, Buffer body) {
    String path = req.path();
    boolean health = path.equals(PREFIX + "/health") || path.equals(PREFIX + "/health/1.0");
    boolean ack = path.equals(PREFIX + "/ack");
    boolean raw = path.equals(PREFIX + "/raw") || path.equals(PREFIX + "/raw/1.0");
    boolean event = path.equals(PREFIX) || path.equals(PREFIX + "/event") || path.equals(PREFIX + "/event/1.0");
    synchronized (this) {
      if (ack) {
        ackPolls++;
      } else if (raw || event) {
        requests++;
      }
      if (!available) {
        return error(503, "Server is busy", 9);
      }
    }
    if (health && req.method() == HttpMethod.GET) {
      return error(200, "HEC is healthy", 17);
    }
    if (!(ack || raw || event)) {
      return error(404, "The requested URL was not found on this server.", 404);
    }
    if (req.method() != HttpMethod.POST) {
      return error(405, "Method Not Allowed", 405);
    }
    String authorization = req.getHeader("Authorization");
    if (authorization == null || authorization.isBlank()) {
      return error(401, "Token is required", 2);
    }
    String token = token(authorization.trim());
    if (token == null) {
      return error(401, "Invalid authorization", 3);
    }
    Boolean acknowledged = tokens.get(token);
    if (acknowledged == null) {
      return error(403, "Invalid token", 4);
    }
    String channel = req.getHeader("X-Splunk-Request-Channel");
    if (channel == null) {
      channel = req.getParam("channel");
    }
    if (channel == null || channel.isEmpty()) {
      if (acknowledged || ack) {
        return error(400, "Data channel is missing", 10);
      }
      channel = null;
    } else if (!GUID.matcher(channel).matches()) {
      return error(400, "Invalid data channel", 11);
    }
    if (ack) {
      return acknowledged ? acks(channel, body) : error(400, "ACK is disabled", 14);
    }
    if (body.length() == 0) {
      return error(400, "No data", 5);
    }
    Object parsed = raw ? rawEvents(req.params(), body, token, channel) : jsonEvents(body, token, channel);
    if (parsed instanceof Answer rejected) {
      return rejected;
    }
    @SuppressWarnings("unchecked")
    List<Event> accepted = (List<Event>) parsed;
    if (accepted.isEmpty()) {
      return error(400, "No data", 5);
    }
    return accept(accepted, acknowledged, channel);
  }

  /** The token of {@code Splunk <token>} or of {@code Basic base64(user:token)}; null when neither. */
  private static String token(String authorization) {
    int space = authorization.indexOf(' ');
    if (space < 0) {
      return null;
    }
    String scheme = authorization.substring(0, space);
    String value = authorization.substring(space + 1).trim();
    if (scheme.equalsIgnoreCase("Splunk")) {
      return value.isEmpty() ? null : value;
    }
    if (scheme.equalsIgnoreCase("Basic")) {
      try {
        String decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        return colon < 0 || colon == decoded.length() - 1 ? null : decoded.substring(colon + 1);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  private Object jsonEvents(Buffer body, String token, String channel) {
    List<Event> out = new ArrayList<>();
    int number = 0;
    try (MappingIterator<Object> values = JSON.readerFor(Object.class).readValues(body.getBytes())) {
      while (values.hasNextValue()) {
        Object value = values.nextValue();
        if (!(value instanceof Map<?, ?> map)) {
          return badEvent("Invalid data format", 6, number);
        }
        @SuppressWarnings("unchecked")
        JsonObject json = new JsonObject((Map<String, Object>) map);
        if (!json.containsKey("event")) {
          return badEvent("Event field is required", 12, number);
        }
        Object event = json.getValue("event");
        if (event == null || (event instanceof String s && s.isEmpty())) {
          return badEvent("Event field cannot be blank", 13, number);
        }
        Object time = json.getValue("time");
        if (time != null && !isNumber(time)) {
          return badEvent("Invalid data format", 6, number);
        }
        Object fields = json.getValue("fields");
        if (fields != null && !flatObject(fields)) {
          return badEvent("Error in handling indexed fields", 15, number);
        }
        out.add(new Event(false, json, null, Map.of(), token, channel, null));
        number++;
      }
    } catch (IOException | RuntimeException e) {
      return badEvent("Invalid data format", 6, number);
    }
    return out;
  }

  private static boolean isNumber(Object time) {
    if (time instanceof Number) {
      return true;
    }
    if (time instanceof String s) {
      try {
        Double.parseDouble(s);
        return true;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return false;
  }

  /** Splunk's indexed fields: an object whose values are strings, numbers, booleans or arrays of those. */
  private static boolean flatObject(Object fields) {
    if (!(fields instanceof JsonObject object)) {
      return false;
    }
    for (Iterator<Map.Entry<String, Object>> it = object.iterator(); it.hasNext(); ) {
      Object value = it.next().getValue();
      if (value instanceof JsonObject) {
        return false;
      }
      if (value instanceof JsonArray array) {
        for (Object element : array) {
          if (element instanceof JsonObject || element instanceof JsonArray) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private static List<Event> rawEvents(MultiMap params, Buffer body, String token, String channel) {
    Map<String, String> query = new LinkedHashMap<>();
    for (String key : List.of("host", "source", "sourcetype", "index", "time")) {
      String value = params.get(key);
      if (value != null) {
        query.put(key, value);
      }
    }
    Map<String, String> metadata = Map.copyOf(query);
    List<Event> out = new ArrayList<>();
    for (String line : body.toString(StandardCharsets.UTF_8).split("\r?\n")) {
      if (!line.isBlank()) {
        out.add(new Event(true, null, line, metadata, token, channel, null));
      }
    }
    return out;
  }

  private Answer accept(List<Event> accepted, boolean acknowledged, String channel) {
    List<Runnable> completions;
    JsonObject body = reply("Success", 0);
    synchronized (this) {
      if (!acknowledged) {
        index(accepted);
      } else {
        Channel state = channels.computeIfAbsent(channel, c -> new Channel());
        long ackId = state.nextAckId++;
        List<Event> withId = accepted.stream().map(e -> new Event(e.raw(), e.json(), e.line(), e.query(),
            e.token(), e.channel(), ackId)).toList();
        if (holding) {
          held.add(new Held(channel, ackId, withId));
          state.acks.put(ackId, false);
        } else {
          index(withId);
          state.acks.put(ackId, true);
        }
        body.put("ackId", ackId);
      }
      completions = readyWaiters();
    }
    return new Answer(200, body, completions);
  }

  private Answer acks(String channel, Buffer body) {
    JsonArray ids;
    try {
      ids = new JsonObject(body.toString(StandardCharsets.UTF_8)).getJsonArray("acks");
    } catch (RuntimeException e) {
      return error(400, "Invalid data format", 6);
    }
    if (ids == null) {
      return error(400, "Invalid data format", 6);
    }
    JsonObject statuses = new JsonObject();
    synchronized (this) {
      Channel state = channels.get(channel);
      for (Object id : ids) {
        if (!(id instanceof Number n)) {
          return error(400, "Invalid data format", 6);
        }
        long ackId = n.longValue();
        boolean indexed = state != null && Boolean.TRUE.equals(state.acks.get(ackId));
        if (indexed) {
          state.acks.remove(ackId); // as Splunk: once answered true, an id is forgotten
        }
        statuses.put(String.valueOf(ackId), indexed);
      }
    }
    return new Answer(200, new JsonObject().put("acks", statuses));
  }

  /** Under the lock. */
  private void index(List<Event> accepted) {
    events.addAll(accepted);
  }

  /** Under the lock: removes the waiters now satisfied and returns what completes them, to run outside it. */
  private List<Runnable> readyWaiters() {
    List<Runnable> out = new ArrayList<>();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (events.size() >= waiter.count()) {
        it.remove();
        List<Event> snapshot = List.copyOf(events);
        out.add(() -> waiter.promise().tryComplete(snapshot));
      }
    }
    return out;
  }
}
