package io.millrace.firehose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LocalBuckets;
import io.millrace.testing.OpenSearchNode;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.AmazonopensearchserviceDestinationDescription;
import software.amazon.awssdk.services.firehose.model.AmazonopensearchserviceIndexRotationPeriod;
import software.amazon.awssdk.services.firehose.model.AmazonopensearchserviceS3BackupMode;
import software.amazon.awssdk.services.firehose.model.DefaultDocumentIdFormat;
import software.amazon.awssdk.services.firehose.model.ElasticsearchDestinationDescription;
import software.amazon.awssdk.services.firehose.model.ElasticsearchIndexRotationPeriod;
import software.amazon.awssdk.services.firehose.model.Record;

/**
 * The OpenSearch and Elasticsearch destinations against a real OpenSearch 2.19 node in its own JVM, started once for
 * the class: documents land in the rotated index with ids that make a batch sent again harmless; documents
 * OpenSearch refuses are retried, then written under {@code AmazonOpenSearchService-failed/} with the reason; a node
 * down for a while loses nothing.
 */
class OpenSearchDeliveryIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final String DOMAIN = "arn:aws:es:us-east-1:000000000000:domain/logs";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path nodeDir;
  private static OpenSearchNode node;

  @TempDir
  Path dir;
  private TestServer server;
  private FirehoseClient firehose;
  private LocalBuckets buckets;

  @BeforeAll
  static void startNode() throws Exception {
    node = OpenSearchNode.start(nodeDir);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.toString(), "openSearchDomainEndpoints",
        DOMAIN + "=" + node.endpoint()));
    firehose = FirehoseClients.sync(server.endpoint());
    buckets = new LocalBuckets(dir);
  }

  @AfterEach
  void stop() {
    firehose.close();
    server.close();
  }

  private void create(String name, String index, AmazonopensearchserviceIndexRotationPeriod rotation, int retrySeconds,
                      AmazonopensearchserviceS3BackupMode backup) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(name).amazonopensearchserviceDestinationConfiguration(o -> o
        .clusterEndpoint(node.endpoint().toString()).indexName(index).indexRotationPeriod(rotation).roleARN(ROLE)
        .retryOptions(r -> r.durationInSeconds(retrySeconds)).s3BackupMode(backup)
        .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))
        .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::" + name + "-backup"))));
  }

  private void put(String name, List<String> records) {
    for (int i = 0; i < records.size(); i += 500) {
      List<Record> batch = records.subList(i, Math.min(records.size(), i + 500)).stream()
          .map(r -> Record.builder().data(SdkBytes.fromUtf8String(r)).build()).toList();
      assertEquals(0, firehose.putRecordBatch(b -> b.deliveryStreamName(name).records(batch)).failedPutCount());
    }
  }

  private long awaitCount(String index, long count) throws InterruptedException {
    return Poll.until(count + " documents in " + index, () -> {
      try {
        node.refresh(index);
        return node.count(index);
      } catch (IllegalStateException | java.io.UncheckedIOException e) {
        return -1L; // the index's shard is not allocated yet, or the node is starting
      }
    }, n -> n >= count);
  }

  /** The documents of the index by id. */
  private static Map<String, JsonNode> documents(String index) {
    Map<String, JsonNode> out = new TreeMap<>();
    node.refresh(index);
    node.search(index).path("hits").path("hits").forEach(h -> out.put(h.get("_id").asText(), h.get("_source")));
    return out;
  }

  private double metric(String name, String deliveryStream) {
    return PrometheusText.value(PrometheusText.scrape(server.endpoint()), name, "DeliveryStreamName",
        deliveryStream);
  }

  @Test
  void records_become_documents_of_the_index_for_their_arrival_day_with_stable_ids() throws Exception {
    create("web", "web", AmazonopensearchserviceIndexRotationPeriod.ONE_DAY, 60,
        AmazonopensearchserviceS3BackupMode.FAILED_DOCUMENTS_ONLY);
    String day = LocalDate.now(ZoneOffset.UTC).toString();
    List<String> records = IntStream.range(0, 1500).mapToObj(i -> "{\"n\":" + i + ",\"path\":\"/p" + i + "\"}\n")
        .toList();
    put("web", records);

    String index = "web-" + day;
    awaitCount(index, 1500);
    assertTrue(node.indices().contains(index), node.indices().toString());
    Map<String, JsonNode> docs = documents(index);
    assertEquals(1500, docs.size());
    List<Integer> ns = new ArrayList<>();
    docs.values().forEach(d -> ns.add(d.get("n").asInt()));
    ns.sort(null);
    assertEquals(IntStream.range(0, 1500).boxed().toList(), ns, "each record once");
    assertTrue(docs.keySet().stream().allMatch(id -> id.matches("[0-9a-z]+-\\d+-\\d+")), docs.keySet().toString()
        .substring(0, 200));
    Poll.until("DeliveryToAmazonOpenSearchService.Records at 1500", () -> metric(
        "firehose_DeliveryToAmazonOpenSearchService_Records_total", "web") == 1500);
    assertEquals(List.of(), buckets.keys("web-backup"));

    AmazonopensearchserviceDestinationDescription d = firehose.describeDeliveryStream(b -> b
        .deliveryStreamName("web")).deliveryStreamDescription().destinations().get(0)
        .amazonopensearchserviceDestinationDescription();
    assertEquals("web", d.indexName());
    assertEquals(AmazonopensearchserviceIndexRotationPeriod.ONE_DAY, d.indexRotationPeriod());
    assertEquals(node.endpoint().toString(), d.clusterEndpoint());
    assertEquals(DefaultDocumentIdFormat.FIREHOSE_DEFAULT, d.documentIdOptions().defaultDocumentIdFormat());
    assertEquals(1, d.bufferingHints().sizeInMBs());
    assertEquals(0, d.bufferingHints().intervalInSeconds());
  }

  @Test
  void an_elasticsearch_destination_named_by_domain_arn_indexes_without_rotation_or_firehose_ids() throws Exception {
    firehose.createDeliveryStream(b -> b.deliveryStreamName("legacy").elasticsearchDestinationConfiguration(e -> e
        .domainARN(DOMAIN).indexName("legacy").indexRotationPeriod(ElasticsearchIndexRotationPeriod.NO_ROTATION)
        .documentIdOptions(o -> o.defaultDocumentIdFormat(DefaultDocumentIdFormat.NO_DOCUMENT_ID)).roleARN(ROLE)
        .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0))
        .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::legacy-backup"))));
    put("legacy", List.of("{\"a\":1}", "{\"a\":2}"));

    awaitCount("legacy", 2);
    assertTrue(documents("legacy").keySet().stream().noneMatch(id -> id.matches("[0-9a-z]+-\\d+-\\d+")),
        "OpenSearch chose the ids");
    Poll.until("DeliveryToElasticsearch.Records at 2", () -> metric("firehose_DeliveryToElasticsearch_Records_total",
        "legacy") == 2);
    ElasticsearchDestinationDescription d = firehose.describeDeliveryStream(b -> b.deliveryStreamName("legacy"))
        .deliveryStreamDescription().destinations().get(0).elasticsearchDestinationDescription();
    assertEquals(DOMAIN, d.domainARN());
    assertEquals(ElasticsearchIndexRotationPeriod.NO_ROTATION, d.indexRotationPeriod());
  }

  @Test
  void documents_opensearch_refuses_are_retried_then_backed_up_with_the_reason() throws Exception {
    node.request("PUT", "/strict", "{\"mappings\":{\"dynamic\":\"strict\",\"properties\":{\"n\":{\"type\":"
        + "\"integer\"}}}}");
    create("strict", "strict", AmazonopensearchserviceIndexRotationPeriod.NO_ROTATION, 3,
        AmazonopensearchserviceS3BackupMode.FAILED_DOCUMENTS_ONLY);
    put("strict", List.of("{\"n\":1}", "{\"n\":\"not a number\"}", "not json at all", "{\"n\":4}"));

    List<String> keys = buckets.awaitKeys("strict-backup", 1);
    assertTrue(keys.get(0).startsWith("AmazonOpenSearchService-failed/"), keys.get(0));
    List<JsonNode> failures = new ArrayList<>();
    for (String line : buckets.readString("strict-backup", keys.get(0)).split("\n")) {
      failures.add(JSON.readTree(line));
    }
    assertEquals(2, failures.size(), failures.toString());
    Map<String, JsonNode> byData = new TreeMap<>();
    failures.forEach(f -> byData.put(new String(Base64.getDecoder().decode(f.get("rawData").asText()), UTF_8), f));
    JsonNode mapping = byData.get("{\"n\":\"not a number\"}");
    assertEquals("400", mapping.get("errorCode").asText());
    assertTrue(mapping.get("errorMessage").asText().contains("mapper_parsing_exception"), mapping.toString());
    assertTrue(mapping.get("attemptsMade").asInt() >= 2, "retried: " + mapping);
    assertEquals("strict", mapping.get("esIndexName").asText());
    assertTrue(mapping.hasNonNull("esDocumentId"), mapping.toString());
    JsonNode notJson = byData.get("not json at all");
    assertTrue(notJson.get("errorMessage").asText().contains("not JSON"), notJson.toString());
    assertEquals(2, awaitCount("strict", 2));
    assertEquals(List.of(1, 4), documents("strict").values().stream().map(d -> d.get("n").asInt()).sorted()
        .toList());
  }

  @Test
  void a_node_down_for_a_while_loses_nothing_and_holds_each_document_once() throws Exception {
    create("outage", "outage", AmazonopensearchserviceIndexRotationPeriod.NO_ROTATION, 3600,
        AmazonopensearchserviceS3BackupMode.ALL_DOCUMENTS);
    put("outage", List.of("{\"before\":true}"));
    awaitCount("outage", 1);
    node.stop();
    try {
      put("outage", IntStream.range(0, 200).mapToObj(i -> "{\"i\":" + i + "}").toList());
    } finally {
      node.startAgain();
    }
    awaitCount("outage", 201);
    assertEquals(201, documents("outage").size());
    List<String> backedUp = buckets.awaitLines("outage-backup", l -> String.join("", l).split("\\}\\{").length
        >= 201);
    assertTrue(String.join("", backedUp).contains("{\"i\":199}"), "AllDocuments: every record in the bucket too");
  }

  @Test
  void update_destination_moves_the_stream_to_another_index() throws Exception {
    create("moving", "first", AmazonopensearchserviceIndexRotationPeriod.NO_ROTATION, 60,
        AmazonopensearchserviceS3BackupMode.FAILED_DOCUMENTS_ONLY);
    put("moving", List.of("{\"k\":1}"));
    awaitCount("first", 1);
    firehose.updateDestination(b -> b.deliveryStreamName("moving").currentDeliveryStreamVersionId("1")
        .destinationId("destinationId-000000000001")
        .amazonopensearchserviceDestinationUpdate(u -> u.indexName("second")
            .indexRotationPeriod(AmazonopensearchserviceIndexRotationPeriod.ONE_MONTH)));
    put("moving", List.of("{\"k\":2}"));
    String month = LocalDate.now(ZoneOffset.UTC).toString().substring(0, 7);
    assertEquals(1, awaitCount("second-" + month, 1));
    assertEquals(1, node.count("first"));
  }
}
