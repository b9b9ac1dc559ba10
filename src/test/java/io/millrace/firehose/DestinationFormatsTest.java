package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Redshift, OpenSearch and Splunk destinations send, for given records. */
class DestinationFormatsTest {

  @TempDir
  Path dir;

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  @Test
  void index_names_carry_firehose_s_rotation_suffix_of_the_arrival_time_in_utc() {
    long t = at("2016-02-25T13:04:05Z");
    assertEquals("logs", OpenSearchDelivery.indexName("logs", "NoRotation", t));
    assertEquals("logs-2016-02-25-13", OpenSearchDelivery.indexName("logs", "OneHour", t));
    assertEquals("logs-2016-02-25", OpenSearchDelivery.indexName("logs", "OneDay", t));
    assertEquals("logs-2016-w08", OpenSearchDelivery.indexName("logs", "OneWeek", t));
    assertEquals("logs-2016-02", OpenSearchDelivery.indexName("logs", "OneMonth", t));
    assertEquals("logs-2020-w53", OpenSearchDelivery.indexName("logs", "OneWeek", at("2021-01-01T00:00:00Z")),
        "the ISO week, and its year");
  }

  @Test
  void a_document_id_depends_only_on_the_stream_the_batch_start_and_the_ordinal() {
    assertEquals(OpenSearchDelivery.documentId(1700000000000L, 42, 7), OpenSearchDelivery.documentId(1700000000000L,
        42, 7));
    assertNotEquals(OpenSearchDelivery.documentId(1700000000000L, 42, 7), OpenSearchDelivery.documentId(
        1700000000001L, 42, 7), "a stream made again under the same name");
    assertNotEquals(OpenSearchDelivery.documentId(1, 42, 7), OpenSearchDelivery.documentId(1, 43, 6));
  }

  @Test
  void splunk_events_wrap_plain_records_and_pass_ready_made_events_through() throws Exception {
    List<RecordFile.Entry> entries = List.of(
        new RecordFile.Entry(new FirehoseRecord("{\"user\":\"ann\"}".getBytes(UTF_8), 1_500), 0),
        new RecordFile.Entry(new FirehoseRecord("plain text".getBytes(UTF_8), 2_000), 1),
        new RecordFile.Entry(new FirehoseRecord("{\"event\":\"x\",\"sourcetype\":\"s\"}".getBytes(UTF_8), 3), 2));
    assertEquals("{\"time\":1.5,\"event\":{\"user\":\"ann\"}}{\"time\":2.0,\"event\":\"plain text\"}"
        + "{\"event\":\"x\",\"sourcetype\":\"s\"}", SplunkDelivery.body(entries, false).toString(UTF_8));
    assertEquals("{\"user\":\"ann\"}plain text{\"event\":\"x\",\"sourcetype\":\"s\"}",
        SplunkDelivery.body(entries, true).toString(UTF_8), "Raw: the records as they are");
  }

  @Test
  void hec_refusals_get_firehose_s_error_codes() {
    ObjectMapper json = new ObjectMapper();
    assertEquals("Splunk.InvalidToken", SplunkDelivery.refusal(403, json.createObjectNode().put("code", 4),
        io.vertx.core.buffer.Buffer.buffer()).errorCode);
    assertEquals("Splunk.InvalidDataFormat", SplunkDelivery.refusal(400, json.createObjectNode().put("code", 6),
        io.vertx.core.buffer.Buffer.buffer()).errorCode);
    assertEquals("Splunk.ServerError", SplunkDelivery.refusal(503, json.createObjectNode().put("code", 9),
        io.vertx.core.buffer.Buffer.buffer()).errorCode);
    assertEquals("Splunk.URLNotFound", SplunkDelivery.refusal(404, json.nullNode(),
        io.vertx.core.buffer.Buffer.buffer("not found")).errorCode);
  }

