package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.firehose.FirehoseConfig.Processor;
import io.millrace.firehose.FirehoseConfig.ProcessorParameter;
import io.millrace.firehose.LambdaProcessor.FunctionName;
import io.millrace.firehose.LambdaProcessor.Input;
import io.millrace.firehose.LambdaProcessor.KinesisRecordMetadata;
import io.millrace.firehose.LambdaProcessor.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** LambdaProcessor against a fake LambdaClient: the event, the status model, retries and batching. */
class LambdaProcessorTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:transform";
  private static final String STREAM_ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/s1";
  private static final long ARRIVAL = 1_507_217_624_302L;

  /** A LambdaClient whose Invoke answers with {@code answer}; it keeps every request. */
  private static final class FakeLambda implements LambdaClient {
    final List<InvokeRequest> requests = new ArrayList<>();
    final Function<JsonNode, InvokeResponse> answer;

    FakeLambda(Function<JsonNode, InvokeResponse> answer) {
      this.answer = answer;
    }

    @Override
    public InvokeResponse invoke(InvokeRequest request) {
      requests.add(request);
      return answer.apply(event(request));
    }

    JsonNode event(int i) {
      return event(requests.get(i));
    }

    private static JsonNode event(InvokeRequest request) {
      try {
        return JSON.readTree(request.payload().asByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String serviceName() {
      return "lambda";
    }

    @Override
    public void close() {}
  }

  /** The usual transformation: upper-cases data, "drop..." Dropped, "fail..." ProcessingFailed. */
  private static InvokeResponse transform(JsonNode event) {
    ObjectNode response = JSON.createObjectNode();
    ArrayNode records = response.putArray("records");
    for (JsonNode r : event.get("records")) {
      String data = new String(Base64.getDecoder().decode(r.get("data").asText()), UTF_8);
      ObjectNode out = records.addObject().put("recordId", r.get("recordId").asText());
      if (data.startsWith("drop")) {
        out.put("result", "Dropped");
      } else if (data.startsWith("fail")) {
        out.put("result", "ProcessingFailed");
      } else {
        out.put("result", "Ok").put("data", Base64.getEncoder().encodeToString(data.toUpperCase().getBytes(UTF_8)));
        out.putObject("metadata").putObject("partitionKeys").put("first", data.substring(0, 1));
      }
    }
    return ok(response.toString());
  }

  private static InvokeResponse ok(String payload) {
    return InvokeResponse.builder().statusCode(200).payload(SdkBytes.fromUtf8String(payload)).build();
  }

  private static InvokeResponse functionError() {
    return InvokeResponse.builder().statusCode(200).functionError("Unhandled")
        .payload(SdkBytes.fromUtf8String("{\"errorMessage\":\"boom\",\"errorType\":\"Error\"}")).build();
  }

  private static Settings settings(int retries) {
    return new Settings(ARN, retries, LambdaProcessor.DEFAULT_BUFFER_SIZE_BYTES, STREAM_ARN, "us-east-1", null,
        Duration.ZERO);
  }

  private static FirehoseRecord record(String data) {
    return new FirehoseRecord(data.getBytes(UTF_8), ARRIVAL);
  }

  private static List<String> texts(List<FirehoseRecord> records) {
    return records.stream().map(r -> new String(r.data(), UTF_8)).toList();
  }

  // ---- the event ----

  @Test
  void the_event_is_firehose_s_and_the_function_is_invoked_by_name_and_qualifier() {
    FakeLambda lambda = new FakeLambda(LambdaProcessorTest::transform);
    Settings s = new Settings(ARN + ":live", 3, 1 << 20, STREAM_ARN, "eu-west-1", null, Duration.ZERO);
    new LambdaProcessor(lambda, s).process(List.of(record("Hello World"), record("x")));
    InvokeRequest request = lambda.requests.get(0);
    assertEquals("transform", request.functionName());
    assertEquals("live", request.qualifier());
    assertEquals(InvocationType.REQUEST_RESPONSE, request.invocationType());
    JsonNode event = lambda.event(0);
    assertEquals(List.of("invocationId", "deliveryStreamArn", "region", "records"), fieldNames(event));
    UUID.fromString(event.get("invocationId").asText());
    assertEquals(STREAM_ARN, event.get("deliveryStreamArn").asText());
    assertEquals("eu-west-1", event.get("region").asText());
    JsonNode first = event.get("records").get(0);
    assertEquals(List.of("recordId", "approximateArrivalTimestamp", "data"), fieldNames(first));
    assertEquals("0", first.get("recordId").asText());
    assertTrue(first.get("approximateArrivalTimestamp").isIntegralNumber());
    assertEquals(ARRIVAL, first.get("approximateArrivalTimestamp").asLong());
    assertEquals("SGVsbG8gV29ybGQ=", first.get("data").asText());
    assertEquals("1", event.get("records").get(1).get("recordId").asText());
  }

  @Test
  void a_kinesis_source_adds_the_stream_arn_and_each_record_s_kinesis_metadata() {
    FakeLambda lambda = new FakeLambda(LambdaProcessorTest::transform);
    Settings s = settings(0).withSourceKinesisStreamArn("arn:aws:kinesis:us-east-1:000000000000:stream/src");
    KinesisRecordMetadata k = new KinesisRecordMetadata("shardId-000000000000", "pk", ARRIVAL - 5,
        "49546986683135544286507457936321625675700192471156785154", 3);
    new LambdaProcessor(lambda, s).processInputs(List.of(new Input("r-1", record("a"), k)));
    JsonNode event = lambda.event(0);
    assertEquals(List.of("invocationId", "deliveryStreamArn", "sourceKinesisStreamArn", "region", "records"),
        fieldNames(event));
    assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/src", event.get("sourceKinesisStreamArn").asText());
    JsonNode meta = event.get("records").get(0).get("kinesisRecordMetadata");
    assertEquals("r-1", event.get("records").get(0).get("recordId").asText());
    assertEquals("shardId-000000000000", meta.get("shardId").asText());
    assertEquals("pk", meta.get("partitionKey").asText());
    assertEquals(ARRIVAL - 5, meta.get("approximateArrivalTimestamp").asLong());
    assertEquals("49546986683135544286507457936321625675700192471156785154", meta.get("sequenceNumber").asText());
    assertEquals(3, meta.get("subsequenceNumber").asLong());
  }

  // ---- the status model ----

  @Test
  void ok_records_go_on_transformed_dropped_ones_vanish_and_processing_failed_ones_fail() {
    FakeLambda lambda = new FakeLambda(LambdaProcessorTest::transform);
    List<FirehoseRecord> in = List.of(new FirehoseRecord("abc".getBytes(UTF_8), ARRIVAL, Map.of("q", "1")),
        record("drop me"), record("fail me"), record("xyz"));
    ProcessingResult r = new LambdaProcessor(lambda, settings(3)).process(in);
    assertEquals(List.of("ABC", "XYZ"), texts(r.delivered()));
    assertEquals(Map.of("q", "1", "first", "a"), r.delivered().get(0).partitionKeys());
    assertEquals(Map.of("first", "x"), r.delivered().get(1).partitionKeys());
    assertTrue(r.delivered().stream().allMatch(d -> d.arrivalMillis() == ARRIVAL));
    assertEquals(1, r.failed().size());
    FailedRecord f = r.failed().get(0);
    assertEquals("fail me", new String(f.rawData(), UTF_8));
    assertEquals("Lambda.ProcessingFailedStatus", f.errorCode());
    assertEquals("ProcessingFailed status set for record", f.errorMessage());
    assertEquals(1, f.attemptsMade());
    assertEquals(ARN, f.lambdaArn());
    assertEquals(ARRIVAL, f.arrivalMillis());
    assertEquals(1, lambda.requests.size());
  }

  @Test
  void a_function_error_is_retried_number_of_retries_times_then_every_record_fails() {
    FakeLambda lambda = new FakeLambda(event -> functionError());
    ProcessingResult r = new LambdaProcessor(lambda, settings(3)).process(List.of(record("a"), record("b")));
    assertEquals(4, lambda.requests.size());
    assertEquals(List.of(), r.delivered());
    assertEquals(2, r.failed().size());
    for (FailedRecord f : r.failed()) {
      assertEquals("Lambda.FunctionError", f.errorCode());
      assertEquals("The Lambda function was successfully invoked but it returned an error result.", f.errorMessage());
      assertEquals(4, f.attemptsMade());
      assertEquals(ARN, f.lambdaArn());
    }
    assertEquals(List.of("a", "b"), r.failed().stream().map(f -> new String(f.rawData(), UTF_8)).toList());
  }

  @Test
  void an_invocation_that_succeeds_on_a_retry_counts_its_attempts() {
    int[] calls = {0};
    FakeLambda lambda = new FakeLambda(event -> ++calls[0] == 1 ? functionError() : transform(event));
    ProcessingResult r = new LambdaProcessor(lambda, settings(3)).process(List.of(record("ok"), record("fail")));
    assertEquals(List.of("OK"), texts(r.delivered()));
    assertEquals(2, r.failed().get(0).attemptsMade());
    assertEquals(2, lambda.requests.size());
  }

  @Test
  void no_retries_means_one_attempt() {
    FakeLambda lambda = new FakeLambda(event -> functionError());
    ProcessingResult r = new LambdaProcessor(lambda, settings(0)).process(List.of(record("a")));
    assertEquals(1, lambda.requests.size());
    assertEquals(1, r.failed().get(0).attemptsMade());
  }

  static Stream<Arguments> responses_that_fail_the_invocation() {
    return Stream.of(
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Ok\",\"data\":\"QQ==\"}]}",
            "Lambda.MissingRecordId"),
        Arguments.of("{\"records\":[]}", "Lambda.MissingRecordId"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Dropped\"},{\"recordId\":\"0\",\"result\":"
            + "\"Dropped\"},{\"recordId\":\"1\",\"result\":\"Dropped\"}]}", "Lambda.DuplicatedRecordId"),
        Arguments.of("not json at all", "Lambda.JsonProcessingException"),
        Arguments.of("{\"recs\":[]}", "Lambda.JsonProcessingException"),
        Arguments.of("null", "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Fine\"},{\"recordId\":\"1\",\"result\":"
            + "\"Dropped\"}]}", "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Ok\"},{\"recordId\":\"1\",\"result\":"
            + "\"Dropped\"}]}", "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Ok\",\"data\":\"***\"},{\"recordId\":\"1\","
            + "\"result\":\"Dropped\"}]}", "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Ok\",\"data\":\"QQ==\",\"metadata\":"
            + "{\"partitionKeys\":[1]}},{\"recordId\":\"1\",\"result\":\"Dropped\"}]}",
            "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"result\":\"Dropped\"},{\"recordId\":\"1\",\"result\":\"Dropped\"}]}",
            "Lambda.JsonProcessingException"),
        Arguments.of("{\"records\":[{\"recordId\":\"0\",\"result\":\"Dropped\"},{\"recordId\":\"1\",\"result\":"
            + "\"Dropped\"},{\"recordId\":\"2\",\"result\":\"Dropped\"}]}", "Lambda.JsonProcessingException"));
  }

  @ParameterizedTest
  @MethodSource
  void responses_that_fail_the_invocation(String payload, String errorCode) {
    FakeLambda lambda = new FakeLambda(event -> ok(payload));
    ProcessingResult r = new LambdaProcessor(lambda, settings(1)).process(List.of(record("a"), record("b")));
    assertEquals(2, lambda.requests.size());
    assertEquals(List.of(), r.delivered());
    assertEquals(List.of(errorCode, errorCode), r.failed().stream().map(FailedRecord::errorCode).toList());
    assertTrue(r.failed().stream().allMatch(f -> f.attemptsMade() == 2));
    for (ProcessingError e : ProcessingError.values()) {
      if (e.code().equals(errorCode)) {
        assertEquals(e.message(), r.failed().get(0).errorMessage());
      }
    }
  }

  @Test
  void the_missing_record_id_message_is_firehose_s() {
    FakeLambda lambda = new FakeLambda(event -> ok("{\"records\":[]}"));
    FailedRecord f = new LambdaProcessor(lambda, settings(0)).process(List.of(record("a"))).failed().get(0);
    assertEquals("One or more record IDs were not returned. Ensure that the Lambda function returns all received "
        + "record IDs.", f.errorMessage());
  }

  static Stream<Arguments> invoke_exceptions() {
    return Stream.of(
        Arguments.of(ResourceNotFoundException.builder().message("Function not found").statusCode(404).build(),
            "Lambda.ResourceNotFound"),
        Arguments.of(TooManyRequestsException.builder().message("Rate exceeded").statusCode(429).build(),
            "Lambda.InvokeLimitExceeded"),
        Arguments.of(LambdaException.builder().message("not allowed").statusCode(403)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException").build()).build(),
            "Lambda.InvokeAccessDenied"),
        Arguments.of(ApiCallTimeoutException.create(1000), "Lambda.InvokeTimeout"),
        Arguments.of(SdkClientException.create("Unable to execute HTTP request: Connection refused"),
            "Lambda.InvokeFailed"),
        Arguments.of(LambdaException.builder().message("internal").statusCode(500).build(), "Lambda.InvokeFailed"));
  }

  @ParameterizedTest
  @MethodSource
  void invoke_exceptions(SdkException exception, String errorCode) {
    FakeLambda lambda = new FakeLambda(event -> {
      throw exception;
    });
    ProcessingResult r = new LambdaProcessor(lambda, settings(2)).process(List.of(record("a")));
    assertEquals(3, lambda.requests.size());
    FailedRecord f = r.failed().get(0);
    assertEquals(errorCode, f.errorCode());
    assertEquals(3, f.attemptsMade());
  }

  // ---- invocations by size ----

  @Test
  void records_are_sent_in_invocations_of_at_most_the_buffer_size() {
    FakeLambda lambda = new FakeLambda(LambdaProcessorTest::transform);
    Settings s = new Settings(ARN, 0, 1000, STREAM_ARN, "us-east-1", null, Duration.ZERO);
    List<FirehoseRecord> in = List.of(record("a".repeat(400)), record("b".repeat(400)), record("c".repeat(400)),
        record("d".repeat(1500)), record("e".repeat(600)), record("f".repeat(400)));
    ProcessingResult r = new LambdaProcessor(lambda, s).process(in);
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < lambda.requests.size(); i++) {
      sizes.add(lambda.event(i).get("records").size());
    }
    assertEquals(List.of(2, 1, 1, 2), sizes);
    assertEquals(in.stream().map(f -> new String(f.data(), UTF_8).toUpperCase()).toList(), texts(r.delivered()));
  }

  @Test
  void a_failed_invocation_fails_only_its_own_records() {
    FakeLambda lambda = new FakeLambda(event -> event.get("records").get(0).get("data").asText().equals(
        Base64.getEncoder().encodeToString("b".repeat(600).getBytes(UTF_8))) ? functionError() : transform(event));
    Settings s = new Settings(ARN, 1, 1000, STREAM_ARN, "us-east-1", null, Duration.ZERO);
    ProcessingResult r = new LambdaProcessor(lambda, s).process(List.of(record("a".repeat(600)),
        record("b".repeat(600)), record("c".repeat(600))));
    assertEquals(List.of("A".repeat(600), "C".repeat(600)), texts(r.delivered()));
    assertEquals(1, r.failed().size());
    assertEquals("b".repeat(600), new String(r.failed().get(0).rawData(), UTF_8));
    assertEquals(4, lambda.requests.size());
  }

  @Test
  void outcomes_come_back_in_the_order_of_the_records_whatever_the_response_order() {
    FakeLambda lambda = new FakeLambda(event -> {
      ArrayNode records = (ArrayNode) transform(event).payload().asUtf8String().transform(LambdaProcessorTest::tree)
          .get("records");
      ArrayNode reversed = JSON.createArrayNode();
      for (int i = records.size() - 1; i >= 0; i--) {
        reversed.add(records.get(i));
      }
      return ok(JSON.createObjectNode().set("records", reversed).toString());
    });
    ProcessingResult r = new LambdaProcessor(lambda, settings(0)).process(List.of(record("a"), record("b"),
        record("c")));
    assertEquals(List.of("A", "B", "C"), texts(r.delivered()));
  }

  @Test
  void record_ids_given_twice_are_refused() {
    LambdaProcessor p = new LambdaProcessor(new FakeLambda(LambdaProcessorTest::transform), settings(0));
    assertThrows(IllegalArgumentException.class, () -> p.invoke(List.of(new Input("x", record("a"), null),
        new Input("x", record("b"), null))));
  }

  // ---- configuration ----

  @Test
  void settings_come_from_the_processor_parameters_with_firehose_s_defaults() {
    Settings defaults = Settings.from(new Processor("Lambda", List.of(new ProcessorParameter("LambdaArn", ARN))),
        STREAM_ARN, "us-east-1");
    assertEquals(ARN, defaults.lambdaArn());
    assertEquals(3, defaults.numberOfRetries());
    assertEquals(1 << 20, defaults.bufferSizeBytes());
    assertNull(defaults.sourceKinesisStreamArn());
    assertEquals(LambdaProcessor.DEFAULT_RETRY_PAUSE, defaults.retryPause());
    Settings given = Settings.from(new Processor("Lambda", List.of(new ProcessorParameter("LambdaArn", ARN),
        new ProcessorParameter("NumberOfRetries", "0"), new ProcessorParameter("BufferSizeInMBs", "0.5"),
        new ProcessorParameter("BufferIntervalInSeconds", "60"))), STREAM_ARN, "us-east-1");
    assertEquals(0, given.numberOfRetries());
    assertEquals(512 * 1024, given.bufferSizeBytes());
    assertThrows(IllegalArgumentException.class, () -> Settings.from(new Processor("Lambda", List.of()),
        STREAM_ARN, "us-east-1"));
    assertThrows(IllegalArgumentException.class, () -> Settings.from(new Processor("Lambda", List.of(
        new ProcessorParameter("LambdaArn", ARN), new ProcessorParameter("BufferSizeInMBs", "4"))), STREAM_ARN,
        "us-east-1"));
    assertThrows(IllegalArgumentException.class, () -> Settings.from(new Processor("Lambda", List.of(
        new ProcessorParameter("LambdaArn", ARN), new ProcessorParameter("NumberOfRetries", "x"))), STREAM_ARN,
        "us-east-1"));
  }

  @Test
  void the_function_name_and_qualifier_come_from_the_lambda_arn() {
    assertEquals(new FunctionName("f", null), FunctionName.of("arn:aws:lambda:us-east-1:123456789012:function:f"));
    assertEquals(new FunctionName("f", "$LATEST"),
        FunctionName.of("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"));
    assertEquals(new FunctionName("f", "prod"),
        FunctionName.of("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:prod"));
    assertEquals(new FunctionName("plain-name", null), FunctionName.of("plain-name"));
    assertEquals(new FunctionName("f:alias", null), FunctionName.of("f:alias"));
  }

  @Test
  void the_client_is_built_for_an_endpoint_or_for_aws() {
    try (LambdaClient local = LambdaProcessor.client("http://127.0.0.1:1", "us-east-1", "x", "y");
         LambdaClient aws = LambdaProcessor.client("", "eu-west-1", "x", "y")) {
      assertEquals("lambda", local.serviceName());
      assertFalse(aws.serviceClientConfiguration().endpointOverride().isPresent());
      assertEquals("http://127.0.0.1:1", local.serviceClientConfiguration().endpointOverride().get().toString());
    }
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
