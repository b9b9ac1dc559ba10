package io.millrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

/** initializeStreams creates its streams at start, in the default account, and leaves them be at the next start. */
@Timeout(60)
class InitializeStreamsIT {

  @Test
  void the_streams_named_at_start_exist_with_their_shards_and_mode_and_a_restart_keeps_them(@TempDir Path dir) {
    // CREATING lasts half a second: the server is ready only once its initial streams are ACTIVE.
    Map<String, String> settings = Map.of("inMemory", "false", "dataDir", dir.toString(), "createStreamMillis",
        "500", "initializeStreams", "orders:2,events::ON_DEMAND");
    for (int start = 0; start < 2; start++) {
      try (TestServer server = TestServer.start(settings);
           KinesisClient kinesis = KinesisClients.kinesisWithoutRetries(server.endpoint())) {
        assertEquals(List.of("events", "orders"), kinesis.listStreams().streamNames().stream().sorted().toList());
        StreamDescriptionSummary orders = kinesis.describeStreamSummary(b -> b.streamName("orders"))
            .streamDescriptionSummary();
        assertEquals("ACTIVE", orders.streamStatusAsString());
        assertEquals(2, orders.openShardCount());
        assertEquals("ON_DEMAND", kinesis.describeStreamSummary(b -> b.streamName("events"))
            .streamDescriptionSummary().streamModeDetails().streamModeAsString());
        assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/orders", orders.streamARN());
      }
    }
  }
}
