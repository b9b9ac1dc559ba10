package io.millrace.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.storage.RecoveryReport;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {

  private final ServerMetrics metrics = new ServerMetrics();

  @Test
  void recoveries_add_up_what_they_dropped() {
    metrics.onRecovered("s/shardId-000000000000", RecoveryReport.clean(10));
    metrics.onRecovered("s/shardId-000000000001", new RecoveryReport(5, 2, 300, "torn"));
    metrics.onRecovered("s/shardId-000000000002", new RecoveryReport(5, 1, 20, "crc"));

    String text = metrics.scrape();
    assertLine(text, "millrace_recovered_shards_total 3.0");
    assertLine(text, "millrace_recovery_dropped_bytes_total 320.0");
    assertLine(text, "millrace_recovery_dropped_records_total 3.0");
  }

  @Test
  void shard_logs_opened_after_the_start_are_new_ones_not_recoveries() {
    metrics.onRecovered("s/shardId-000000000000", RecoveryReport.clean(10));
    metrics.recoveryFinished();
    metrics.onRecovered("new/shardId-000000000000", RecoveryReport.clean(0));

    assertLine(metrics.scrape(), "millrace_recovered_shards_total 1.0");
  }

  @Test
  void a_fenced_shard_takes_readiness_and_liveness_with_its_reason() {
    metrics.health().started();
    assertTrue(metrics.health().notReadyReasons().isEmpty() && metrics.health().isLive());
    metrics.onFenced("s/shardId-000000000000", new IOException("disk full"));
    assertTrue(metrics.health().notReadyReasons().equals(java.util.List.of("shard s/shardId-000000000000 is fenced "
        + "(it refuses writes until a restart): disk full")), metrics.health().notReadyReasons().toString());
    assertTrue(!metrics.health().isLive());
  }

  @Test
  void a_shard_fenced_twice_counts_once() {
    metrics.onFenced("s/shardId-000000000000", new IOException("disk full"));
    metrics.onFenced("s/shardId-000000000000", new IOException("disk full"));
    metrics.onFenced("s/shardId-000000000001", new IOException("fsync"));

    assertLine(metrics.scrape(), "millrace_fenced_shards 2.0");
  }

  @Test
  void retention_trims_are_counted() {
    metrics.onTrimmed("s/shardId-000000000000", 100);

    assertLine(metrics.scrape(), "millrace_retention_trims_total 1.0");
  }

  @Test
  void a_fresh_server_exports_zeroes_and_jvm_memory() {
    String text = metrics.scrape();
    assertLine(text, "millrace_fenced_shards 0.0");
    assertLine(text, "millrace_recovery_dropped_bytes_total 0.0");
    assertTrue(text.contains("jvm_memory_used_bytes{"), text);
  }

  private static void assertLine(String text, String line) {
    assertTrue(text.lines().anyMatch(line::equals), () -> "no line '" + line + "' in:\n" + text);
  }
}
