package io.millrace.analytics;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs analytics applications on Flink, each in a child JVM of its own: Flink's jars (the class path in
 * {@code analyticsClasspath}) and Millrace's runner, {@code FlinkSqlRunner.java}, which Java's source launcher compiles
 * against them. That JVM plans the application's SQL and runs the job on a local Flink inside it or, when
 * {@code analyticsFlinkRestUrl} names a Flink cluster, submits it there with the connectors' jars ({@link #shipped})
 * and cancels it when it is stopped. Flink never joins Millrace's own process, and a server that runs no application
 * never starts it.
 *
 * <p>The child reads its standard input, which only Millrace holds: if Millrace dies, even by {@code kill -9}, the
 * child sees the end of it and stops its job, so a restart that starts the application again never runs it twice.
 *
 * <p>Blocking: its methods start processes and wait for them; callers run them on workers. Thread-safe.
 */
public final class FlinkRunner {

  private static final Logger LOG = LoggerFactory.getLogger(FlinkRunner.class);

  /** What Flink 1.19 needs opened on Java 17. */
  private static final List<String> OPENS = List.of("java.util", "java.lang", "java.lang.reflect", "java.time",
      "java.net", "java.nio", "sun.nio.ch");
  /** How long a validation may take (a JVM start, compiling the runner, planning the SQL: 5 to 10 s here). */
  static final long VALIDATE_TIMEOUT_SECONDS = 120;
  /** How long a stopped application's JVM may take to exit before it is killed. */
  static final long STOP_TIMEOUT_SECONDS = 10;

  /** A running application's JVM. */
  public interface Running {
    /** Stops it (SIGTERM, then SIGKILL); returns once it has exited. Blocking. */
    void stop();
  }

  /**
   * Where the class path's jars come from when they are not part of a Flink distribution: the connectors and what
   * they need, which a cluster gets with the job (Maven repository paths, and the connectors' file names).
   */
  private static final List<String> SHIPPED_PATHS = List.of("/software/amazon/", "/io/netty/", "/org/reactivestreams/",
      "/com/fasterxml/jackson/");
  private static final List<String> SHIPPED_NAMES = List.of("flink-connector-", "flink-sql-connector-");

  private final Path classpathFile;
  private final String clusterUrl;
  private final Path workDir;

  /**
   * @param classpathFile a file holding Flink's class path ({@code target/analytics/classpath.txt}, which the build
   *                      writes)
   * @param clusterUrl    a Flink cluster's REST address to run jobs on, or empty for a local Flink per application
   * @param workDir       where applications' SQL, the runner and their logs go
   */
  public FlinkRunner(Path classpathFile, String clusterUrl, Path workDir) {
    this.classpathFile = classpathFile;
    this.clusterUrl = clusterUrl;
    this.workDir = workDir;
  }

  /**
   * The entries of Flink's class path a cluster does not hold and gets with each job: the Kinesis and Firehose
   * connectors and the libraries they use (the AWS SDK, Netty, Jackson). The rest is what a Flink distribution's
   * {@code lib/} holds.
   */
  public static List<String> shipped(List<String> classpath) {
    return classpath.stream().filter(FlinkRunner::isShipped).toList();
  }

  /** The entries of Flink's class path that a Flink distribution holds: the complement of {@link #shipped}. */
  public static List<String> distribution(List<String> classpath) {
    return classpath.stream().filter(entry -> !isShipped(entry)).toList();
  }

  private static boolean isShipped(String entry) {
    String path = entry.replace('\\', '/');
    String name = path.substring(path.lastIndexOf('/') + 1);
    return SHIPPED_PATHS.stream().anyMatch(path::contains) || SHIPPED_NAMES.stream().anyMatch(name::startsWith);
  }

