package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.Record;

/** The shortest path through Firehose: PutRecord and PutRecordBatch into the embedded S3 files. */
class FirehoseSmokeIT {

  @TempDir
  Path dir;

  @Test
  void records_put_one_by_one_and_in_a_batch_reach_the_embedded_s3_files() throws Exception {
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      firehose.createDeliveryStream(b -> b.deliveryStreamName("smoke").extendedS3DestinationConfiguration(s -> s
          .roleARN("arn:aws:iam::000000000000:role/firehose").bucketARN("arn:aws:s3:::smoke-bucket")
          .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));
      firehose.putRecord(b -> b.deliveryStreamName("smoke").record(r -> r.data(SdkBytes.fromUtf8String("a\n"))));
      firehose.putRecordBatch(b -> b.deliveryStreamName("smoke").records(
          Record.builder().data(SdkBytes.fromUtf8String("b\n")).build(),
          Record.builder().data(SdkBytes.fromUtf8String("c\n")).build()));
      List<String> lines = new LocalBuckets(dir).awaitLines("smoke-bucket", l -> l.size() >= 3);
      assertEquals(List.of("a", "b", "c"), lines.stream().sorted().toList());
    }
  }
}
