package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.LambdaProcessor.Input;
import io.millrace.firehose.LambdaProcessor.KinesisRecordMetadata;
import io.millrace.firehose.LambdaProcessor.Settings;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.HecServer;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.LocalLambda;
import io.millrace.testing.MutableClock;
import io.millrace.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.Processor;
import software.amazon.awssdk.services.firehose.model.ProcessorParameter;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * The Lambda processor against a real local Lambda runtime (serverless-offline, {@link LocalLambda}) running Node.js
 * Firehose transformations: LambdaProcessor itself, and a delivery stream that calls a function for every batch.
 * Skipped only when node or npm is missing (CI installs them); the first run installs the npm packages.
 */
class LambdaProcessorIT {

  private static final String HANDLER = """
      const text = (r) => Buffer.from(r.data, 'base64').toString('utf8');
      const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

      // Firehose's transformation status model: Ok (upper-cased), Dropped, ProcessingFailed; JSON records with a
      // customer get it as a partition key.
      exports.transform = async (event) => ({
        records: event.records.map((r) => {
          const data = text(r);
          if (data.startsWith('drop')) return { recordId: r.recordId, result: 'Dropped' };
          if (data.startsWith('fail')) return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
          const out = { recordId: r.recordId, result: 'Ok', data: b64(data.toUpperCase()) };
          try {
            const json = JSON.parse(data);
            if (json !== null && typeof json === 'object' && 'customer' in json) {
              out.metadata = { partitionKeys: { customer: String(json.customer) } };
            }
          } catch (e) {
            // not JSON: no partition keys
          }
          return out;
        }),
      });

      exports.throws = async () => { throw new Error('boom'); };

      exports.omitsRecordId = async (event) => ({
        records: event.records.slice(1).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
      });

      // Each record becomes the number of records in its invocation.
      exports.counts = async (event) => ({
        records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok',
          data: b64(String(event.records.length)) })),
      });

      // Each record becomes the event as the function saw it, without the other records.
      exports.echoEvent = async (event) => ({
        records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok',
          data: b64(JSON.stringify({ ...event, records: [r] })) })),
      });
      """;

  private static final String STREAM_ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/it";
  private static final long ARRIVAL = 1_789_014_240_448L;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  private static LocalLambda lambda;
  private static LambdaClient client;

  @BeforeAll
  static void startLocalLambda() throws Exception {
    assumeTrue(LocalLambda.available(), "node and npm are not on the PATH");
    lambda = LocalLambda.start(dir, HANDLER, List.of("transform", "throws", "omitsRecordId", "counts", "echoEvent"));
    client = LambdaProcessor.client(lambda.endpoint().toString(), LocalLambda.REGION, "x", "x");
  }

  @AfterAll
  static void stopLocalLambda() {
    if (client != null) {
      client.close();
    }
    if (lambda != null) {
      lambda.close();
    }
  }

