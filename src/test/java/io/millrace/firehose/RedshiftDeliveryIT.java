package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.Poll;
import io.millrace.testing.PostgresServer;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.CompressionFormat;
import software.amazon.awssdk.services.firehose.model.InvalidArgumentException;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.firehose.model.RedshiftDestinationConfiguration;
import software.amazon.awssdk.services.firehose.model.RedshiftDestinationDescription;

/**
 * The Redshift destination into a real PostgreSQL (Debian's postgresql-15, a fresh cluster for the class): records
 * put through the AWS SDK's FirehoseClient are written as an intermediate object to the S3 configuration's bucket
 * (the embedded store) and loaded with one COPY per batch; the loads table makes a batch land once however often it
 * is loaded; a database that is down for a while loses nothing; a batch that cannot be loaded within its retry time
 * is listed in a manifest under {@code errors/manifests/}.
 */
class RedshiftDeliveryIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path pgDir;
  private static PostgresServer pg;

  @TempDir
  Path dir;
  private TestServer server;
  private FirehoseClient firehose;
  private LocalBuckets buckets;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = PostgresServer.start(pgDir);
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
  }

  @AfterEach
  void stop() {
    firehose.close();
    server.close();
  }

  private void create(String name, String table, String columns, String options, CompressionFormat compression,
                      int retrySeconds, String jdbcUrl) {
    create(name, r -> r.clusterJDBCURL(jdbcUrl).username(pg.user()).password(pg.password()).roleARN(ROLE)
        .copyCommand(c -> c.dataTableName(table).dataTableColumns(columns).copyOptions(options))
        .retryOptions(o -> o.durationInSeconds(retrySeconds))
        .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::" + name + "-staging")
            .compressionFormat(compression).bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));
  }

  private void create(String name, Consumer<RedshiftDestinationConfiguration.Builder> config) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(name).redshiftDestinationConfiguration(config));
  }

  private String url(String scheme) {
    return "jdbc:" + scheme + "://127.0.0.1:" + pg.port() + "/" + PostgresServer.DATABASE;
  }

  private void put(String name, List<String> records) {
    for (int i = 0; i < records.size(); i += 500) {
      List<Record> batch = records.subList(i, Math.min(records.size(), i + 500)).stream()
          .map(r -> Record.builder().data(SdkBytes.fromUtf8String(r)).build()).toList();
      assertEquals(0, firehose.putRecordBatch(b -> b.deliveryStreamName(name).records(batch)).failedPutCount());
    }
  }

  private List<List<String>> awaitRows(String sql, int count) throws InterruptedException {
    return Poll.until(count + " rows from " + sql, () -> pg.query(sql), rows -> rows.size() >= count);
  }

  private double metric(String name, String deliveryStream) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name, "DeliveryStreamName",
        deliveryStream);
  }

  @Test
  void json_records_land_as_rows_of_the_configured_columns_through_an_intermediate_object() throws Exception {
    pg.execute("CREATE TABLE orders (id int, customer text, amount numeric, note text)");
    create("orders", "orders", "id,customer,amount", "JSON 'auto'", CompressionFormat.UNCOMPRESSED, 60,
        url("redshift"));
    List<String> records = IntStream.range(0, 1200).mapToObj(i -> "{\"id\":" + i + ",\"customer\":\"c" + (i % 7)
        + "\",\"amount\":" + i + ".5,\"note\":\"not a listed column\"}").toList();
    put("orders", records);

    List<List<String>> rows = awaitRows("SELECT id, customer, amount, note FROM orders ORDER BY id", 1200);
    assertEquals(1200, rows.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(List.of(String.valueOf(i), "c" + (i % 7), i + ".5"), rows.get(i).subList(0, 3));
      assertNull(rows.get(i).get(3), "a column not in DataTableColumns is left alone");
    }
    List<String> objects = buckets.keys("orders-staging");
    assertFalse(objects.isEmpty(), "the intermediate objects stay in the S3 configuration's bucket");
    List<Integer> staged = new java.util.ArrayList<>();
    for (String key : objects) {
      JSON.readerFor(JsonNode.class).<JsonNode>readValues(buckets.read("orders-staging", key))
          .forEachRemaining(n -> staged.add(n.get("id").asInt()));
    }
    staged.sort(null);
    assertEquals(IntStream.range(0, 1200).boxed().toList(), staged, "exactly the records, each once");
    List<List<String>> loads = pg.query("SELECT object_url, rows_loaded FROM millrace_firehose_loads WHERE "
        + "delivery_stream LIKE '%/orders#%'");
    assertEquals(objects.size(), loads.size(), "one load per intermediate object: " + loads);
    assertTrue(loads.get(0).get(0).startsWith("s3://orders-staging/"), loads.toString());
    Poll.until("DeliveryToRedshift.Records at 1200", () -> metric("firehose_DeliveryToRedshift_Records_total",
        "orders") == 1200);
    assertEquals(1200, metric("firehose_DeliveryToS3_Records_total", "orders"), "the intermediate objects");

    RedshiftDestinationDescription described = firehose.describeDeliveryStream(b -> b.deliveryStreamName("orders"))
        .deliveryStreamDescription().destinations().get(0).redshiftDestinationDescription();
    assertEquals(url("redshift"), described.clusterJDBCURL());
    assertEquals(pg.user(), described.username());
    assertEquals("orders", described.copyCommand().dataTableName());
    assertEquals(60, described.retryOptions().durationInSeconds());
    assertEquals("Disabled", described.s3BackupModeAsString());
    assertEquals("arn:aws:s3:::orders-staging", described.s3DestinationDescription().bucketARN());
  }

  @Test
  void gzipped_csv_objects_are_loaded_with_their_delimiter() throws Exception {
    pg.execute("CREATE TABLE visits (page text, seconds int)");
    create("visits", "visits", "page,seconds", "CSV DELIMITER ';' GZIP", CompressionFormat.GZIP, 60,
        url("postgresql"));
    put("visits", List.of("/home;3\n", "\"/a;b\";4\n", "/x;\n"));

    List<List<String>> rows = awaitRows("SELECT page, seconds FROM visits ORDER BY page", 3);
    assertEquals(List.of(List.of("/a;b", "4"), List.of("/home", "3"), java.util.Arrays.asList("/x", null)), rows);
    String key = buckets.keys("visits-staging").get(0);
    assertTrue(key.endsWith(".gz"), key);
    assertEquals("/home;3\n\"/a;b\";4\n/x;\n", new String(new GZIPInputStream(new ByteArrayInputStream(
        buckets.read("visits-staging", key))).readAllBytes(), UTF_8));
  }

  @Test
  void pipe_delimited_text_keeps_backslashes_and_reads_backslash_n_as_null_as_redshift_does() throws Exception {
    pg.execute("CREATE TABLE paths (\"user\" text, path text, hits int)");
    create("paths", "paths", "user,path,hits", null, CompressionFormat.UNCOMPRESSED, 60, url("postgresql"));
    put("paths", List.of("ann|C:\\temp\\new|\n", "\\N|/x|5\n", "|\"q\"|7\n"));

    assertEquals(List.of(java.util.Arrays.asList("", "\"q\"", "7"), java.util.Arrays.asList(null, "/x", "5"),
        java.util.Arrays.asList("ann", "C:\\temp\\new", null)),
        awaitRows("SELECT \"user\", path, hits FROM paths ORDER BY path COLLATE \"C\"", 3),
        "a reserved word as a column, backslashes and quotes as themselves, \\N as NULL, an empty number NULL");
  }

  @Test
  void update_destination_with_the_right_password_unblocks_a_stream_that_could_not_log_in() throws Exception {
    pg.execute("CREATE TABLE logins (id int)");
    create("logins", r -> r.clusterJDBCURL(url("postgresql")).username(pg.user()).password("wrong-password")
        .roleARN(ROLE).copyCommand(c -> c.dataTableName("logins").copyOptions("JSON 'auto'"))
        .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::logins-staging")
            .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))));
    put("logins", List.of("{\"id\":1}", "{\"id\":2}"));
    Poll.until("a refused login", () -> pg.output().contains("password authentication failed for user \""
        + pg.user() + "\""));

    firehose.updateDestination(b -> b.deliveryStreamName("logins").currentDeliveryStreamVersionId("1")
        .destinationId("destinationId-000000000001").redshiftDestinationUpdate(u -> u.password(pg.password())));
    assertEquals(List.of(List.of("1"), List.of("2")), awaitRows("SELECT id FROM logins ORDER BY id", 2));
  }

  @Test
  void a_database_down_for_a_while_loses_nothing_and_loads_each_record_once() throws Exception {
    pg.execute("CREATE TABLE clicks (id int)");
    create("clicks", "clicks", null, "JSON 'auto'", CompressionFormat.UNCOMPRESSED, 3600, url("postgresql"));
    put("clicks", List.of("{\"id\":-1}"));
    awaitRows("SELECT id FROM clicks", 1);
    pg.stop();
    try {
      put("clicks", IntStream.range(0, 300).mapToObj(i -> "{\"id\":" + i + "}").toList());
      buckets.awaitKeys("clicks-staging", 2);
      put("clicks", IntStream.range(300, 400).mapToObj(i -> "{\"id\":" + i + "}").toList());
      assertEquals(1.0, metric("firehose_DeliveryToRedshift_Success_total", "clicks"), "nothing loads meanwhile");
    } finally {
      pg.startAgain();
    }
    List<List<String>> rows = awaitRows("SELECT id FROM clicks", 401);
    assertEquals(401, rows.size());
    assertEquals(401, pg.query("SELECT DISTINCT id FROM clicks").size(), "no record twice");
  }

  @Test
  void a_batch_delivered_again_after_a_crash_is_not_loaded_twice() throws Exception {
    pg.execute("CREATE TABLE events (id int)");
    create("events", "events", "id", "JSON 'auto'", CompressionFormat.UNCOMPRESSED, 3600, url("postgresql"));
    put("events", IntStream.range(0, 50).mapToObj(i -> "{\"id\":" + i + "}").toList());
    awaitRows("SELECT id FROM events", 50);
    Poll.until("the batch committed", () -> {
      try (Stream<Path> files = Files.walk(dir.resolve("firehose"))) {
        return files.anyMatch(p -> p.getFileName().toString().equals(DeliveryCheckpoint.FILE));
      } catch (java.io.IOException e) {
        return false;
      }
    });
    server.close();
    // A crash after the COPY committed and before the checkpoint was saved: the checkpoint says nothing was delivered.
    try (Stream<Path> files = Files.walk(dir.resolve("firehose"))) {
      for (Path p : files.filter(p -> p.getFileName().toString().equals(DeliveryCheckpoint.FILE)).toList()) {
        Files.delete(p);
      }
    }
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString()));
    firehose.close();
    firehose = FirehoseClients.sync(server.endpoint());
    put("events", IntStream.range(50, 60).mapToObj(i -> "{\"id\":" + i + "}").toList());

    awaitRows("SELECT id FROM events", 60);
    List<List<String>> loads = Poll.until("the second batch recorded", () -> pg.query("SELECT first_offset, "
        + "next_offset, rows_loaded FROM millrace_firehose_loads WHERE delivery_stream LIKE '%/events#%' ORDER BY "
        + "next_offset"), l -> l.size() == 2);
    assertEquals(List.of(List.of("0", "50", "50"), List.of("50", "60", "10")), loads);
    assertEquals(60, pg.query("SELECT id FROM events").size(), "the first batch is not loaded again");
    assertEquals(60, pg.query("SELECT DISTINCT id FROM events").size());
  }

  @Test
  void a_batch_that_cannot_be_loaded_in_its_retry_time_is_listed_in_a_manifest_under_errors() throws Exception {
    create("lost", "no_such_table", null, "JSON 'auto'", CompressionFormat.UNCOMPRESSED, 1, url("postgresql"));
    put("lost", List.of("{\"id\":1}", "{\"id\":2}"));

    List<String> keys = Poll.until("a manifest in lost-staging", () -> buckets.keys("lost-staging"),
        k -> k.stream().anyMatch(x -> x.startsWith("errors/manifests/")));
    String manifestKey = keys.stream().filter(k -> k.startsWith("errors/manifests/")).findFirst().orElseThrow();
    String objectKey = keys.stream().filter(k -> !k.startsWith("errors/")).findFirst().orElseThrow();
    assertTrue(manifestKey.matches("errors/manifests/\\d{4}/\\d{2}/\\d{2}/\\d{2}/lost-1-.*"), manifestKey);
    JsonNode manifest = JSON.readTree(buckets.read("lost-staging", manifestKey));
    assertEquals("s3://lost-staging/" + objectKey, manifest.get("entries").get(0).get("url").asText());
    assertTrue(manifest.get("entries").get(0).get("mandatory").asBoolean());
    assertEquals("{\"id\":1}{\"id\":2}", buckets.readString("lost-staging", objectKey));

    // The next batch goes on (here into a table that now exists).
    pg.execute("CREATE TABLE no_such_table (id int)");
    put("lost", List.of("{\"id\":3}"));
    assertEquals(List.of(List.of("3")), awaitRows("SELECT id FROM no_such_table", 1));
  }

  @Test
  void creation_refuses_what_cannot_be_loaded_and_update_destination_changes_the_table() throws Exception {
    InvalidArgumentException badOptions = assertThrows(InvalidArgumentException.class, () -> create("bad", "t",
        null, "JSON 's3://bucket/jsonpaths.json'", CompressionFormat.UNCOMPRESSED, 60, url("postgresql")));
    assertTrue(badOptions.awsErrorDetails().errorMessage().contains("JSONPaths"), badOptions.getMessage());
    InvalidArgumentException badUrl = assertThrows(InvalidArgumentException.class, () -> create("bad", "t", null,
        "", CompressionFormat.UNCOMPRESSED, 60, "jdbc:redshift://127.0.0.1:5439"));
    assertTrue(badUrl.awsErrorDetails().errorMessage().contains("ClusterJDBCURL"), badUrl.getMessage());
    InvalidArgumentException gzip = assertThrows(InvalidArgumentException.class, () -> create("bad", "t", null,
        "CSV", CompressionFormat.GZIP, 60, url("postgresql")));
    assertTrue(gzip.awsErrorDetails().errorMessage().contains("GZIP"), gzip.getMessage());

    pg.execute("CREATE TABLE first_table (id int)");
    pg.execute("CREATE TABLE second_table (id int)");
    create("moving", "first_table", null, "JSON 'auto'", CompressionFormat.UNCOMPRESSED, 60, url("postgresql"));
    put("moving", List.of("{\"id\":1}"));
    awaitRows("SELECT id FROM first_table", 1);
    firehose.updateDestination(b -> b.deliveryStreamName("moving").currentDeliveryStreamVersionId("1")
        .destinationId("destinationId-000000000001")
        .redshiftDestinationUpdate(u -> u.copyCommand(c -> c.dataTableName("second_table").copyOptions(
            "JSON 'auto'"))));
    assertEquals("second_table", firehose.describeDeliveryStream(b -> b.deliveryStreamName("moving"))
        .deliveryStreamDescription().destinations().get(0).redshiftDestinationDescription().copyCommand()
        .dataTableName());
    put("moving", List.of("{\"id\":2}"));
    assertEquals(List.of(List.of("2")), awaitRows("SELECT id FROM second_table", 1));
    assertEquals(1, pg.query("SELECT id FROM first_table").size());
  }
}
