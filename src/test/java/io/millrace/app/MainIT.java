package io.millrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;

/** The runnable jar: what it logs, how it stops on SIGTERM, how it refuses bad settings, kinesalite's flags. */
class MainIT {

  /** SIGTERM exit codes a clean JVM shutdown may report: 0, or 128 + 15 when the JVM reports the signal. */
  private static final Set<Integer> CLEAN_EXIT = Set.of(0, 143);

  @TempDir
  Path tmp;

  @Test
  void the_jar_logs_where_it_listens_serves_health_and_stops_cleanly_on_sigterm() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess jar = JarProcess.start(tmp.resolve("in-memory.log"), "--in-memory", "--port",
        String.valueOf(port))) {
      Optional<String> listening = jar.awaitLine(l -> l.contains("Millrace listening on"), Duration.ofSeconds(20));
      assertTrue(listening.isPresent(), jar::output);
      assertTrue(listening.get().contains("http://127.0.0.1:" + port), listening.get());
      assertTrue(listening.get().contains("data in memory only"), listening.get());
      jar.awaitHealthy(port, Duration.ofSeconds(20));
      assertEquals(1, jar.output().lines().filter(l -> l.contains("Millrace listening on")).count(), jar::output);

      jar.process().destroy();
      int exit = jar.awaitExit(Duration.ofSeconds(30));
      assertTrue(CLEAN_EXIT.contains(exit), () -> "exit code " + exit + "\n" + jar.output());
      List<String> lines = jar.output().lines().toList();
      assertTrue(lines.stream().anyMatch(l -> l.endsWith("Stopped")), jar::output);
      assertTrue(lines.stream().noneMatch(l -> l.contains(" ERROR ")), jar::output);
    }
  }

  @Test
  void help_lists_every_flag_with_its_setting_environment_variable_default_and_description() throws Exception {
    try (JarProcess jar = JarProcess.start(tmp.resolve("help.log"), "--help")) {
      assertEquals(0, jar.awaitExit(Duration.ofSeconds(20)), jar::output);
      String help = jar.output();
      assertTrue(help.contains("  --port VALUE    (port, MILLRACE_PORT; default 4567)\n"
          + "      Port serving the Kinesis API"), help);
      assertTrue(help.contains("  --in-memory    (inMemory, MILLRACE_IN_MEMORY; default false)"), help);
      assertTrue(help.contains("conf/millrace.yaml"), help);
      for (String flag : List.of("--max-receiving-bytes", "--tls-handshake-timeout-millis", "--initialize-streams",
          "--credentials-file", "--request-read-timeout-millis", "--durability")) {
        assertTrue(help.contains("  " + flag + " VALUE    ("), flag + " in:\n" + help);
      }
    }
  }

  @Test
  void json_logs_are_one_object_per_line_and_the_access_log_has_a_line_per_call() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess jar = JarProcess.start(tmp.resolve("json.log"), "--in-memory", "--port", String.valueOf(port),
        "--log-format", "json", "--access-log", "info", "--create-stream-millis", "0")) {
      jar.awaitHealthy(port, Duration.ofSeconds(20));
      try (var kinesis = io.millrace.testing.KinesisClients.kinesisWithoutRetries(
          java.net.URI.create("http://127.0.0.1:" + port))) {
        kinesis.createStream(b -> b.streamName("logged").shardCount(1));
        kinesis.putRecord(b -> b.streamName("logged").partitionKey("k")
            .data(software.amazon.awssdk.core.SdkBytes.fromUtf8String("x")));
      }
      Optional<String> access = jar.awaitLine(l -> l.contains("\"io.millrace.access\"") && l.contains("PutRecord"),
          Duration.ofSeconds(10));
      assertTrue(access.isPresent(), jar::output);
      com.fasterxml.jackson.databind.JsonNode line = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(access.get());
      assertEquals("INFO", line.get("level").asText());
      String pairs = line.get("kvpList").toString();
      for (String field : List.of("\"operation\":\"PutRecord\"", "\"stream\":\"logged\"", "\"status\":\"200\"",
          "\"requestId\"", "\"latencyMillis\"")) {
        assertTrue(pairs.contains(field), field + " in " + pairs);
      }
      List<String> lines = jar.output().lines().filter(l -> !l.isBlank()).toList();
      for (String l : lines) {
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(l); // every line is a JSON object
      }
      String listening = lines.stream().filter(l -> l.contains("Millrace listening on")).findFirst().orElseThrow();
      String formatted = new com.fasterxml.jackson.databind.ObjectMapper().readTree(listening)
          .path("formattedMessage").asText();
      assertTrue(formatted.contains("http://127.0.0.1:" + port) && !formatted.contains("{}"), listening);
    }
  }

  @Test
  void a_bad_setting_stops_the_start_with_a_message_naming_it() throws Exception {
    for (List<String> args : List.of(List.of("--port", "abc"), List.of("--port", "70000"),
        List.of("--durability", "sometimes"), List.of("--no-such-flag", "1"),
        List.of("--initialize-streams", "orders:many"))) {
      String name = String.join("_", args).replaceAll("[^a-z0-9_]", "");
      try (JarProcess jar = JarProcess.start(tmp.resolve("bad-" + name + ".log"), args.toArray(String[]::new))) {
        int exit = jar.awaitExit(Duration.ofSeconds(20));
        assertNotEquals(0, exit, jar::output);
        String setting = args.get(0).substring(2);
        boolean unknownFlag = setting.equals("no-such-flag");
        assertTrue(jar.output().contains(setting) && (unknownFlag || jar.output().contains(args.get(1))),
            () -> "the message should name " + setting + " and " + args.get(1) + ":\n" + jar.output());
        assertTrue(jar.output().lines().count() <= 3, () -> "a short message, not a stack trace:\n" + jar.output());
      }
    }
  }

  @Test
  void a_second_server_on_the_same_data_directory_stops_at_once_naming_the_directory_and_the_holder()
      throws Exception {
    Path dir = tmp.resolve("shared-data");
    int port = JarProcess.freePort();
    try (JarProcess first = JarProcess.start(tmp.resolve("first.log"), "--data-dir", dir.toString(), "--port",
        String.valueOf(port))) {
      first.awaitHealthy(port, Duration.ofSeconds(20));
      try (JarProcess second = JarProcess.start(tmp.resolve("second.log"), "--data-dir", dir.toString(), "--port",
          String.valueOf(JarProcess.freePort()))) {
        assertNotEquals(0, second.awaitExit(Duration.ofSeconds(20)), second::output);
        List<String> errors = second.output().lines().filter(l -> l.contains(" ERROR ")).toList();
        assertEquals(1, errors.size(), second::output);
        String line = errors.get(0);
        assertTrue(line.contains("Data directory " + dir.toAbsolutePath() + " is in use by another Millrace server"),
            line);
        assertTrue(line.contains("pid " + first.process().pid()) && line.contains("port " + port), line);
        assertTrue(second.output().lines().noneMatch(l -> l.contains("Loaded ") || l.startsWith("\tat ")),
            second::output);
      }
      jarStaysHealthy(first, port);
    }
  }

  @Test
  void a_second_server_on_a_port_in_use_stops_before_loading_its_data() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess first = JarProcess.start(tmp.resolve("port-first.log"), "--in-memory", "--port",
        String.valueOf(port))) {
      first.awaitHealthy(port, Duration.ofSeconds(20));
      try (JarProcess second = JarProcess.start(tmp.resolve("port-second.log"), "--data-dir",
          tmp.resolve("other-data").toString(), "--port", String.valueOf(port))) {
        assertNotEquals(0, second.awaitExit(Duration.ofSeconds(20)), second::output);
        assertTrue(second.output().contains("Cannot listen on 127.0.0.1:" + port), second::output);
        assertTrue(second.output().lines().noneMatch(l -> l.contains("Loaded ") || l.startsWith("\tat ")),
            second::output);
      }
    }
  }

  private static void jarStaysHealthy(JarProcess jar, int port) {
    assertTrue(jar.process().isAlive(), jar::output);
    jar.awaitHealthy(port, Duration.ofSeconds(5));
  }

  @Test
  void kinesalite_flags_are_accepted() throws Exception {
    int port = JarProcess.freePort();
    Path dir = tmp.resolve("kinesalite-data");
    try (JarProcess jar = JarProcess.start(tmp.resolve("kinesalite.log"), "--path", dir.toString(),
        "--createStreamMs", "0", "--shardLimit", "3", "--port", String.valueOf(port))) {
      jar.awaitHealthy(port, Duration.ofSeconds(20));
      Optional<String> listening = jar.awaitLine(l -> l.contains("Millrace listening on"), Duration.ofSeconds(10));
      assertTrue(listening.isPresent() && listening.get().contains(dir.toAbsolutePath().toString()), jar::output);
      try (KinesisClient kinesis = KinesisClients.kinesis(URI.create("http://127.0.0.1:" + port))) {
        assertThrows(LimitExceededException.class, () -> kinesis.createStream(b -> b.streamName("four")
            .shardCount(4)));
        kinesis.createStream(b -> b.streamName("three").shardCount(3));
        // CREATING lasts until the shards are up, even with --createStreamMs 0; bounded wait for ACTIVE.
        String status = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (int i = 0; i < 10_000 && System.nanoTime() < deadline && !status.equals("ACTIVE"); i++) {
          status = kinesis.describeStreamSummary(b -> b.streamName("three")).streamDescriptionSummary()
              .streamStatusAsString();
        }
        assertEquals("ACTIVE", status);
      }
      jar.process().destroy();
      int exit = jar.awaitExit(Duration.ofSeconds(30));
      assertTrue(CLEAN_EXIT.contains(exit), () -> "exit code " + exit + "\n" + jar.output());
    }
  }
}
