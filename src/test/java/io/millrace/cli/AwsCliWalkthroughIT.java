package io.millrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AWS CLI v2 ({@code /usr/bin/aws}, installed by {@code .ci/run}) walks through a stream's life against an
 * in-process server: create, describe, list, put, read back, delete. Skipped only when the CLI is not installed.
 */
class AwsCliWalkthroughIT {

  private static final Path AWS = Path.of("/usr/bin/aws");
  private static final long CALL_TIMEOUT_SECONDS = 60;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private TestServer server;
  private int calls;

  /** What one CLI call did. */
  record Run(int exitCode, String stdout, String stderr) {
    JsonNode json() {
      try {
        return JSON.readTree(stdout);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + stdout + "\nstderr: " + stderr, e);
      }
    }
  }

  @BeforeEach
  void start() {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws");
    server = TestServer.start(Map.of());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void the_aws_cli_creates_writes_reads_and_deletes_a_stream() throws Exception {
    ok("create-stream", "--stream-name", "walk", "--shard-count", "1");

    JsonNode summary = ok("describe-stream-summary", "--stream-name", "walk").json()
        .path("StreamDescriptionSummary");
    assertEquals("walk", summary.path("StreamName").asText());
    assertEquals("ACTIVE", summary.path("StreamStatus").asText());
    assertEquals(1, summary.path("OpenShardCount").asInt());

    List<String> names = new ArrayList<>();
    ok("list-streams").json().path("StreamNames").forEach(n -> names.add(n.asText()));
    assertEquals(List.of("walk"), names);

    JsonNode put = ok("put-record", "--stream-name", "walk", "--partition-key", "123", "--data", "testdata").json();
    assertEquals("shardId-000000000000", put.path("ShardId").asText());
    String sequenceNumber = put.path("SequenceNumber").asText();
    assertTrue(sequenceNumber.matches("[1-9]\\d*"), sequenceNumber);

    String iterator = ok("get-shard-iterator", "--stream-name", "walk", "--shard-id", "shardId-000000000000",
        "--shard-iterator-type", "TRIM_HORIZON").json().path("ShardIterator").asText();
    assertTrue(!iterator.isEmpty());

    JsonNode records = ok("get-records", "--shard-iterator", iterator).json().path("Records");
    assertEquals(1, records.size(), records.toString());
    JsonNode record = records.get(0);
    assertEquals(Base64.getEncoder().encodeToString("testdata".getBytes(StandardCharsets.UTF_8)),
        record.path("Data").asText());
    assertEquals("123", record.path("PartitionKey").asText());
    assertEquals(sequenceNumber, record.path("SequenceNumber").asText());

    ok("delete-stream", "--stream-name", "walk");

    Run gone = aws("describe-stream-summary", "--stream-name", "walk");
    assertNotEquals(0, gone.exitCode(), gone.stdout());
    assertTrue(gone.stderr().contains("ResourceNotFoundException"), gone.stderr());
  }

  private Run ok(String... args) throws Exception {
    Run run = aws(args);
    assertEquals(0, run.exitCode(), () -> String.join(" ", args) + " failed:\n" + run.stderr());
    return run;
  }

  /** Runs one {@code aws kinesis} command against the test server, bounded in time. */
  private Run aws(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(AWS.toString(), "kinesis"));
    command.addAll(List.of(args));
    command.addAll(List.of("--endpoint-url", server.endpoint().toString(), "--cli-binary-format",
        "raw-in-base64-out", "--output", "json", "--no-cli-pager"));
    int n = calls++;
    Path out = tmp.resolve("aws-" + n + ".out");
    Path err = tmp.resolve("aws-" + n + ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    Map<String, String> env = builder.environment();
    env.put("AWS_ACCESS_KEY_ID", "AKIDTEST");
    env.put("AWS_SECRET_ACCESS_KEY", "secret");
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CONFIG_FILE", tmp.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_PAGER", "");
    env.remove("AWS_PROFILE");
    env.remove("AWS_SESSION_TOKEN");
    Process process = builder.start();
    if (!process.waitFor(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("aws " + String.join(" ", args) + " did not finish within " + CALL_TIMEOUT_SECONDS
          + " s; stderr: " + Files.readString(err));
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }
}
