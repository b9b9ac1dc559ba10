package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.MutableClock;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.Processor;
import software.amazon.awssdk.services.firehose.model.ProcessorParameter;
import software.amazon.awssdk.services.firehose.model.Record;

/**
 * Dynamic partitioning end to end, with the processors that need no function: RecordDeAggregation splits records of
 * concatenated JSON objects, MetadataExtraction gives each a partition key with a jq query, AppendDelimiterToRecord
 * ends each with a newline, and the batch becomes one object per partition, under the prefix its key gives. Records
 * the query cannot read go under the error prefix. Dynamic partitioning needs a 60 s interval at least: the server's
 * clock is the test's.
 */
class DynamicPartitioningIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock();
  private TestServer server;
  private FirehoseClient firehose;
  private LocalBuckets buckets;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()), clock);
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
  }

  @AfterEach
  void stop() {
    firehose.close();
    server.close();
  }

  private static Processor processor(String type, String... nameValues) {
    List<ProcessorParameter> parameters = new ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      parameters.add(ProcessorParameter.builder().parameterName(nameValues[i]).parameterValue(nameValues[i + 1])
          .build());
    }
    return Processor.builder().type(type).parameters(parameters).build();
  }

  private void put(String name, String... records) {
    List<Record> batch = new ArrayList<>();
    for (String r : records) {
      batch.add(Record.builder().data(SdkBytes.fromUtf8String(r)).build());
    }
    firehose.putRecordBatch(b -> b.deliveryStreamName(name).records(batch));
  }

  /** Moves the clock past the interval and has the delivery look at it at once. */
  private void passInterval(String name) throws Exception {
    clock.advance(Duration.ofSeconds(60));
    server.checkDelivery(name);
  }

  /** Each object's key up to its last slash → its content. */
  private Map<String, String> byPrefix(String bucket, List<String> keys) {
    Map<String, String> out = new TreeMap<>();
    for (String key : keys) {
      String previous = out.put(key.substring(0, key.lastIndexOf('/') + 1), buckets.readString(bucket, key));
      assertEquals(null, previous, "one object per partition: " + keys);
    }
    return out;
  }

  @Test
  void records_are_deaggregated_partitioned_by_a_query_and_written_as_one_object_per_partition_key()
      throws Exception {
    firehose.createDeliveryStream(b -> b.deliveryStreamName("events").extendedS3DestinationConfiguration(s -> s
        .roleARN(ROLE).bucketARN("arn:aws:s3:::events")
        .prefix("customer=!{partitionKeyFromQuery:customer}/year=!{timestamp:yyyy}/")
        .errorOutputPrefix("errors/!{firehose:error-output-type}/")
        .bufferingHints(h -> h.sizeInMBs(64).intervalInSeconds(60))
        .dynamicPartitioningConfiguration(d -> d.enabled(true))
        .processingConfiguration(p -> p.enabled(true).processors(
            processor("RecordDeAggregation", "SubRecordType", "JSON"),
            processor("MetadataExtraction", "MetadataExtractionQuery", "{customer:.customer}",
                "JsonParsingEngine", "JQ-1.6"),
            processor("AppendDelimiterToRecord")))));
    put("events",
        "{\"customer\":\"acme\",\"n\":1}{\"customer\":\"globex\",\"n\":2}",
        "{\"customer\":\"acme\",\"n\":3}",
        "{\"customer\":\"initech\",\"n\":4}\n{\"customer\":\"globex\",\"n\":5}",
        "not json at all");
    passInterval("events");

    String year = Integer.toString(clock.instant().atZone(java.time.ZoneOffset.UTC).getYear());
    Map<String, String> objects = byPrefix("events", buckets.awaitKeys("events", 4));
    assertEquals(Map.of(
        "customer=acme/year=" + year + "/", "{\"customer\":\"acme\",\"n\":1}\n{\"customer\":\"acme\",\"n\":3}\n",
        "customer=globex/year=" + year + "/", "{\"customer\":\"globex\",\"n\":2}\n{\"customer\":\"globex\",\"n\":5}\n",
        "customer=initech/year=" + year + "/", "{\"customer\":\"initech\",\"n\":4}\n",
        "errors/processing-failed/", objects.get("errors/processing-failed/")), objects);

    String[] failures = objects.get("errors/processing-failed/").split("\n");
    assertEquals(1, failures.length, "the record that is not JSON, once");
    JsonNode failure = JSON.readTree(failures[0]);
    assertEquals("RecordDeAggregation.InvalidJson", failure.get("errorCode").asText(), failure.toString());
    assertEquals("not json at all", new String(Base64.getDecoder().decode(failure.get("rawData").asText()), UTF_8));
  }

  @Test
  void a_record_the_query_gives_no_partition_key_goes_to_the_error_prefix_and_the_rest_is_delivered()
      throws Exception {
    firehose.createDeliveryStream(b -> b.deliveryStreamName("sparse").extendedS3DestinationConfiguration(s -> s
        .roleARN(ROLE).bucketARN("arn:aws:s3:::sparse")
        .prefix("device=!{partitionKeyFromQuery:device}/")
        .errorOutputPrefix("errors/!{firehose:error-output-type}/")
        .bufferingHints(h -> h.sizeInMBs(64).intervalInSeconds(60))
        .dynamicPartitioningConfiguration(d -> d.enabled(true))
        .processingConfiguration(p -> p.enabled(true).processors(
            processor("MetadataExtraction", "MetadataExtractionQuery", "{device:.device.type}",
                "JsonParsingEngine", "JQ-1.6"),
            processor("AppendDelimiterToRecord")))));
    put("sparse", "{\"device\":{\"type\":\"phone\"}}", "{\"no\":\"device\"}", "{\"device\":{\"type\":\"tv\"}}");
    passInterval("sparse");

    Map<String, String> objects = byPrefix("sparse", buckets.awaitKeys("sparse", 3));
    assertEquals("{\"device\":{\"type\":\"phone\"}}\n", objects.get("device=phone/"));
    assertEquals("{\"device\":{\"type\":\"tv\"}}\n", objects.get("device=tv/"));
    JsonNode failure = JSON.readTree(objects.get("errors/processing-failed/"));
    assertEquals("DynamicPartitioning.MetadataExtractionFailed", failure.get("errorCode").asText());
    assertEquals("{\"no\":\"device\"}", new String(Base64.getDecoder().decode(failure.get("rawData").asText()),
        UTF_8));
    assertEquals(3, objects.size(), objects.toString());
  }
}