  @Test
  void redshift_and_postgresql_jdbc_urls_name_a_postgresql_database() {
    assertEquals("jdbc:postgresql://db.example:5439/dev",
        RedshiftLoader.jdbcUrl("jdbc:redshift://db.example/dev?ssl=true"));
    assertEquals("jdbc:postgresql://127.0.0.1:6000/analytics",
        RedshiftLoader.jdbcUrl("jdbc:postgresql://127.0.0.1:6000/analytics"));
    assertEquals("jdbc:postgresql://h:5432/db?sslmode=require&currentSchema=analytics",
        RedshiftLoader.jdbcUrl("jdbc:postgresql://h/db?sslmode=require&currentSchema=analytics"),
        "PostgreSQL's own parameters are kept");
    assertThrows(IllegalArgumentException.class, () -> RedshiftLoader.jdbcUrl("jdbc:mysql://h/db"));
    assertEquals("\"analytics\".\"user\"", RedshiftLoader.quoted("Analytics.USER"), "folded and quoted");
  }

  @Test
  void redshift_delimited_text_becomes_csv_rows_with_every_character_as_data_and_nulls_as_redshift_reads_them()
      throws Exception {
    String text = "C:\\temp|\"q\"|7\n\\N||\n\\.|x\r|\nlast||8";
    Path csv = dir.resolve("text.csv");
    RedshiftLoader.textToCsv(new java.io.ByteArrayInputStream(text.getBytes(UTF_8)), CopyOptions.parse(null),
        List.of(true, true, false), csv);
    assertEquals("\"C:\\temp\",\"\"\"q\"\"\",\"7\"\n"   // backslash and quotes are data
        + ",\"\",\n"                                   // \N is NULL; empty text is ''; empty number NULL
        + "\"\\.\",\"x\r\",\n"                          // a lone \. and a carriage return are data
        + "\"last\",\"\",\"8\"\n", Files.readString(csv), "a last record without a line feed is a row");
  }

  @Test
  void an_opensearch_document_goes_as_written_on_one_line_and_anything_but_one_json_object_is_refused() {
    OpenSearchDelivery.Doc doc = new OpenSearchDelivery.Doc(new FirehoseRecord(new byte[0], 0), "i", "id", 0);
    assertEquals("{\"price\":0.1000000000000000055511,  \"a\": [1]}", new String(OpenSearchDelivery.source(
        "{\"price\":0.1000000000000000055511,\r\n\"a\":\n[1]}\n".getBytes(UTF_8), doc), UTF_8),
        "digits kept; line breaks become spaces");
    for (String notOne : List.of("[1]", "{\"a\":1}{\"b\":2}", "{\"a\":", "text")) {
      assertEquals(null, OpenSearchDelivery.source(notOne.getBytes(UTF_8), doc), notOne);
      assertEquals("400", doc.errorCode);
    }
  }

  @Test
  void json_auto_turns_a_stream_of_objects_into_csv_rows_of_the_columns() throws Exception {
    byte[] objects = ("{\"id\":1,\"name\":\"a \\\"b\\\"\",\"tags\":[1,2]}\n{\"ID\":2,\"extra\":true}{\"id\":3,"
        + "\"name\":null}").getBytes(UTF_8);
    Path csv = dir.resolve("rows.csv");
    RedshiftLoader.IntermediateObject object = new RedshiftLoader.IntermediateObject("b", "k");
    RedshiftLoader.jsonToCsv(new java.io.ByteArrayInputStream(objects), List.of("id", "name", "tags"), false, csv,
        object);
    assertEquals("\"1\",\"a \"\"b\"\"\",\"[1,2]\"\n,,\n\"3\",,\n", Files.readString(csv),
        "exact member names; missing and null members are NULL; nested values are JSON text");
    RedshiftLoader.jsonToCsv(new java.io.ByteArrayInputStream(objects), List.of("id"), true, csv, object);
    assertEquals("\"1\"\n\"2\"\n\"3\"\n", Files.readString(csv), "ignorecase");
    assertThrows(java.io.IOException.class, () -> RedshiftLoader.jsonToCsv(new java.io.ByteArrayInputStream(
        "[1]".getBytes(UTF_8)), List.of("id"), false, csv, object));
  }
}
