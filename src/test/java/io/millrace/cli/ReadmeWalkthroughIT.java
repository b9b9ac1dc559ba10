package io.millrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.JarProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walkthrough, run exactly as written: the server is started with the README's own command
 * ({@code java -jar target/millrace.jar}, so on port 4567 with data in {@code ./data}, here a scratch directory whose
 * {@code target} is the build's), then every command of the README's AWS CLI block runs in order in one bash, and
 * each one's output is checked. Editing the block without this test fails it.
 */
class ReadmeWalkthroughIT {

  private static final Path README = Path.of("README.md");
  private static final Path AWS = Path.of("/usr/bin/aws");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** What one command of the block did. */
  record Ran(String command, int exitCode, String stdout, String stderr) {
    JsonNode json() {
      try {
        return JSON.readTree(stdout);
      } catch (IOException e) {
        throw new AssertionError(command + " did not print JSON: " + stdout + "\nstderr: " + stderr, e);
      }
    }
  }

  @Test
  @Timeout(180)
  void the_readme_walkthrough_runs_as_written_and_prints_what_it_says() throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    requirePortFree(4567);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    String start = startCommand(readme);
    assertEquals("java -jar target/millrace.jar", start);
    List<String> commands = commands(block(readme, "## Walkthrough with the AWS CLI v2"));
    assertEquals(11, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = Files.createDirectories(tmp.resolve("checkout"));
    Files.createSymbolicLink(work.resolve("target"), JarProcess.jar().toAbsolutePath().getParent());
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, start)) {
      server.awaitHealthy(4567, Duration.ofSeconds(30));
      List<Ran> ran = runInOneShell(commands, work);

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

  /** The README's start command: what follows {@code &&} in its first bash block. */
  private static String startCommand(String readme) {
    String first = block(readme, "## The two commands");
    return first.substring(first.indexOf("&&") + 2).trim();
  }

  /** The first ```bash block after {@code heading}. */
  private static String block(String readme, String heading) {
    int at = readme.indexOf(heading);
    assertTrue(at >= 0, "README has no " + heading);
    int open = readme.indexOf("```bash\n", at) + "```bash\n".length();
    return readme.substring(open, readme.indexOf("```", open));
  }

  /** The block's commands: continuation lines joined, blank lines dropped. */
  private static List<String> commands(String block) {
    List<String> commands = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : block.split("\n")) {
      current.append(line);
      if (line.endsWith("\\")) {
        current.append('\n');
        continue;
      }
      if (!current.toString().isBlank()) {
        commands.add(current.toString());
      }
      current.setLength(0);
    }
    return commands;
  }

  /** Runs the commands in order in one bash (variables carry over), capturing each one's output and status. */
  private List<Ran> runInOneShell(List<String> commands, Path work) throws Exception {
    StringBuilder script = new StringBuilder();
    for (int i = 0; i < commands.size(); i++) {
      script.append("{ ").append(commands.get(i)).append("\n} > out.").append(i).append(" 2> err.").append(i)
          .append("; echo $? > status.").append(i).append('\n');
    }
    Path driver = work.resolve("walkthrough.sh");
    Files.writeString(driver, script.toString());
    ProcessBuilder bash = new ProcessBuilder("bash", driver.toString()).directory(work.toFile())
        .redirectErrorStream(true).redirectOutput(work.resolve("driver.log").toFile());
    Map<String, String> env = bash.environment();
    env.put("PATH", "/usr/bin:/bin:" + env.getOrDefault("PATH", "")); // the CLI v2 the README names
    env.put("AWS_CONFIG_FILE", tmp.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_PAGER", "");
    env.remove("AWS_PROFILE");
    env.remove("AWS_SESSION_TOKEN");
    Process process = bash.start();
    assertTrue(process.waitFor(150, TimeUnit.SECONDS), "the walkthrough did not finish in time");
    List<Ran> ran = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      ran.add(new Ran(commands.get(i), Integer.parseInt(Files.readString(work.resolve("status." + i)).trim()),
          Files.readString(work.resolve("out." + i)), Files.readString(work.resolve("err." + i))));
    }
    return ran;
  }

  private static Ran ok(Ran ran, String expectedStart) {
    assertTrue(ran.command().contains(expectedStart), "expected a command with " + expectedStart + ": "
        + ran.command());
    assertEquals(0, ran.exitCode(), () -> ran.command() + " failed:\n" + ran.stderr());
    return ran;
  }

  private static void requirePortFree(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      probe.setReuseAddress(true);
    } catch (IOException e) {
      throw new AssertionError("port " + port + " is taken, and the README's walkthrough uses it: stop whatever "
          + "listens there (a Millrace started by hand?) and run the test again", e);
    }
  }
}