  /** Empty if Flink takes the SQL; else Flink's message. Blocking (5 to 10 s). */
  public Optional<String> validate(ApplicationMeta app) throws IOException, InterruptedException {
    Path sql = writeSql(app);
    Process p = start("validate", sql, workDir.resolve(safe(app) + "-validate.log"));
    if (!p.waitFor(VALIDATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return Optional.of("Flink did not finish checking the application within " + VALIDATE_TIMEOUT_SECONDS + " s.");
    }
    if (p.exitValue() == 0) {
      return Optional.empty();
    }
    String errors = Files.readString(workDir.resolve(safe(app) + "-validate.log"), StandardCharsets.UTF_8).strip();
    return Optional.of(errors.isEmpty() ? "Flink refused the application (exit " + p.exitValue() + ")." : errors);
  }

  /**
   * Starts the application's job; {@code onRunning} hears the job id once Flink runs it, {@code onExit} a reason
   * once the JVM has exited (whatever the cause, a stop included). Blocking only while the JVM starts.
   */
  public Running run(ApplicationMeta app, Consumer<String> onRunning, Consumer<String> onExit) throws IOException {
    Path sql = writeSql(app);
    Path log = workDir.resolve(safe(app) + ".log");
    Process p = start("run", sql, null, log);
    Thread reader = new Thread(() -> watch(p, onRunning, onExit), "analytics-" + app.name());
    reader.setDaemon(true);
    reader.start();
    return () -> {
      p.destroy();
      try {
        if (!p.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    };
  }

  private static void watch(Process p, Consumer<String> onRunning, Consumer<String> onExit) {
    String last = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("RUNNING ")) {
          onRunning.accept(line.substring("RUNNING ".length()));
        } else if (!line.isBlank()) {
          last = line;
        }
      }
      p.waitFor();
    } catch (IOException e) {
      last = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    onExit.accept(last == null ? "its JVM exited (" + (p.isAlive() ? "?" : p.exitValue()) + ")" : last);
  }

  private Process start(String mode, Path sql, Path errors) throws IOException {
    return start(mode, sql, errors, errors);
  }

  private Process start(String mode, Path sql, Path errors, Path log) throws IOException {
    if (!Files.isRegularFile(classpathFile)) {
      throw new IOException("Flink's class path is not at " + classpathFile.toAbsolutePath() + ": build Millrace with "
          + "`mvn package` (it writes target/analytics/classpath.txt) or set analyticsClasspath");
    }
    Path runner = workDir.resolve("FlinkSqlRunner.java");
    try (InputStream source = FlinkRunner.class.getResourceAsStream("/analytics/FlinkSqlRunner.java")) {
      if (source == null) {
        throw new IOException("the analytics runner is missing from Millrace's jar");
      }
      Files.write(runner, source.readAllBytes());
    }
    String classpath = Files.readString(classpathFile, StandardCharsets.UTF_8).strip();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    OPENS.forEach(pkg -> command.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED"));
    command.addAll(List.of("-Xmx512m", "-Dslf4j.internal.verbosity=ERROR", "-cp", classpath, runner.toString(), mode,
        sql.toString()));
    if (mode.equals("run") && !clusterUrl.isEmpty()) {
      command.addAll(List.of(clusterUrl, String.join(File.pathSeparator,
          shipped(List.of(classpath.split(File.pathSeparator))))));
    }
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    if (mode.equals("validate")) {
      builder.redirectErrorStream(false).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(errors.toFile());
    } else {
      builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }
    LOG.info("Starting Flink ({}{}) for {}", mode, clusterUrl.isEmpty() ? "" : " on " + clusterUrl, sql);
    return builder.start();
  }

  private Path writeSql(ApplicationMeta app) throws IOException {
    Files.createDirectories(workDir);
    Path sql = workDir.resolve(safe(app) + ".sql");
    Files.writeString(sql, app.sql(), StandardCharsets.UTF_8);
    return sql;
  }

  private static String safe(ApplicationMeta app) {
    return app.account() + "-" + app.region() + "-" + app.name();
  }
}
