package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.testing.JarProcess;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import io.millrace.testing.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Firehose walkthroughs, run exactly as written against the jar started with the README's own commands:
 * a delivery stream into the embedded S3 files, a batch of records, the gzip object they became, then the stream
 * listed and deleted; and a delivery stream into an S3-compatible store (S3Proxy on the port and with the key pair
 * the README names), the object listed and read back with {@code aws s3}. Editing a block without this test fails it.
 */
class FirehoseReadmeIT {

  private static final Path README = Path.of("README.md");
  private static final Path AWS = Path.of("/usr/bin/aws");

  @TempDir
  Path tmp;

  @Test
  @Timeout(180)
  void the_firehose_walkthrough_runs_as_written_and_prints_what_it_says() throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    ReadmeShell.requirePortFree(4567);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme,
        "## Firehose walkthrough: records into files"));
    assertEquals(10, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, ReadmeShell.startCommand(readme))) {
      server.awaitHealthy(4567, Duration.ofSeconds(30));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);

      ok(ran.get(0), "export AWS_ACCESS_KEY_ID=test");
      ok(ran.get(1), "F=\"aws firehose");
      JsonNode created = ok(ran.get(2), "create-delivery-stream").json();
      assertEquals("arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks",
          created.path("DeliveryStreamARN").asText());
      assertEquals("\"ACTIVE\"", ok(ran.get(3), "describe-delivery-stream").stdout().trim());
      JsonNode put = ok(ran.get(4), "put-record-batch").json();
      assertEquals(0, put.path("FailedPutCount").asInt(), put.toString());
      assertEquals(2, put.path("RequestResponses").size());
      ok(ran.get(5), "until");
      String object = ok(ran.get(6), "find").stdout().trim();
      assertTrue(object.matches("data/s3/clicks/\\d{4}/\\d{2}/\\d{2}/\\d{2}/clicks-1-\\d{4}(-\\d{2}){5}-"
          + "[0-9a-f-]{36}\\.gz"), object);
      assertEquals("{\"page\":\"/home\"}\n{\"page\":\"/cart\"}\n", ok(ran.get(7), "zcat").stdout());
      assertTrue(ok(ran.get(8), "list-delivery-streams").json().path("DeliveryStreamNames").toString()
          .contains("\"clicks\""));
      ok(ran.get(9), "delete-delivery-stream");
    }
  }

  @Test
  @Timeout(180)
  void the_s3_compatible_store_walkthrough_runs_as_written_against_a_real_store() throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    ReadmeShell.requirePortFree(4567);
    ReadmeShell.requirePortFree(9000);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    String section = "## Firehose walkthrough: into an S3-compatible store";
    String start = ReadmeShell.block(readme, section, 0).trim();
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, section, 1));
    assertEquals(12, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    try (S3ProxyServer store = S3ProxyServer.start(Files.createDirectories(tmp.resolve("store")), 9000,
             "minioadmin", "minioadmin");
         JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, start)) {
      server.awaitHealthy(4567, Duration.ofSeconds(30));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);

      ok(ran.get(0), "export AWS_ACCESS_KEY_ID=minioadmin");
      ok(ran.get(1), "F=\"aws firehose");
      ok(ran.get(2), "S3=\"aws s3");
      ok(ran.get(3), "mb s3://orders-archive");
      assertEquals("arn:aws:firehose:us-east-1:000000000000:deliverystream/orders",
          ok(ran.get(4), "create-delivery-stream").json().path("DeliveryStreamARN").asText());
      assertTrue(ok(ran.get(5), "order 1").json().hasNonNull("RecordId"));
      assertTrue(ok(ran.get(6), "order 2").json().hasNonNull("RecordId"));
      ok(ran.get(7), "until");
      String listing = ok(ran.get(8), "ls s3://orders-archive").stdout().trim();
      assertTrue(listing.matches("\\S+ \\S+ +16 orders/\\d{4}-\\d{2}-\\d{2}/orders-1-\\d{4}(-\\d{2}){5}-"
          + "[0-9a-f-]{36}"), listing);
      ok(ran.get(9), "cp s3://orders-archive archive");
      assertEquals("order 1\norder 2\n", ok(ran.get(10), "cat archive").stdout());
      ok(ran.get(11), "delete-delivery-stream");
    }
  }
}
