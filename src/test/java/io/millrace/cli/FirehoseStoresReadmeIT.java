package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.testing.HecServer;
import io.millrace.testing.JarProcess;
import io.millrace.testing.OpenSearchNode;
import io.millrace.testing.PostgresServer;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walkthrough into the stores, run exactly as written against the server started with the README's
 * command: PostgreSQL 15 on port 5433 (the role, password and database the README names), OpenSearch 2.19 on 9200
 * and a test HTTP Event Collector on 8088 with the README's token. Editing the block without this test fails it.
 */
class FirehoseStoresReadmeIT {

  private static final Path README = Path.of("README.md");
  private static final Path AWS = Path.of("/usr/bin/aws");
  private static final String SECTION = "## Firehose walkthrough: into PostgreSQL, OpenSearch and Splunk";
  private static final String HEC_TOKEN = "8ad4a6b2-0f5c-4c3e-9a53-6a4c1e2f7b10";

  @TempDir
  Path tmp;

  @Test
  @Timeout(300)
  void the_store_walkthrough_runs_as_written_against_postgresql_opensearch_and_an_event_collector()
      throws Exception {
    assumeTrue(Files.isExecutable(AWS), "AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs it)");
    for (int port : List.of(4567, 5433, 9200, 8088)) {
      ReadmeShell.requirePortFree(port);
    }
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, SECTION));
    assertEquals(17, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    Path work = ReadmeShell.checkout(tmp);
    Vertx vertx = Vertx.vertx();
    try (PostgresServer pg = PostgresServer.start(tmp.resolve("pg"), 5433);
         OpenSearchNode search = OpenSearchNode.start(tmp.resolve("opensearch"), 9200);
         HecServer hec = HecServer.start(vertx, Map.of(HEC_TOKEN, true), 8088);
         JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, ReadmeShell.startCommand(readme))) {
      server.awaitHealthy(4567, Duration.ofSeconds(60));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);

      ok(ran.get(0), "export AWS_ACCESS_KEY_ID=test");
      ok(ran.get(1), "F=\"aws firehose");
      ok(ran.get(2), "export PGPASSWORD");
      ok(ran.get(3), "PSQL=");
      ok(ran.get(4), "CREATE TABLE orders");
      assertEquals("arn:aws:firehose:us-east-1:000000000000:deliverystream/orders-to-pg",
          ok(ran.get(5), "--redshift-destination-configuration").json().path("DeliveryStreamARN").asText());
      assertEquals("arn:aws:firehose:us-east-1:000000000000:deliverystream/web-to-search",
          ok(ran.get(6), "--amazonopensearchservice-destination-configuration").json().path("DeliveryStreamARN")
              .asText());
      assertEquals("arn:aws:firehose:us-east-1:000000000000:deliverystream/logs-to-splunk",
          ok(ran.get(7), "--splunk-destination-configuration").json().path("DeliveryStreamARN").asText());
      assertEquals(0, ok(ran.get(8), "orders-to-pg --records").json().path("FailedPutCount").asInt());
      assertEquals(0, ok(ran.get(9), "web-to-search --records").json().path("FailedPutCount").asInt());
      assertTrue(ok(ran.get(10), "logs-to-splunk --record").json().hasNonNull("RecordId"));
      ok(ran.get(11), "until [");
      assertEquals("1|ann|9.5\n2|bob|20\n", ok(ran.get(12), "SELECT * FROM orders").stdout());
      ok(ran.get(13), "until curl -s 'http://127.0.0.1:9200");
      assertEquals("web-" + LocalDate.now(ZoneOffset.UTC), ok(ran.get(14), "_cat/indices").stdout().trim());
      ok(ran.get(15), "until curl -s http://127.0.0.1:4567/metrics");
      ok(ran.get(16), "for s in");

      List<HecServer.Event> events = hec.waitForEvents(1);
      assertEquals(new JsonObject().put("level", "warn").put("msg", "disk 91% full"), events.get(0).event());
      assertEquals(HEC_TOKEN, events.get(0).token());
      assertEquals(List.of(List.of("1", "2")), pg.query("SELECT count(*), sum(rows_loaded) FROM "
          + "millrace_firehose_loads"), "the one batch, loaded once");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
