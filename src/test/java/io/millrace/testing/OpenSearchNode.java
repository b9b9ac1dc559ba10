package io.millrace.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real OpenSearch 2.19 node for tests, started as its own JVM (OpenSearch runs on Netty 4.1, Millrace on 4.2, so it
 * is on no classpath of ours): a single-node cluster with no security plugin, HTTP on a free loopback port, its data
 * under {@code <dir>}. Its jars are the ones the build copies to {@code target/opensearch} (failsafe passes that
 * directory as system property {@code opensearch.dir}): {@code lib/} is its classpath, and {@code
 * modules/transport-netty4} the one module it loads (HTTP and transport; no analysis-common, painless, ingest...).
 * {@code try (OpenSearchNode node = OpenSearchNode.start(dir)) { ... node.endpoint() ... node.count("x") }}
 *
 * <p>Layout: {@code <dir>} is the node's home, with {@code config/} (opensearch.yml, log4j2.properties, the keystore
 * the node creates), {@code modules/transport-netty4} (the module's jars and the descriptor and security policy that
 * the Maven jar lacks), {@code data/}, {@code logs/} and {@code tmp/} (and the empty {@code bin/}, {@code lib/} and
 * {@code plugins/} a home has). Its output goes to {@code <dir>/opensearch.log}, appended across restarts: WARN and
 * above, a few lines dating each start and stop, and the JVM's notice of the security manager. Heap 256 MiB; disk
 * watermarks off, so a full disk does not make its indices read-only. Every wait here has a deadline.
 *
 * <p>The java process is started directly (what {@code bin/opensearch} would run, with the JVM options its launcher
 * adds), so the process this class holds is the node itself: {@link #stop()} sends it SIGTERM (it closes cleanly in
 * well under a second) and kills it if it is still there after a bounded wait; {@link #startAgain()} starts it on the
 * same ports with the same data, an outage over. A JVM shutdown hook stops a node that a test failed to close.
 *
 * <p>Fragile by nature, each point checked on OpenSearch 2.19.6 and Java 17:
 * <ul>
 *   <li>OpenSearch 2.x installs a security manager, which Java 17 to 23 allow with {@code
 *       -Djava.security.manager=allow} and Java 24 and later refuse: {@link #start(Path)} fails clearly there.</li>
 *   <li>A node refuses to run as root (CI and this machine are root), a check it makes through JNA. JNA's jar stays
 *       on the classpath (Bootstrap links against it) but its native library is kept from loading ({@code
 *       -Djna.nosys=true -Djna.nounpack=true}): the node then logs that it cannot check and runs, without the root
 *       check, the system call filter and mlockall, none of which a test needs.</li>
 *   <li>Bound to loopback with single-node discovery, the bootstrap checks (vm.max_map_count, file descriptors) only
 *       warn; their warnings and JNA's are silenced in its log4j2.properties.</li>
 *   <li>{@code -Dlog4j.shutdownHookEnabled=false}, as its launcher sets it, is needed for a quick stop: without it
 *       log4j shuts down beside the node's own hook and the Netty event loops fail to terminate (a 30 s hang).</li>
 * </ul>
 */
public final class OpenSearchNode implements AutoCloseable {

  /** How long the node may take to answer a yellow cluster health (4 to 5 s here, 13 s with the machine busy). */
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  /** How long a SIGTERM may take before the process is killed. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  /** How long one request of the helpers may take. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private static final String MODULE = "transport-netty4";
  private static final Pattern MODULE_JAR = Pattern.compile("transport-netty4-client-(.+)\\.jar");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Path log;
  private final Path lib;
  private final int port;
  private final URI endpoint;
  private final HttpClient http;
  private final Thread shutdownHook;
  private volatile Process process;

  private OpenSearchNode(Path dir, Path lib, int port) {
    this.dir = dir;
    this.log = dir.resolve("opensearch.log");
    this.lib = lib;
    this.port = port;
    this.endpoint = URI.create("http://127.0.0.1:" + port);
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
        .build();
    this.shutdownHook = new Thread(this::stopQuietly, "opensearch-node-stop");
  }

  /**
   * The directory the build lays the node's jars out in ({@code lib/}, {@code modules/transport-netty4/}); fails
   * clearly when the build did not pass it (run the test through failsafe).
   */
  public static Path distribution() {
    String path = System.getProperty("opensearch.dir");
    if (path == null || !Files.isDirectory(Path.of(path, "lib"))
        || !Files.isDirectory(Path.of(path, "modules", MODULE))) {
      throw new IllegalStateException("system property opensearch.dir does not name OpenSearch's jars: " + path
          + " (run the test with `mvn verify`, which copies them to target/opensearch first)");
    }
    return Path.of(path);
  }

  /**
   * Lays out a node's home in {@code dir} (which should be empty), starts it on a free port and returns once its
   * cluster health is yellow; fails with its output if it exits first or is not yellow within {@link
   * #START_TIMEOUT}.
   */
  public static OpenSearchNode start(Path dir) throws IOException {
    return start(dir, JarProcess.freePort());
  }

  /** As {@link #start(Path)}, with HTTP on {@code port} (a README walkthrough names its port). */
  public static OpenSearchNode start(Path dir, int port) throws IOException {
    int java = Runtime.version().feature();
    if (java >= 24) {
      throw new IllegalStateException("OpenSearch 2.19 installs a security manager, which Java " + java
          + " refuses: run the tests on Java 17 (to 23)");
    }
    Path distribution = distribution();
    Path home = Files.createDirectories(dir).toAbsolutePath();
    OpenSearchNode node = new OpenSearchNode(home, distribution.resolve("lib"), port);
    node.layOut(distribution.resolve("modules").resolve(MODULE), JarProcess.freePort());
    Runtime.getRuntime().addShutdownHook(node.shutdownHook);
    try {
      node.launch();
    } catch (IOException | RuntimeException | Error e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** Where HTTP clients reach it: {@code http://127.0.0.1:<port>}, the same across {@link #startAgain()}. */
  public URI endpoint() {
    return endpoint;
  }

  /** Its HTTP port. */
  public int port() {
    return port;
  }

  /** Where it keeps its indices. */
  public Path dataDir() {
    return dir.resolve("data");
  }

  /** Whether the process is running (it may still be starting). */
  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /**
   * Indexes with {@code _bulk} (NDJSON: {@code {"index":{"_index":"x","_id":"1"}}} lines, each followed by its
   * document; the closing newline is added if missing) and returns the parsed response; fails if any item failed.
   * The documents are searchable after {@link #refresh(String)}.
   */
  public JsonNode bulk(String ndjson) {
    String body = ndjson.endsWith("\n") ? ndjson : ndjson + "\n";
    JsonNode response = send("POST", "/_bulk", body, "application/x-ndjson");
    if (response.path("errors").asBoolean()) {
      throw new IllegalStateException("_bulk had failed items: " + response);
    }
    return response;
  }

  /** Makes everything indexed so far in {@code index} (a name or a pattern; none is fine) searchable. */
  public void refresh(String index) {
    request("POST", "/" + index + "/_refresh?ignore_unavailable=true", null);
  }

  /** How many documents {@code index} has, as of its last refresh; 0 when it does not exist. */
  public long count(String index) {
    return request("GET", "/" + index + "/_count?ignore_unavailable=true", null).path("count").asLong();
  }

  /**
   * The parsed {@code _search} response over all of {@code index} (up to 10 000 hits, as of its last refresh; no
   * hits when it does not exist): the documents are {@code hits.hits[*]._source}.
   */
  public JsonNode search(String index) {
    return request("GET", "/" + index + "/_search?size=10000&ignore_unavailable=true", null);
  }

  /** The names of its indices (not hidden ones), sorted. */
  public List<String> indices() {
    List<String> names = new ArrayList<>();
    for (JsonNode row : request("GET", "/_cat/indices?format=json&h=index", null)) {
      names.add(row.path("index").asText());
    }
    names.sort(null);
    return List.copyOf(names);
  }

  /**
   * Sends any request ({@code path} with its query; {@code jsonBody} may be null) and returns the parsed answer;
   * fails with the answer unless it is a 2xx, and with an {@link UncheckedIOException} when the node is not
   * reachable (stopped, say).
   */
  public JsonNode request(String method, String path, String jsonBody) {
    return send(method, path, jsonBody, "application/json");
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited within {@link #STOP_TIMEOUT}; returns once it has exited. Clients see
   * connections refused until {@link #startAgain()}.
   */
  public void stop() {
    Processes.stop(process, "OpenSearch", STOP_TIMEOUT);
  }


  /**
   * Starts the stopped node again on the same ports with the same data (an outage over) and returns once its cluster
   * health is yellow (its existing indices' primaries started); fails if it is running.
   */
  public void startAgain() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("OpenSearch is running (pid " + process.pid() + ")");
    }
    launch();
  }

  /** Everything the process has written so far, across restarts. */
  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** {@link #stop()}; the directory is left for the test's own clean-up. */
  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is shutting down, or the hook was never added: nothing to remove
    }
  }

  // ---- the home directory and the process

  private void layOut(Path moduleJars, int transportPort) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    Path module = Files.createDirectories(dir.resolve("modules").resolve(MODULE));
    Files.createDirectories(dir.resolve("plugins"));
    Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(dir.resolve("logs"));
    Files.createDirectories(dir.resolve("tmp"));
    String version = null;
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(moduleJars, "*.jar")) {
      for (Path jar : jars) {
        Files.copy(jar, module.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Matcher m = MODULE_JAR.matcher(jar.getFileName().toString());
        if (m.matches()) {
          version = m.group(1);
        }
      }
    }
    if (version == null) {
      throw new IllegalStateException("no transport-netty4-client jar in " + moduleJars);
    }
    // what the distribution's module directory has beside its jars (the Maven jar carries neither)
    Files.write(module.resolve("plugin-descriptor.properties"), List.of(
        "description=Netty 4 based transport implementation",
        "version=" + version,
        "name=" + MODULE,
        "classname=org.opensearch.transport.Netty4Plugin",
        "java.version=11",
        "opensearch.version=" + version,
        "extended.plugins=",
        "has.native.controller=false"), StandardCharsets.UTF_8);
    Files.write(module.resolve("plugin-security.policy"), List.of(
        "grant {",
        "  permission java.io.FilePermission \"/proc/sys/net/core/somaxconn\", \"read\";",
        "  permission java.net.SocketPermission \"*\", \"accept,connect\";",
        "  permission java.lang.RuntimePermission \"*\", \"setContextClassLoader\";",
        "  permission java.lang.RuntimePermission \"getClassLoader\";",
        "  permission java.util.PropertyPermission \"sun.nio.ch.bugLevel\", \"write\";",
        "};"), StandardCharsets.UTF_8);
    Files.write(config.resolve("opensearch.yml"), List.of(
        "cluster.name: millrace-test",
        "node.name: opensearch-test",
        "discovery.type: single-node",
        "network.host: 127.0.0.1",
        "http.port: " + port,
        "transport.port: " + transportPort,
        "path.data: " + dir.resolve("data"),
        "path.logs: " + dir.resolve("logs"),
        "cluster.routing.allocation.disk.threshold_enabled: false"), StandardCharsets.UTF_8);
    Files.write(config.resolve("log4j2.properties"), List.of(
        "status = error",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
        "rootLogger.level = warn",
        "rootLogger.appenderRef.console.ref = console",
        // its version, JVM arguments, started, stopping, closed: a few lines that date each start and stop
        "logger.node.name = org.opensearch.node.Node",
        "logger.node.level = info",
        // expected here (see the class comment): no JNA native library, not a production host; and a default
        // (dangling indices are not imported) that it warns about at every start
        "logger.natives.name = org.opensearch.bootstrap.Natives",
        "logger.natives.level = error",
        "logger.checks.name = org.opensearch.bootstrap.BootstrapChecks",
        "logger.checks.level = error",
        "logger.dangling.name = org.opensearch.gateway.DanglingIndicesState",
        "logger.dangling.level = error"), StandardCharsets.UTF_8);
  }

  private void launch() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms256m",
        "-Xmx256m",
        "-Xss1m",
        "-XX:TieredStopAtLevel=1",
        "-XX:-OmitStackTraceInFastThrow",
        "-Djava.io.tmpdir=" + dir.resolve("tmp"),
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Djava.locale.providers=SPI,COMPAT",
        "-Djava.security.manager=allow",
        // JNA's classes without its native library: the node runs as root (see the class comment)
        "-Djna.nosys=true",
        "-Djna.nounpack=true",
        "-Dio.netty.noUnsafe=true",
        "-Dio.netty.noKeySetOptimization=true",
        "-Dio.netty.recycler.maxCapacityPerThread=0",
        "-Dio.netty.allocator.numDirectArenas=0",
        "-Dlog4j.shutdownHookEnabled=false",
        "-Dlog4j2.disable.jmx=true",
        "-Dlog4j2.formatMsgNoLookups=true",
        "-Dopensearch.path.home=" + dir,
        "-Dopensearch.path.conf=" + dir.resolve("config"),
        "-cp", lib + "/*",
        "org.opensearch.bootstrap.OpenSearch")
        .directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = builder.start();
    try {
      awaitYellow(START_TIMEOUT);
    } catch (RuntimeException | Error e) {
      stop();
      throw e;
    }
  }

  /** Polls the cluster health until it is yellow or green; fails if the process exits first or the time is up. */
  private void awaitYellow(Duration timeout) {
    HttpRequest health = HttpRequest.newBuilder(endpoint.resolve("/_cluster/health?wait_for_status=yellow&timeout=1s"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      Process p = process;
      if (!p.isAlive()) {
        throw new AssertionError("OpenSearch exited with " + p.exitValue() + " before its cluster was yellow on "
            + endpoint + ":\n" + output());
      }
      try {
        HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = response.statusCode() + " " + response.body(); // 408: not yellow within the request's 1 s
      } catch (IOException e) {
        last = e.toString(); // not listening yet
        Processes.pause(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    throw new AssertionError("OpenSearch's cluster was not yellow on " + endpoint + " within " + timeout + " (last: "
        + last + "):\n" + output());
  }

  private JsonNode send(String method, String path, String body, String contentType) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(REQUEST_TIMEOUT);
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " did not reach OpenSearch on " + endpoint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (response.statusCode() / 100 != 2) {
      throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
          + response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " answered with no JSON: " + response.body(), e);
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      // the JVM is exiting: nothing better to do
    }
  }
}
