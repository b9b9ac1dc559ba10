package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.ErrorRecordWriter.Failure;
import io.millrace.firehose.ErrorRecordWriter.Target;
import io.millrace.firehose.FirehoseConfig.ExtendedS3DestinationConfiguration;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErrorRecordWriterTest {

  /** 2026-07-13T10:00:39.123Z */
  private static final long ARRIVAL = 1_783_936_839_123L;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path staging;

  private static S3DestinationConfiguration backup(String prefix, String errorOutputPrefix, String compression) {
    return new S3DestinationConfiguration("arn:aws:iam::000000000000:role/r", "arn:aws:s3:::backup-bucket", prefix,
        errorOutputPrefix, null, compression, null, null);
  }

  private static FirehoseRecord record(String data, long arrivalMillis) {
    return new FirehoseRecord(data.getBytes(StandardCharsets.UTF_8), arrivalMillis);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(StagedObject o, boolean gzip) throws IOException {
    if (!gzip) {
      return Files.readString(o.file(), StandardCharsets.UTF_8);
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(o.file()))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private StagedObject writeOne(Target target, String type, List<FirehoseRecord> records, Failure failure)
      throws IOException {
    try (ErrorRecordWriter writer = new ErrorRecordWriter("orders", 3, target, type, staging, "batch")) {
      writer.add(records, failure);
      List<StagedObject> objects = writer.finish();
      assertEquals(1, objects.size());
      return objects.get(0);
    }
  }

  @Test
  void an_http_endpoint_failure_record_has_firehose_members_in_firehose_order() throws IOException {
    Failure failure = new Failure("HttpEndpoint.DestinationException", "The following response was received from the "
        + "endpoint destination. 500: {\"errorMessage\": \"Unauthorized\"}", 5, ARRIVAL + 60_000, null);
    StagedObject o = writeOne(Target.of(backup(null, null, null)), ErrorRecordWriter.HTTP_ENDPOINT_FAILED,
        List.of(record("sample raw data", ARRIVAL)), failure);
    assertEquals("{\"attemptsMade\":5,\"arrivalTimestamp\":" + ARRIVAL + ",\"errorCode\":"
        + "\"HttpEndpoint.DestinationException\",\"errorMessage\":\"The following response was received from the "
        + "endpoint destination. 500: {\\\"errorMessage\\\": \\\"Unauthorized\\\"}\",\"attemptEndingTimestamp\":"
        + (ARRIVAL + 60_000) + ",\"rawData\":\"" + b64("sample raw data") + "\"}\n", text(o, false));
    assertEquals(1, o.records());
    assertEquals(15, o.bytes());
    assertEquals("backup-bucket", o.bucket());
  }

  @Test
  void each_record_is_one_json_object_on_its_own_line() throws IOException {
    Failure failure = Failure.httpEndpoint(new HttpEndpointException(HttpEndpointException.Code.REQUEST_TIMEOUT,
        "slow"), 2, ARRIVAL + 5);
    StagedObject o = writeOne(Target.of(backup(null, null, null)), ErrorRecordWriter.HTTP_ENDPOINT_FAILED,
        List.of(record("a\nb", ARRIVAL), record("", ARRIVAL + 1), record("c", ARRIVAL + 2)), failure);
    String text = text(o, false);
    assertTrue(text.endsWith("\n"));
    List<String> lines = text.lines().toList();
    assertEquals(3, lines.size());
    List<String> data = List.of("a\nb", "", "c");
    for (int i = 0; i < 3; i++) {
      JsonNode line = JSON.readTree(lines.get(i));
      assertEquals(List.of("attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
          "rawData"), names(line));
      assertEquals(2, line.get("attemptsMade").asInt());
      assertEquals(ARRIVAL + i, line.get("arrivalTimestamp").asLong());
      assertEquals("HttpEndpoint.RequestTimeout", line.get("errorCode").asText());
      assertEquals("slow", line.get("errorMessage").asText());
      assertEquals(data.get(i), new String(line.get("rawData").binaryValue(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void a_lambda_processing_failure_record_ends_with_the_lambda_arn() throws IOException {
    String arn = "arn:aws:lambda:us-west-2:123456789012:function:f";
    Failure failure = Failure.lambda("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record", 1,
        ARRIVAL + 61_081, arn);
    StagedObject o = writeOne(Target.of(backup(null, null, null)), ErrorRecordWriter.PROCESSING_FAILED,
        List.of(record("FAIL this one\n", ARRIVAL)), failure);
    assertEquals("{\"attemptsMade\":1,\"arrivalTimestamp\":" + ARRIVAL + ",\"errorCode\":"
        + "\"Lambda.ProcessingFailedStatus\",\"errorMessage\":\"ProcessingFailed status set for record\","
        + "\"attemptEndingTimestamp\":" + (ARRIVAL + 61_081) + ",\"rawData\":\"RkFJTCB0aGlzIG9uZQo=\","
        + "\"lambdaARN\":\"" + arn + "\"}\n", text(o, false));
  }

  @Test
  void without_an_error_output_prefix_the_key_is_prefix_then_error_output_type_then_the_hour() throws IOException {
    StagedObject o = writeOne(Target.of(backup("backup/", null, null)), ErrorRecordWriter.HTTP_ENDPOINT_FAILED,
        List.of(record("x", ARRIVAL + 1000), record("y", ARRIVAL)), new Failure("c", "m", 1, ARRIVAL, null));
    assertTrue(o.key().matches("backup/http-endpoint-failed/2026/07/13/10/orders-3-2026-07-13-10-00-39-"
        + "[0-9a-f-]{36}"), o.key());
  }

  @Test
  void an_error_output_prefix_gets_the_error_output_type_and_the_oldest_arrival() throws IOException {
    StagedObject o = writeOne(Target.of(backup("data/", "errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
        null)), ErrorRecordWriter.HTTP_ENDPOINT_FAILED, List.of(record("x", ARRIVAL)),
        new Failure("c", "m", 1, ARRIVAL, null));
    assertTrue(o.key().matches("errors/http-endpoint-failed/2026/orders-3-2026-07-13-10-00-39-[0-9a-f-]{36}"),
        o.key());
  }

  @Test
  void an_s3_destination_target_uses_its_time_zone() throws IOException {
    ExtendedS3DestinationConfiguration s3 = new ExtendedS3DestinationConfiguration("arn:aws:iam::0:role/r",
        "arn:aws:s3:::dest", null, "err/!{firehose:error-output-type}/!{timestamp:HH}/", null, null, null, null, null,
        null, null, null, null, ".log", "Asia/Tokyo");
    Target target = Target.of(s3);
    assertEquals(ZoneId.of("Asia/Tokyo"), target.zone());
    StagedObject o = writeOne(target, ErrorRecordWriter.PROCESSING_FAILED, List.of(record("x", ARRIVAL)),
        new Failure("c", "m", 1, ARRIVAL, "arn:aws:lambda:us-east-1:0:function:f"));
    assertTrue(o.key().matches("err/processing-failed/19/orders-3-2026-07-13-19-00-39-[0-9a-f-]{36}"), o.key());
    assertEquals("dest", o.bucket());
  }

  @Test
  void the_backup_compression_applies_to_the_error_object() throws IOException {
    StagedObject o = writeOne(Target.of(backup(null, null, "GZIP")), ErrorRecordWriter.HTTP_ENDPOINT_FAILED,
        List.of(record("zipped", ARRIVAL)), new Failure("c", "m", 1, ARRIVAL, null));
    assertTrue(o.key().endsWith(".gz"), o.key());
    JsonNode line = JSON.readTree(text(o, true));
    assertEquals("zipped", new String(line.get("rawData").binaryValue(), StandardCharsets.UTF_8));
  }

  @Test
  void the_failure_of_a_413_is_recorded_as_a_destination_exception() {
    HttpEndpointException e = HttpEndpointException.of(new Retries.Permanent("The following response was received "
        + "from the endpoint destination. 413: too big"));
    Failure failure = Failure.httpEndpoint(e, 1, ARRIVAL);
    assertEquals("HttpEndpoint.DestinationException", failure.errorCode());
    assertEquals("The following response was received from the endpoint destination. 413: too big",
        failure.errorMessage());
    assertEquals("InternalError", HttpEndpointException.of(new IOException("disk")).errorCode());
  }

  @Test
  void finishing_without_records_stages_nothing_and_close_deletes_an_unfinished_file() throws IOException {
    try (ErrorRecordWriter writer = new ErrorRecordWriter("orders", 1, Target.of(backup(null, null, null)),
        ErrorRecordWriter.HTTP_ENDPOINT_FAILED, staging, "empty")) {
      assertEquals(List.of(), writer.finish());
    }
    try (ErrorRecordWriter writer = new ErrorRecordWriter("orders", 1, Target.of(backup(null, null, null)),
        ErrorRecordWriter.HTTP_ENDPOINT_FAILED, staging, "given-up")) {
      writer.add(record("x", ARRIVAL), new Failure("c", "m", 1, ARRIVAL, null));
    }
    try (Stream<Path> files = Files.list(staging)) {
      assertEquals(0, files.count());
    }
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }
}
