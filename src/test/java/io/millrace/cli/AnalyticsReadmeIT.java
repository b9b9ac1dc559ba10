package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.JarProcess;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's SQL application walkthrough, run as written against the server started with the README's command:
 * streams, a Firehose delivery stream reading the output stream, an application from
 * {@code conf/analytics/clicks-per-key.json}, records, the windowed rows read back from the stream and from the
 * embedded S3.
 */
class AnalyticsReadmeIT {

  private static final Path README = Path.of("README.md");
  private static final Path AWS = Path.of("/usr/bin/aws");

  @TempDir
  Path tmp;

  @Test
  void the_shipped_application_json_holds_the_shipped_sql() throws Exception {
    String sql = Files.readString(Path.of("conf/analytics/clicks-per-key.sql"), StandardCharsets.UTF_8);
    assertEquals(sql, new ObjectMapper().readTree(Path.of("conf/analytics/clicks-per-key.json").toFile())
        .path("ApplicationCodeConfiguration").path("CodeContent").path("TextContent").asText());
  }

  @Test
  @Timeout(330)
  void the_sql_application_walkthrough_runs_as_written_and_prints_the_windowed_counts() throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    ReadmeShell.requirePortFree(4567);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, "### SQL applications run by Millrace"));
    assertEquals(18, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    Files.createSymbolicLink(work.resolve("conf"), Path.of("conf").toAbsolutePath());
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, ReadmeShell.startCommand(readme))) {
      server.awaitHealthy(4567, Duration.ofSeconds(60));
      // Flink's start (~20 s) and Firehose's shortest buffering interval the CLI lets through (60 s)
      List<Ran> ran = ReadmeShell.run(commands, work, tmp, Duration.ofSeconds(240));

      ok(ran.get(0), "export AWS_ACCESS_KEY_ID=test");
      ok(ran.get(1), "K=\"aws kinesis");
      ok(ran.get(2), "A=\"aws kinesisanalyticsv2");
      ok(ran.get(3), "F=\"aws firehose");
      ok(ran.get(4), "--stream-name clicks");
      ok(ran.get(5), "--stream-name counts");
      ok(ran.get(6), "--delivery-stream-name counts-to-s3");
      assertEquals("\"READY\"", ok(ran.get(7), "create-application").stdout().trim());
      ok(ran.get(8), "start-application");
      ok(ran.get(9), "until [");
      ok(ran.get(10), "for k in a a a b");
      ok(ran.get(11), "1767225611000");
      ok(ran.get(12), "get-shard-iterator");
      ok(ran.get(13), "until [ -n");
      Set<String> expected = Set.of("{\"key\":\"a\",\"window_start\":\"2026-01-01 00:00:00\",\"clicks\":3}",
          "{\"key\":\"b\",\"window_start\":\"2026-01-01 00:00:00\",\"clicks\":1}");
      assertEquals(expected, lines(ok(ran.get(14), "base64 -d")));
      ok(ran.get(15), "until [ \"$(find data/s3/counts");
      assertEquals(expected, lines(ok(ran.get(16), "-exec cat {} +")));
      ok(ran.get(17), "stop-application");
    }
  }

  /** The non-blank lines a command printed. */
  private static Set<String> lines(Ran ran) {
    return ran.stdout().lines().filter(l -> !l.isBlank()).collect(Collectors.toSet());
  }
}
