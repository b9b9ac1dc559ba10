package io.millrace.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.analytics.FlinkRunner;
import java.io.File;
import java.io.IOException;
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

/**
 * A standalone Flink session cluster on loopback, as a Flink distribution's {@code start-cluster.sh} runs one: a
 * JobManager ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner}), each a JVM
 * of its own, on the jars a Flink distribution's {@code lib/} holds ({@link FlinkRunner#distribution}; the Maven
 * mirror here does not serve {@code flink-dist}). No connector is installed: jobs bring theirs, as they must on a
 * real cluster. Its REST API answers on a free port; every wait here has a deadline.
 */
public final class FlinkCluster implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> OPENS = List.of("java.util", "java.lang", "java.lang.reflect", "java.time",
      "java.net", "java.nio", "sun.nio.ch");

  private final Process jobManager;
  private final Process taskManager;
  private final URI rest;
  private final Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private FlinkCluster(Process jobManager, Process taskManager, URI rest, Path dir) {
    this.jobManager = jobManager;
    this.taskManager = taskManager;
    this.rest = rest;
    this.dir = dir;
  }

  /** Starts the cluster under {@code dir} with Flink's class path from {@code classpathFile}; waits for its slots. */
  public static FlinkCluster start(Path dir, Path classpathFile) throws IOException, InterruptedException {
    List<String> all = List.of(Files.readString(classpathFile, StandardCharsets.UTF_8).strip()
        .split(File.pathSeparator));
    List<String> jars = new ArrayList<>(FlinkRunner.distribution(all));
    // a distribution logs through log4j; these JVMs log through the tests' logback, warnings and errors only
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.replace('\\', '/').contains("/ch/qos/logback/")) {
        jars.add(entry);
      }
    }
    String classpath = String.join(File.pathSeparator, jars);
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(conf.resolve("logback.xml"), "<configuration><appender name=\"out\" "
        + "class=\"ch.qos.logback.core.ConsoleAppender\"><encoder><pattern>%d %-5level %logger{36} %msg%n</pattern>"
        + "</encoder></appender><root level=\"" + System.getProperty("flink.cluster.log", "WARN") + "\">"
        + "<appender-ref ref=\"out\"/></root></configuration>\n");
    int restPort = JarProcess.freePort();
    Files.writeString(conf.resolve("flink-conf.yaml"), String.join("\n",
        "jobmanager.rpc.address: 127.0.0.1",
        "jobmanager.rpc.port: " + JarProcess.freePort(),
        "jobmanager.bind-host: 127.0.0.1",
        "jobmanager.memory.process.size: 768m",
        "rest.address: 127.0.0.1",
        "rest.bind-address: 127.0.0.1",
        "rest.port: " + restPort,
        "taskmanager.host: 127.0.0.1",
        "taskmanager.bind-host: 127.0.0.1",
        "taskmanager.numberOfTaskSlots: 2",
        // what start-cluster.sh works out (BashJavaUtils) and passes to a TaskManager it starts
        "taskmanager.cpu.cores: 2",
        "taskmanager.memory.framework.heap.size: 128m",
        "taskmanager.memory.task.heap.size: 256m",
        "taskmanager.memory.framework.off-heap.size: 128m",
        "taskmanager.memory.task.off-heap.size: 0m",
        "taskmanager.memory.network.min: 64m",
        "taskmanager.memory.network.max: 64m",
        "taskmanager.memory.managed.size: 128m",
        "taskmanager.memory.jvm-metaspace.size: 256m",
        "taskmanager.memory.jvm-overhead.min: 192m",
        "taskmanager.memory.jvm-overhead.max: 192m",
        "io.tmp.dirs: " + Files.createDirectories(dir.resolve("tmp")),
        "") + "\n");
    Process jobManager = java(dir, classpath, "jobmanager",
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf);
    Process taskManager = java(dir, classpath, "taskmanager",
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf);
    FlinkCluster cluster = new FlinkCluster(jobManager, taskManager, URI.create("http://127.0.0.1:" + restPort),
        dir);
    try {
      Poll.until("a Flink cluster with a TaskManager", () -> {
        if (!jobManager.isAlive() || !taskManager.isAlive()) {
          throw new AssertionError("Flink exited while starting:\n" + cluster.logs());
        }
        JsonNode overview = cluster.get("/overview");
        return overview != null && overview.path("taskmanagers").asInt() == 1;
      });
    } catch (AssertionError | InterruptedException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private static Process java(Path dir, String classpath, String name, String main, Path conf) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    OPENS.forEach(pkg -> command.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED"));
    command.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1",
        "-Dlogback.configurationFile=" + conf.resolve("logback.xml"), "-cp", classpath, main, "--configDir",
        conf.toString()));
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
  }

  /** The REST address, as {@code analyticsFlinkRestUrl} takes it. */
  public URI restUrl() {
    return rest;
  }

  /** The states of the cluster's jobs ({@code RUNNING}, {@code CANCELED}, ...), one per job. */
  public List<String> jobStates() {
    JsonNode jobs = get("/jobs/overview");
    List<String> states = new ArrayList<>();
    if (jobs != null) {
      jobs.path("jobs").forEach(job -> states.add(job.path("state").asText()));
    }
    return states;
  }

  /** What the JobManager and TaskManager have written, for failure messages. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("jobmanager", "taskmanager")) {
      try {
        out.append("--- ").append(name).append('\n')
            .append(Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.append("(unreadable: ").append(e.getMessage()).append(")\n");
      }
    }
    return out.toString();
  }

  /** GETs a REST path; null while the cluster does not answer. */
  private JsonNode get(String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve(path)).timeout(Duration.ofSeconds(5))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    Processes.stop(taskManager, "Flink TaskManager", Duration.ofSeconds(10));
    Processes.stop(jobManager, "Flink JobManager", Duration.ofSeconds(10));
  }
}
