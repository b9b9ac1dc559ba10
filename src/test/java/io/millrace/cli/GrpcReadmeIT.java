package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The README's gRPC block, run as written against the server started with the README's command. */
class GrpcReadmeIT {

  @TempDir
  Path tmp;

  @Test
  @Timeout(180)
  void the_grpc_walkthrough_creates_produces_subscribes_and_names_the_aws_error() throws Exception {
    ReadmeShell.requirePortFree(4567);
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, "## gRPC API"));
    assertEquals(5, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, ReadmeShell.startCommand(readme))) {
      server.awaitHealthy(4567, Duration.ofSeconds(60));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);

      ok(ran.get(0), "G=\"java -cp target/millrace.jar io.millrace.app.GrpcTool");
      assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/events",
          ok(ran.get(1), "create-stream events 1").stdout().trim());
      List<String> acks = ok(ran.get(2), "produce events user-1 hello world").stdout().lines().toList();
      assertEquals(2, acks.size(), acks.toString());
      acks.forEach(a -> assertTrue(a.matches("shardId-000000000000 \\d{56}"), a));
      assertEquals(List.of("hello", "world"), ok(ran.get(3), "subscribe events").stdout().lines().toList());
      Ran missing = ran.get(4);
      assertTrue(missing.command().contains("produce nowhere"), missing.command());
      assertEquals(1, missing.exitCode());
      assertEquals("ResourceNotFoundException: Stream nowhere under account 000000000000 not found.",
          missing.stderr().trim());
    }
  }
}
