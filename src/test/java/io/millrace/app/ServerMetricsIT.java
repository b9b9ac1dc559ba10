package io.millrace.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The server's own metrics beside Kinesis's: fsync latency as a histogram, the segment files of a server on disk and
 * each stream's bytes there, event-loop delays, Vert.x's worker pool, and the JVM's threads, processors and collections.
 */
@Timeout(60)
class ServerMetricsIT {

  @Test
  void storage_thread_and_jvm_metrics_are_served(@TempDir Path dir) throws Exception {
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString(),
        "createStreamMillis", "0"));
         KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("synced").shardCount(2));
      kinesis.putRecord(b -> b.streamName("synced").partitionKey("k").data(SdkBytes.fromUtf8String("durable")));
      String first = PrometheusText.scrape(server.endpoint());
      assertTrue(PrometheusText.value(first, "millrace_fsync_seconds_count", "kind", "file") >= 1, first);
      assertTrue(first.contains("millrace_fsync_seconds_bucket{kind=\"file\",le=\""), "a histogram");
      assertTrue(PrometheusText.value(first, "millrace_segment_files") >= 2, "a segment per shard at least");
      assertTrue(PrometheusText.value(first, "jvm_threads_live_threads") > 0);
      assertTrue(PrometheusText.value(first, "system_cpu_count") > 0);
      assertTrue(first.contains("\njvm_gc_memory_allocated_bytes_total "), "garbage collection metrics");
      // Vert.x's own: its worker pool, and each event loop's pending tasks.
      assertTrue(first.contains("\nvertx_pool_in_use{pool_name=\"vert.x-worker-thread\",pool_type=\"worker\"}"), first);
      assertTrue(first.contains("\nnetty_eventexecutor_tasks_pending{name=\"vert.x-eventloop-thread-"), first);
      // The probes run once a second.
      Poll.until("the loop probes have reported", () -> {
        String text = PrometheusText.scrape(server.endpoint());
        return text.contains("millrace_event_loop_delay_seconds_count{loop=\"vert.x-eventloop-thread-")
            && text.contains("\nvertx_pool_queue_time_seconds_count{pool_name=\"vert.x-worker-thread\"");
      });
      // Bytes on disk per stream, sampled every few seconds: at least the record put, gone with the stream.
      Poll.until("the stream's bytes on disk are measured, the record put among them", () -> {
        String text = PrometheusText.scrape(server.endpoint());
        return text.contains("millrace_stream_disk_bytes{") && PrometheusText.value(text,
            "millrace_stream_disk_bytes", "StreamName", "synced") >= "durable".length();
      });
      kinesis.deleteStream(b -> b.streamName("synced"));
      Poll.until("the deleted stream's gauge goes", () -> !PrometheusText.scrape(server.endpoint())
          .contains("StreamName=\"synced\""));
    }
  }
}
