package io.millrace.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real local Lambda runtime for tests: serverless@{@value #SERVERLESS_VERSION} with serverless-offline@{@value
 * #OFFLINE_VERSION} (npm), serving Lambda's Invoke API ({@code POST /2015-03-31/functions/{name}/invocations}) on
 * 127.0.0.1 and running the test's Node.js handlers. It works with no network once installed.
 *
 * <p><b>Install.</b> The npm packages are installed once, on first use, into a cache directory: system property
 * {@code millrace.serverlessOfflineDir}, else environment {@code MILLRACE_SERVERLESS_OFFLINE_DIR}, else
 * {@code ~/.cache/millrace/serverless-offline}. A marker file is written when the install is complete, and a file lock
 * keeps two test JVMs from installing at once. The install needs the npm registry and takes about a minute
 * ({@link #INSTALL_TIMEOUT} at most); later runs start in a few seconds. {@link #available()} tells whether
 * {@code node} and {@code npm} are on the PATH, for an {@code Assumptions} skip.
 *
 * <p><b>Run.</b> {@link #start} writes {@code serverless.yml} (service {@value #SERVICE}, stage {@value #STAGE},
 * region {@value #REGION}, free ports) and the test's {@code handler.js} into a directory, links its
 * {@code node_modules} to the cache, and starts {@code node .../serverless/bin/serverless.js offline start} directly
 * (not through npx, whose wrapper would leave the node child running when killed), with telemetry and notifications
 * off and dummy AWS credentials. It returns once the Invoke route answers. Functions are invoked by their full name,
 * {@link #functionName}: serverless-offline refuses ARNs. {@link #close()} stops the process and its children.
 *
 * <p>Every wait has a deadline. Not thread-safe: one test owns an instance.
 */
public final class LocalLambda implements AutoCloseable {

  public static final String SERVERLESS_VERSION = "3.40.0";
  public static final String OFFLINE_VERSION = "13.10.1";
  public static final String SERVICE = "millrace-test";
  public static final String STAGE = "dev";
  public static final String REGION = "us-east-1";
  public static final String ACCOUNT = "000000000000";
  public static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
  public static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private static final String MARKER = ".installed-serverless-" + SERVERLESS_VERSION + "-offline-" + OFFLINE_VERSION;

  private final Process process;
  private final Path log;
  private final int lambdaPort;

  private LocalLambda(Process process, Path log, int lambdaPort) {
    this.process = process;
    this.log = log;
    this.lambdaPort = lambdaPort;
  }

  /** Whether {@code node} and {@code npm} run here. */
  public static boolean available() {
    return runs("node", "--version") && runs("npm", "--version");
  }

  /** Where the npm packages are (or will be) installed. */
  public static Path cacheDir() {
    String dir = System.getProperty("millrace.serverlessOfflineDir");
    if (dir == null || dir.isBlank()) {
      dir = System.getenv("MILLRACE_SERVERLESS_OFFLINE_DIR");
    }
    if (dir == null || dir.isBlank()) {
      return Path.of(System.getProperty("user.home"), ".cache", "millrace", "serverless-offline");
    }
    return Path.of(dir);
  }

  /**
   * Installs serverless and serverless-offline into {@link #cacheDir()} unless they are there already; returns the
   * directory. Fails with npm's output when npm fails or takes longer than {@link #INSTALL_TIMEOUT}.
   */
  public static synchronized Path install() throws IOException, InterruptedException {
    Path dir = cacheDir();
    if (installed(dir)) {
      return dir;
    }
    Files.createDirectories(dir);
    try (FileChannel channel = FileChannel.open(dir.resolve(".install.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      FileLock lock = channel.lock(); // another JVM installing: wait for it (its npm has a deadline)
      try {
        return installLocked(dir);
      } finally {
        lock.release();
      }
    }
  }

  private static Path installLocked(Path dir) throws IOException, InterruptedException {
    if (installed(dir)) {
      return dir;
    }
    Path packageJson = dir.resolve("package.json");
    if (!Files.exists(packageJson)) {
      Files.writeString(packageJson, "{\"name\": \"millrace-serverless-offline\", \"private\": true}\n");
    }
    Path installLog = dir.resolve("install.log");
    Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund",
        "serverless@" + SERVERLESS_VERSION, "serverless-offline@" + OFFLINE_VERSION)
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(installLog.toFile()).start();
    if (!npm.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      stop(npm);
      throw new IOException("npm install did not finish within " + INSTALL_TIMEOUT + ":\n" + read(installLog));
    }
    if (npm.exitValue() != 0 || !Files.isRegularFile(serverlessJs(dir))) {
      throw new IOException("npm install failed (exit " + npm.exitValue() + "):\n" + read(installLog));
    }
    Files.writeString(dir.resolve(MARKER), "");
    return dir;
  }

  /**
   * Starts a runtime in {@code dir} with {@code handlerJs} as {@code handler.js}; each of {@code functions} is a key
   * whose handler is {@code handler.<key>} (so {@code exports.<key>} in the script). Installs first if needed.
   */
  public static LocalLambda start(Path dir, String handlerJs, List<String> functions)
      throws IOException, InterruptedException {
    Path cache = install();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("handler.js"), handlerJs);
    int lambdaPort = JarProcess.freePort();
    StringBuilder yml = new StringBuilder()
        .append("service: ").append(SERVICE).append('\n')
        .append("frameworkVersion: '3'\n")
        .append("provider: { name: aws, runtime: nodejs20.x, region: ").append(REGION).append(", stage: ")
        .append(STAGE).append(" }\n")
        .append("plugins: [ serverless-offline ]\n")
        .append("functions:\n");
    for (String f : functions) {
      yml.append("  ").append(f).append(": { handler: handler.").append(f).append(" }\n");
    }
    yml.append("custom:\n  serverless-offline: { host: 127.0.0.1, lambdaPort: ").append(lambdaPort)
        .append(", httpPort: ").append(JarProcess.freePort()).append(", websocketPort: ").append(JarProcess.freePort())
        .append(", albPort: ").append(JarProcess.freePort()).append(", noPrependStageInUrl: true }\n");
    Files.writeString(dir.resolve("serverless.yml"), yml);
    Path modules = dir.resolve("node_modules");
    if (!Files.exists(modules, LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(modules, cache.resolve("node_modules"));
    }
    Path log = dir.resolve("serverless-offline.log");
    ProcessBuilder builder = new ProcessBuilder("node", serverlessJs(cache).toString(), "offline", "start")
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("SLS_TELEMETRY_DISABLED", "1");
    env.put("SLS_NOTIFICATIONS_MODE", "off");
    env.put("AWS_ACCESS_KEY_ID", "x");
    env.put("AWS_SECRET_ACCESS_KEY", "x");
    env.remove("AWS_SESSION_TOKEN");
    env.remove("AWS_PROFILE");
    LocalLambda lambda = new LocalLambda(builder.start(), log, lambdaPort);
    try {
      lambda.awaitReady();
    } catch (RuntimeException | Error e) {
      lambda.close();
      throw e;
    }
    return lambda;
  }

  /** The Invoke API's endpoint, for {@code endpointOverride}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + lambdaPort);
  }

  /** The name the function with key {@code key} is invoked by: {@code millrace-test-dev-<key>}. */
  public String functionName(String key) {
    return SERVICE + "-" + STAGE + "-" + key;
  }

  /** The ARN a Firehose LambdaArn would hold for it (invoke it by {@link #functionName}, not by this). */
  public String functionArn(String key) {
    return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + functionName(key);
  }

  /** Everything the runtime has written so far (its log lists the functions and each invocation). */
  public String output() {
    return read(log);
  }

  /** Stops the runtime and its children (SIGTERM, then SIGKILL after 10 s), waiting until they are gone. */
  @Override
  public void close() {
    stop(process);
  }

  private void awaitReady() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe = HttpRequest.newBuilder(endpoint().resolve("/2015-03-31/functions/millrace-ready-probe/"
        + "invocations")).timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("serverless-offline exited with " + process.exitValue()
            + " before serving Invoke:\n" + output());
      }
      try {
        http.send(probe, HttpResponse.BodyHandlers.discarding()); // any answer (404: no such function) means up
        return;
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100); // polling interval of a bounded wait on another process; there is no event to await
    }
    throw new IllegalStateException("serverless-offline did not serve Invoke within " + START_TIMEOUT + ":\n"
        + output());
  }

  private static void stop(Process process) {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    boolean interrupted = false;
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
        p.destroyForcibly();
      } catch (ExecutionException | TimeoutException e) {
        p.destroyForcibly();
      }
    }
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(10, TimeUnit.SECONDS); // after SIGKILL: the kernel's time only
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException | TimeoutException e) {
        // reported by the next start's port clash, if ever; nothing more to do here
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean installed(Path dir) {
    return Files.exists(dir.resolve(MARKER)) && Files.isRegularFile(serverlessJs(dir));
  }

  private static Path serverlessJs(Path dir) {
    return dir.resolve("node_modules").resolve("serverless").resolve("bin").resolve("serverless.js");
  }

  private static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