  private static LambdaProcessor processor(String function, int retries) {
    return new LambdaProcessor(client, new Settings(lambda.functionArn(function), retries,
        LambdaProcessor.DEFAULT_BUFFER_SIZE_BYTES, STREAM_ARN, LocalLambda.REGION, null, Duration.ZERO));
  }

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), ARRIVAL);
  }

  private static List<String> texts(List<FirehoseRecord> records) {
    return records.stream().map(r -> new String(r.data(), UTF_8)).toList();
  }

  @Test
  void through_a_delivery_stream_ok_records_reach_their_partitions_dropped_ones_nowhere_and_failed_ones_the_errors()
      throws Exception {
    MutableClock clock = new MutableClock();
    try (TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.resolve("server").toString(),
        "lambdaEndpoint", lambda.endpoint().toString()), clock);
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      firehose.createDeliveryStream(b -> b.deliveryStreamName("orders").extendedS3DestinationConfiguration(s -> s
          .roleARN("arn:aws:iam::000000000000:role/firehose").bucketARN("arn:aws:s3:::orders")
          .prefix("customer=!{partitionKeyFromLambda:customer}/")
          .errorOutputPrefix("errors/!{firehose:error-output-type}/")
          .bufferingHints(h -> h.sizeInMBs(64).intervalInSeconds(60))
          .dynamicPartitioningConfiguration(d -> d.enabled(true))
          .processingConfiguration(p -> p.enabled(true).processors(
              Processor.builder().type("Lambda").parameters(
                  ProcessorParameter.builder().parameterName("LambdaArn")
                      .parameterValue(lambda.functionArn("transform")).build(),
                  ProcessorParameter.builder().parameterName("NumberOfRetries").parameterValue("0").build()).build(),
              Processor.builder().type("AppendDelimiterToRecord").build()))));
      firehose.putRecordBatch(b -> b.deliveryStreamName("orders").records(Stream.of("{\"customer\":\"acme\",\"n\":1}",
          "{\"customer\":\"globex\",\"n\":2}", "drop me", "fail me", "no partition key",
          "{\"customer\":\"acme\",\"n\":3}").map(t -> Record.builder().data(SdkBytes.fromUtf8String(t)).build())
          .toList()));
      clock.advance(Duration.ofSeconds(60));
      server.checkDelivery("orders");

      LocalBuckets buckets = new LocalBuckets(dir.resolve("server"));
      List<String> keys = buckets.awaitKeys("orders", 3);
      assertEquals(3, keys.size(), keys + "\n" + lambda.output());
      Map<String, String> objects = new TreeMap<>();
      keys.forEach(k -> objects.put(k.substring(0, k.lastIndexOf('/') + 1), buckets.readString("orders", k)));
      assertEquals("{\"CUSTOMER\":\"ACME\",\"N\":1}\n{\"CUSTOMER\":\"ACME\",\"N\":3}\n",
          objects.get("customer=acme/"));
      assertEquals("{\"CUSTOMER\":\"GLOBEX\",\"N\":2}\n", objects.get("customer=globex/"));
      Map<String, JsonNode> failures = new TreeMap<>();
      for (String line : objects.get("errors/processing-failed/").split("\n")) {
        JsonNode f = JSON.readTree(line);
        failures.put(new String(Base64.getDecoder().decode(f.get("rawData").asText()), UTF_8), f);
      }
      assertEquals(List.of("NO PARTITION KEY\n", "fail me"), List.copyOf(failures.keySet()),
          "the failed record as it came, the one without a key as the function made it; the dropped one nowhere");
      assertEquals("Lambda.ProcessingFailedStatus", failures.get("fail me").get("errorCode").asText());
      assertEquals(lambda.functionArn("transform"), failures.get("fail me").get("lambdaARN").asText());
      assertEquals("DynamicPartitioning.PartitionKeyMissing",
          failures.get("NO PARTITION KEY\n").get("errorCode").asText());
    }
  }

  @Test
  void a_store_destination_receives_what_the_function_made_and_its_s3_configuration_the_processing_failures()
      throws Exception {
    Vertx vertx = Vertx.vertx();
    try (HecServer hec = HecServer.start(vertx);
         TestServer server = TestServer.start(Map.of("inMemory", "false", "dataDir",
             dir.resolve("splunk-server").toString(), "lambdaEndpoint", lambda.endpoint().toString()));
         FirehoseClient firehose = FirehoseClients.sync(server.endpoint())) {
      firehose.createDeliveryStream(b -> b.deliveryStreamName("logs").splunkDestinationConfiguration(d -> d
          .hecEndpoint(hec.url().toString()).hecEndpointType("Event").hecToken(HecServer.ACK_TOKEN)
          .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))
          .s3Configuration(c -> c.roleARN("arn:aws:iam::000000000000:role/firehose")
              .bucketARN("arn:aws:s3:::logs-backup"))
          .processingConfiguration(p -> p.enabled(true).processors(Processor.builder().type("Lambda").parameters(
              ProcessorParameter.builder().parameterName("LambdaArn")
                  .parameterValue(lambda.functionArn("transform")).build(),
              ProcessorParameter.builder().parameterName("NumberOfRetries").parameterValue("0").build())
              .build()))));
      firehose.putRecordBatch(b -> b.deliveryStreamName("logs").records(Stream.of("{\"level\":\"warn\"}",
          "drop me", "fail me").map(t -> Record.builder().data(SdkBytes.fromUtf8String(t)).build()).toList()));

      assertEquals(List.of("{\"LEVEL\":\"WARN\"}"), hec.waitForEvents(1).stream().map(HecServer.Event::text)
          .toList(), "the function's output, as an event; the dropped record nowhere");
      LocalBuckets buckets = new LocalBuckets(dir.resolve("splunk-server"));
      List<String> keys = buckets.awaitKeys("logs-backup", 1);
      assertTrue(keys.get(0).startsWith("processing-failed/"), keys.get(0));
      JsonNode failure = JSON.readTree(buckets.readString("logs-backup", keys.get(0)).trim());
      assertEquals("fail me", new String(Base64.getDecoder().decode(failure.get("rawData").asText()), UTF_8));
      assertEquals("Lambda.ProcessingFailedStatus", failure.get("errorCode").asText());
      assertEquals(1, hec.events().size());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void a_transformation_function_transforms_drops_and_fails_records_and_gives_partition_keys() {
    ProcessingResult r = processor("transform", 3).process(List.of(record("hello"), record("drop this"),
        record("fail this"), record("{\"customer\":\"acme\",\"n\":1}")));
    assertEquals(List.of("HELLO", "{\"CUSTOMER\":\"ACME\",\"N\":1}"), texts(r.delivered()), lambda.output());
    assertEquals(Map.of(), r.delivered().get(0).partitionKeys());
    assertEquals(Map.of("customer", "acme"), r.delivered().get(1).partitionKeys());
    assertTrue(r.delivered().stream().allMatch(d -> d.arrivalMillis() == ARRIVAL));
    assertEquals(1, r.failed().size());
    FailedRecord f = r.failed().get(0);
    assertEquals("fail this", new String(f.rawData(), UTF_8));
    assertEquals("Lambda.ProcessingFailedStatus", f.errorCode());
    assertEquals("ProcessingFailed status set for record", f.errorMessage());
    assertEquals(1, f.attemptsMade());
    assertEquals(ARRIVAL, f.arrivalMillis());
    assertEquals(lambda.functionArn("transform"), f.lambdaArn());
  }

  @Test
  void a_function_that_throws_fails_every_record_after_its_retries() {
    ProcessingResult r = processor("throws", 2).process(List.of(record("a"), record("b")));
    assertEquals(List.of(), r.delivered());
    assertEquals(2, r.failed().size(), lambda.output());
    for (FailedRecord f : r.failed()) {
      assertEquals("Lambda.FunctionError", f.errorCode());
      assertEquals(3, f.attemptsMade());
    }
  }

  @Test
  void a_function_that_leaves_out_a_record_id_fails_the_invocation() {
    ProcessingResult r = processor("omitsRecordId", 0).process(List.of(record("a"), record("b")));
    assertEquals(List.of(), r.delivered());
    assertEquals(List.of("Lambda.MissingRecordId", "Lambda.MissingRecordId"),
        r.failed().stream().map(FailedRecord::errorCode).toList());
  }

  @Test
  void an_unknown_function_fails_as_resource_not_found() {
    ProcessingResult r = processor("nonexistent", 0).process(List.of(record("a")));
    assertEquals("Lambda.ResourceNotFound", r.failed().get(0).errorCode());
  }

  @Test
  void records_are_split_into_invocations_by_the_buffer_size() {
    LambdaProcessor p = new LambdaProcessor(client, new Settings(lambda.functionArn("counts"), 0, 10, STREAM_ARN,
        LocalLambda.REGION, null, Duration.ZERO));
    ProcessingResult r = p.process(List.of(record("aaaa"), record("bbbb"), record("cccc"), record("dddd"),
        record("eeee")));
    assertEquals(List.of("2", "2", "2", "2", "1"), texts(r.delivered()));
  }

  @Test
  void the_function_sees_firehose_s_event_with_kinesis_metadata() throws Exception {
    Settings s = new Settings(lambda.functionArn("echoEvent"), 0, LambdaProcessor.DEFAULT_BUFFER_SIZE_BYTES,
        STREAM_ARN, LocalLambda.REGION, null, Duration.ZERO)
        .withSourceKinesisStreamArn("arn:aws:kinesis:us-east-1:000000000000:stream/src");
    KinesisRecordMetadata k = new KinesisRecordMetadata("shardId-000000000001", "pk-1", ARRIVAL - 7,
        "49546986683135544286507457936321625675700192471156785154", 0);
    ProcessingResult r = new LambdaProcessor(client, s).processInputs(List.of(new Input("rec-1", record("hi"), k)));
    JsonNode event = JSON.readTree(r.delivered().get(0).data());
    assertEquals(STREAM_ARN, event.get("deliveryStreamArn").asText());
    assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/src", event.get("sourceKinesisStreamArn").asText());
    assertEquals(LocalLambda.REGION, event.get("region").asText());
    assertTrue(event.get("invocationId").isTextual());
    JsonNode rec = event.get("records").get(0);
    assertEquals("rec-1", rec.get("recordId").asText());
    assertEquals(ARRIVAL, rec.get("approximateArrivalTimestamp").asLong());
    assertEquals("aGk=", rec.get("data").asText());
    JsonNode meta = rec.get("kinesisRecordMetadata");
    assertEquals("shardId-000000000001", meta.get("shardId").asText());
    assertEquals("pk-1", meta.get("partitionKey").asText());
    assertEquals(ARRIVAL - 7, meta.get("approximateArrivalTimestamp").asLong());
    assertEquals("49546986683135544286507457936321625675700192471156785154", meta.get("sequenceNumber").asText());
    assertEquals(0, meta.get("subsequenceNumber").asLong());
  }
}
