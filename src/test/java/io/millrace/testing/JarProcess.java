package io.millrace.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The runnable {@code millrace.jar} (failsafe passes its path as system property {@code millrace.jar}) started as a
 * child JVM, its stdout and stderr going to a log file. Every wait here has a deadline.
 */
public final class JarProcess implements AutoCloseable {

  private final Process process;
  private final Path log;

  private JarProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** The jar's path; fails clearly when the build did not pass it (run the test through failsafe). */
  public static Path jar() {
    String path = System.getProperty("millrace.jar");
    if (path == null || !Files.isRegularFile(Path.of(path))) {
      throw new IllegalStateException("system property millrace.jar does not name a built jar: " + path
          + " (run `mvn -o verify`, which packages it first)");
    }
    return Path.of(path);
  }

  /** Starts {@code java -jar millrace.jar args...}, logging to {@code log}. */
  public static JarProcess start(Path log, String... args) throws IOException {
    return start(log, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), args);
  }

  /** Starts {@code java <jvmOptions> -jar millrace.jar args...}, logging to {@code log}. */
  public static JarProcess start(Path log, List<String> jvmOptions, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new JarProcess(process, log);
  }

  /**
   * Runs {@code command} with {@code bash -c} in {@code directory} (as a user would type it there, say the README's
   * {@code java -jar target/millrace.jar}), logging to {@code log}.
   */
  public static JarProcess shell(Path log, Path directory, String command) throws IOException {
    Process process = new ProcessBuilder("bash", "-c", "exec " + command).directory(directory.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new JarProcess(process, log);
  }

  /** A port that was free a moment ago, on loopback. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  public Process process() {
    return process;
  }

  /** Everything the process has written so far. */
  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Waits until a line of output matches, the process exits, or the deadline passes. */
  public Optional<String> awaitLine(Predicate<String> matches, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<String> line = output().lines().filter(matches).findFirst();
      if (line.isPresent() || System.nanoTime() > deadline) {
        return line;
      }
      if (!process.isAlive()) {
        return output().lines().filter(matches).findFirst();
      }
      Processes.pause(50);
    }
  }

  /** Waits until {@code GET /health} answers 200, failing with the output if it does not in time. */
  public void awaitHealthy(int port, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(2)).GET().build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("millrace exited with " + process.exitValue() + " before serving /health:\n"
            + output());
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      Processes.pause(50);
    }
    throw new AssertionError("millrace did not serve /health within " + timeout + ":\n" + output());
  }

  /** Waits for the process to exit and returns its exit code, failing if it does not exit in time. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("millrace did not exit within " + timeout + ":\n" + output());
    }
    return process.exitValue();
  }

  /** SIGKILL, then wait (bounded) until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /** Kills the process if it is still running. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
