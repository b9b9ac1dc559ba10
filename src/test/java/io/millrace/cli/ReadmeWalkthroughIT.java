package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.testing.JarProcess;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walkthrough, run exactly as written: the server is started with the README's own command
 * ({@code bin/millrace}, so on port 4567 with data in {@code ./data}, here a scratch directory whose {@code target} is
 * the build's and {@code bin} the repository's), then every command of the README's AWS CLI block runs in order in one bash, and
 * each one's output is checked. Editing the block without this test fails it.
 */
class ReadmeWalkthroughIT {

  private static final Path README = Path.of("README.md");
  private static final Path AWS = Path.of("/usr/bin/aws");

  @TempDir
  Path tmp;

  @Test
  @Timeout(180)
  void the_readme_walkthrough_runs_as_written_and_prints_what_it_says() throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    ReadmeShell.requirePortFree(4567);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    String start = ReadmeShell.startCommand(readme);
    assertEquals("bin/millrace", start);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, "## Walkthrough with the AWS CLI v2"));
    assertEquals(11, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, start)) {
      server.awaitHealthy(4567, Duration.ofSeconds(30));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);

      ok(ran.get(0), "export AWS_ACCESS_KEY_ID=test");
      ok(ran.get(1), "K=\"aws kinesis");
      assertEquals("", ok(ran.get(2), "create-stream").stdout().trim());
      JsonNode summary = ok(ran.get(3), "describe-stream-summary").json().path("StreamDescriptionSummary");
      assertEquals("orders", summary.path("StreamName").asText());
      assertEquals("ACTIVE", summary.path("StreamStatus").asText()); // no creation delay: ACTIVE at once
      assertEquals(2, summary.path("OpenShardCount").asInt());
      assertTrue(ok(ran.get(4), "list-streams").json().path("StreamNames").toString().contains("\"orders\""));
      JsonNode put = ok(ran.get(5), "put-record").json();
      assertEquals("shardId-000000000000", put.path("ShardId").asText(), "the README says where 123 lands");
      assertTrue(put.path("SequenceNumber").asText().matches("[1-9]\\d*"), put.toString());
      ok(ran.get(6), "SHARD=$(");
      ok(ran.get(7), "ITERATOR=$(");
      JsonNode records = ok(ran.get(8), "get-records").json().path("Records");
      assertEquals(2, records.size(), records.toString());
      assertEquals("dGVzdGRhdGE=", records.get(0).path("Data").asText());
      assertEquals("testdata", new String(Base64.getDecoder().decode(records.get(0).path("Data").asText()),
          StandardCharsets.UTF_8));
      assertEquals("YWdhaW4=", records.get(1).path("Data").asText());
      assertEquals(put.path("SequenceNumber").asText(), records.get(0).path("SequenceNumber").asText());
      assertEquals("123", records.get(0).path("PartitionKey").asText());
      ok(ran.get(9), "delete-stream");
      Ran gone = ran.get(10);
      assertTrue(gone.command().contains("describe-stream-summary"), gone.command());
      assertNotEquals(0, gone.exitCode(), gone.stdout());
      assertTrue(gone.stderr().contains("ResourceNotFoundException"), gone.stderr());

      assertTrue(Files.isDirectory(work.resolve("data")), "the server keeps its data in ./data");
    }
  }
}
