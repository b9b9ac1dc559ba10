package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.firehose.LambdaProcessor.Dropped;
import io.millrace.firehose.LambdaProcessor.Failed;
import io.millrace.firehose.LambdaProcessor.Input;
import io.millrace.firehose.LambdaProcessor.KinesisRecordMetadata;
import io.millrace.firehose.LambdaProcessor.Ok;
import io.millrace.firehose.LambdaProcessor.Outcome;
import io.millrace.firehose.LambdaProcessor.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The messages of a Firehose data-transformation function: the invocation event Firehose sends and the response the
 * function returns, with the status model's rules.
 *
 * <p><b>Event</b> (firehose-facts §4.2; members in this order, the Kinesis ones only for a Kinesis stream source):
 * <pre>
 * {"invocationId": "&lt;uuid&gt;", "deliveryStreamArn": "...", "sourceKinesisStreamArn": "...", "region": "...",
 *  "records": [{"recordId": "...", "approximateArrivalTimestamp": &lt;epoch ms&gt;, "data": "&lt;base64&gt;",
 *    "kinesisRecordMetadata": {"shardId": "...", "partitionKey": "...",
 *      "approximateArrivalTimestamp": &lt;epoch ms&gt;, "sequenceNumber": "...", "subsequenceNumber": &lt;n&gt;}}]}
 * </pre>
 * <b>Response</b> (§4.3):
 * <pre>
 * {"records": [{"recordId": "...", "result": "Ok" | "Dropped" | "ProcessingFailed", "data": "&lt;base64&gt;",
 *   "metadata": {"partitionKeys": {"k": "v"}}}]}
 * </pre>
 * {@code data} is required with Ok; {@code metadata} is optional; other members are ignored. The response must hold
 * each record id sent exactly once, in any order: a repeated id is {@code Lambda.DuplicatedRecordId}, a missing one
 * {@code Lambda.MissingRecordId}, and anything else that breaks the model (not JSON, no records array, a record
 * without an id, an id not sent, an unknown result, Ok without base64 data, partition keys that are not an object of
 * scalars) {@code Lambda.JsonProcessingException}.
 *
 * <p>Stateless; thread-safe.
 */
final class LambdaMessages {

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final JsonFactory JSON = MAPPER.getFactory();

  private LambdaMessages() {}

  /** Why an invocation failed as a whole: the error, and in the message what was wrong. */
  static final class InvocationFailed extends Exception {
    final ProcessingError error;

    InvocationFailed(ProcessingError error, String detail) {
      super(detail, null, false, false);
      this.error = error;
    }
  }

  /** The outcomes of one successful Invoke, in the batch's order, or why the invocation failed as a whole. */
  static List<Outcome> outcomes(List<Input> batch, InvokeResponse response, int attempt)
      throws InvocationFailed {
    if (response.functionError() != null) {
      throw new InvocationFailed(ProcessingError.LAMBDA_FUNCTION_ERROR, response.functionError() + ": "
          + abbreviate(response.payload()));
    }
    JsonNode root;
    try {
      root = response.payload() == null ? null : MAPPER.readTree(response.payload().asByteArrayUnsafe());
    } catch (IOException e) {
      root = null;
    }
    if (root == null || !root.path("records").isArray()) {
      throw jsonProcessing("the response is not {\"records\": [...]}: " + abbreviate(response.payload()));
    }
    Map<String, Outcome> byId = new HashMap<>();
    for (JsonNode r : root.get("records")) {
      JsonNode id = r.path("recordId");
      if (!id.isTextual() && !id.isNumber()) {
        throw jsonProcessing("a record without a recordId");
      }
      if (byId.put(id.asText(), outcome(id.asText(), r, attempt)) != null) {
        throw new InvocationFailed(ProcessingError.LAMBDA_DUPLICATED_RECORD_ID, "record id " + id.asText()
            + " returned twice");
      }
    }
    List<Outcome> outcomes = new ArrayList<>(batch.size());
    for (Input in : batch) {
      Outcome o = byId.remove(in.recordId());
      if (o == null) {
        throw new InvocationFailed(ProcessingError.LAMBDA_MISSING_RECORD_ID, "record id " + in.recordId()
            + " not returned");
      }
      outcomes.add(o);
    }
    if (!byId.isEmpty()) {
      throw jsonProcessing("record id " + byId.keySet().iterator().next() + " was not sent");
    }
    return outcomes;
  }

  private static Outcome outcome(String id, JsonNode r, int attempt) throws InvocationFailed {
    String result = r.path("result").asText("");
    switch (result) {
      case "Ok" -> {
        JsonNode data = r.path("data");
        if (!data.isTextual()) {
          throw jsonProcessing("record " + id + " is Ok without data");
        }
        byte[] bytes;
        try {
          bytes = Base64.getDecoder().decode(data.asText());
        } catch (IllegalArgumentException e) {
          throw jsonProcessing("the data of record " + id + " is not base64");
        }
        return new Ok(id, bytes, partitionKeys(id, r.path("metadata").path("partitionKeys")));
      }
      case "Dropped" -> {
        return new Dropped(id);
      }
      case "ProcessingFailed" -> {
        return new Failed(id, ProcessingError.LAMBDA_PROCESSING_FAILED_STATUS.code(),
            ProcessingError.LAMBDA_PROCESSING_FAILED_STATUS.message(), attempt);
      }
      default -> throw jsonProcessing("record " + id + " has result " + r.path("result")
          + "; the results are Ok, Dropped and ProcessingFailed");
    }
  }

  private static Map<String, String> partitionKeys(String id, JsonNode keys) throws InvocationFailed {
    if (keys.isMissingNode() || keys.isNull()) {
      return Map.of();
    }
    if (!keys.isObject()) {
      throw jsonProcessing("the metadata.partitionKeys of record " + id + " is not an object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : keys.properties()) {
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        throw jsonProcessing("the partition key " + e.getKey() + " of record " + id + " is not a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static InvocationFailed jsonProcessing(String detail) {
    return new InvocationFailed(ProcessingError.LAMBDA_JSON_PROCESSING_EXCEPTION, detail);
  }

  private static String abbreviate(SdkBytes payload) {
    if (payload == null) {
      return "(no payload)";
    }
    String text = payload.asUtf8String();
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** The invocation event of {@code batch}, for the stream {@code settings} describe. */
  static byte[] event(Settings settings, List<Input> batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("invocationId", UUID.randomUUID().toString());
      g.writeStringField("deliveryStreamArn", settings.deliveryStreamArn());
      if (settings.sourceKinesisStreamArn() != null) {
        g.writeStringField("sourceKinesisStreamArn", settings.sourceKinesisStreamArn());
      }
      g.writeStringField("region", settings.region());
      g.writeArrayFieldStart("records");
      for (Input in : batch) {
        g.writeStartObject();
        g.writeStringField("recordId", in.recordId());
        g.writeNumberField("approximateArrivalTimestamp", in.record().arrivalMillis());
        g.writeFieldName("data");
        g.writeBinary(in.record().data());
        KinesisRecordMetadata k = in.kinesisRecordMetadata();
        if (k != null) {
          g.writeObjectFieldStart("kinesisRecordMetadata");
          g.writeStringField("shardId", k.shardId());
          g.writeStringField("partitionKey", k.partitionKey());
          g.writeNumberField("approximateArrivalTimestamp", k.approximateArrivalTimestamp());
          g.writeStringField("sequenceNumber", k.sequenceNumber());
          g.writeNumberField("subsequenceNumber", k.subsequenceNumber());
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
