package io.millrace.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The AWS CLI's {@code aws kinesisanalyticsv2} commands against a Millrace server (the Java SDK's client is not
 * served by this machine's Maven mirror): each call a CLI process, bounded in time.
 */
public final class AnalyticsCli {

  /** Where .ci/run installs AWS CLI v2. */
  public static final Path AWS = Path.of("/usr/bin/aws");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI endpoint;
  private final Path errors;

  /** @param dir where the CLI's standard error goes */
  public AnalyticsCli(URI endpoint, Path dir) {
    this.endpoint = endpoint;
    this.errors = dir.resolve("cli.err");
  }

  /** Runs {@code aws kinesisanalyticsv2 <args>}; its standard output, parsed if any. Fails if the command fails. */
  public JsonNode run(String... args) throws IOException, InterruptedException {
    Process p = start(args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI did not finish");
    if (p.exitValue() != 0) {
      throw new AssertionError("aws " + String.join(" ", args) + " failed: " + Files.readString(errors));
    }
    return out.isBlank() ? JSON.createObjectNode() : JSON.readTree(out);
  }

  /** Runs a command expected to fail: its exit code ({@code exit}) and standard error ({@code stderr}). */
  public JsonNode fail(String... args) throws IOException, InterruptedException {
    Process p = start(args);
    p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI did not finish");
    return JSON.createObjectNode().put("exit", p.exitValue()).put("stderr", Files.readString(errors));
  }

  private Process start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(AWS.toString(), "kinesisanalyticsv2", "--endpoint-url",
        endpoint.toString(), "--output", "json"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(errors.toFile());
    pb.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x",
        "AWS_DEFAULT_REGION", "us-east-1"));
    return pb.start();
  }

  /** CreateApplication with a FLINK-1_19 runtime and the SQL as plain-text code. */
  public JsonNode create(String name, String sql) throws IOException, InterruptedException {
    String configuration = JSON.writeValueAsString(Map.of("ApplicationCodeConfiguration", Map.of(
        "CodeContent", Map.of("TextContent", sql), "CodeContentType", "PLAINTEXT")));
    return run("create-application", "--application-name", name, "--runtime-environment", "FLINK-1_19",
        "--service-execution-role", "arn:aws:iam::000000000000:role/analytics", "--application-configuration",
        configuration);
  }

  public String status(String name) throws IOException, InterruptedException {
    return run("describe-application", "--application-name", name).path("ApplicationDetail")
        .path("ApplicationStatus").asText();
  }

  /** Waits (bounded, as {@link Poll} is) until the application is in status {@code wanted}. */
  public void awaitStatus(String name, String wanted) throws InterruptedException {
    Poll.until(name + " " + wanted, () -> {
      try {
        return status(name).equals(wanted);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }
}
