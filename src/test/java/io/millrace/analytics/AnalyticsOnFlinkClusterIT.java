package io.millrace.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.testing.AnalyticsCli;
import io.millrace.testing.FlinkCluster;
import io.millrace.testing.JarProcess;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * With {@code analyticsFlinkRestUrl} set, SQL applications run on an existing Flink cluster (a standalone session
 * cluster on loopback with no connector installed), the same code path as the local Flink: the job and its
 * connectors' jars are submitted there. Millrace runs from its jar, so that it can be killed with SIGKILL: its
 * application's job is cancelled on the cluster and started once again after the restart, never twice.
 */
class AnalyticsOnFlinkClusterIT {

  @TempDir
  Path dir;
  private FlinkCluster flink;
  private JarProcess millrace;
  private int port;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(AnalyticsCli.AWS), "AWS CLI v2 is not at /usr/bin/aws (.ci/run installs it)");
    flink = FlinkCluster.start(Files.createDirectories(dir.resolve("flink")),
        Path.of("target/analytics/classpath.txt"));
    port = JarProcess.freePort();
  }

  private void startMillrace(String log) throws Exception {
    millrace = JarProcess.start(dir.resolve(log), List.of("-Xmx256m"), "--port", String.valueOf(port),
        "--data-dir", dir.resolve("data").toString(), "--analytics-flink-rest-url", flink.restUrl().toString());
    millrace.awaitHealthy(port, Duration.ofSeconds(60));
  }

  @AfterEach
  void stop() throws Exception {
    if (millrace != null) {
      millrace.close();
    }
    if (flink != null) {
      flink.close();
    }
  }

  private long running() {
    return flink.jobStates().stream().filter("RUNNING"::equals).count();
  }

  @Test
  @Timeout(300)
  void an_application_runs_on_the_flink_cluster_and_a_killed_server_neither_leaves_nor_doubles_its_job()
      throws Exception {
    startMillrace("millrace-1.log");
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    AnalyticsCli cli = new AnalyticsCli(endpoint, dir);
    try (KinesisClient kinesis = KinesisClients.kinesis(endpoint)) {
      kinesis.createStream(b -> b.streamName("clicks").shardCount(1));
      kinesis.createStream(b -> b.streamName("counts").shardCount(1));
      cli.create("on-cluster", AnalyticsIT.sql(endpoint.toString(), "COUNT(*)",
          "'connector' = 'kinesis', 'stream' = 'counts'"));
      cli.run("start-application", "--application-name", "on-cluster");
      cli.awaitStatus("on-cluster", "RUNNING");
      Poll.until("the job running on the cluster", () -> running() == 1);

      AnalyticsIT.putWindow(kinesis, 0, 3);
      AnalyticsIT.putWindow(kinesis, 20, 1); // closes the first window
      assertEquals(Map.of("a@2026-01-01 00:00:00", 3L, "b@2026-01-01 00:00:00", 1L),
          AnalyticsIT.awaitRows(kinesis, 2));
    }

    millrace.kill(); // SIGKILL: its runner sees its input end and cancels the job
    Poll.until("the job cancelled on the cluster", () -> running() == 0 && flink.jobStates().contains("CANCELED"));

    startMillrace("millrace-2.log");
    cli.awaitStatus("on-cluster", "RUNNING");
    Poll.until("the job running on the cluster again", () -> running() == 1);
    try (KinesisClient kinesis = KinesisClients.kinesis(endpoint)) {
      AnalyticsIT.putWindow(kinesis, 40, 2); // closes the window at 20 s
      assertEquals(1L, AnalyticsIT.awaitRows(kinesis, 4).get("a@2026-01-01 00:00:20"));
    }
    assertEquals(1, running(), flink.jobStates().toString());

    cli.run("stop-application", "--application-name", "on-cluster");
    cli.awaitStatus("on-cluster", "READY");
    Poll.until("both jobs cancelled on the cluster", () -> flink.jobStates().equals(List.of("CANCELED",
        "CANCELED")));
  }
}
