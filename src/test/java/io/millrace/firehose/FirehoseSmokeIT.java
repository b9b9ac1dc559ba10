package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;

class FirehoseSmokeIT {

  @TempDir
  Path dir;

  @Test
  void records_put_reach_the_embedded_s3_files() throws Exception {
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      firehose.createDeliveryStream(b -> b.deliveryStreamName("smoke").extendedS3DestinationConfiguration(s -> s
          .roleARN("arn:aws:iam::000000000000:role/firehose").bucketARN("arn:aws:s3:::smoke-bucket")
          .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));
      firehose.putRecord(b -> b.deliveryStreamName("smoke").record(r -> r.data(SdkBytes.fromUtf8String("a\n"))));
      firehose.putRecordBatch(b -> b.deliveryStreamName("smoke").records(
          List.of(software.amazon.awssdk.services.firehose.model.Record.builder()
              .data(SdkBytes.fromUtf8String("b\n")).build())));
      Path bucket = dir.resolve("s3").resolve("smoke-bucket");
      long deadline = System.nanoTime() + 20_000_000_000L;
      String all = "";
      while (System.nanoTime() < deadline) {
        if (Files.isDirectory(bucket)) {
          StringBuilder b = new StringBuilder();
          try (Stream<Path> files = Files.walk(bucket)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
              b.append(Files.readString(p, StandardCharsets.UTF_8));
            }
          }
          all = b.toString();
          if (all.length() >= 4) {
            break;
          }
        }
        Thread.sleep(50);
      }
      assertEquals("a\nb\n", all);
      System.out.println(firehose.describeDeliveryStream(b -> b.deliveryStreamName("smoke")));
    }
  }
}
