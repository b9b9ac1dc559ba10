package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseAsyncClient;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.ConcurrentModificationException;
import software.amazon.awssdk.services.firehose.model.CreateDeliveryStreamRequest;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamDescription;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamType;
import software.amazon.awssdk.services.firehose.model.ExtendedS3DestinationConfiguration;
import software.amazon.awssdk.services.firehose.model.ExtendedS3DestinationDescription;
import software.amazon.awssdk.services.firehose.model.FirehoseException;
import software.amazon.awssdk.services.firehose.model.InvalidArgumentException;
import software.amazon.awssdk.services.firehose.model.LimitExceededException;
import software.amazon.awssdk.services.firehose.model.ListTagsForDeliveryStreamResponse;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponse;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.firehose.model.ResourceInUseException;
import software.amazon.awssdk.services.firehose.model.ResourceNotFoundException;
import software.amazon.awssdk.services.firehose.model.Tag;

/**
 * The Firehose API through the real AWS SDK for Java v2 ({@code FirehoseClient}, and the async client): every
 * operation, its answers and its errors, in Firehose's words where they are on record (docs/protocol-notes.md).
 */
class FirehoseApiIT {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final String ACCOUNT = "000000000000";

  private static TestServer server;
  private static FirehoseClient firehose;

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("deliveryStreamLimit", "20"));
    firehose = FirehoseClients.sync(server.endpoint());
  }

  @AfterAll
  static void stop() {
    firehose.close();
    server.close();
  }

  private static ExtendedS3DestinationConfiguration s3(String bucket) {
    return ExtendedS3DestinationConfiguration.builder().roleARN(ROLE).bucketARN("arn:aws:s3:::" + bucket).build();
  }

  private static void create(String name, Consumer<CreateDeliveryStreamRequest.Builder> more) {
    firehose.createDeliveryStream(b -> {
      b.deliveryStreamName(name).extendedS3DestinationConfiguration(s3(name + "-bucket"));
      more.accept(b);
    });
  }

  private static DeliveryStreamDescription describe(String name) {
    return firehose.describeDeliveryStream(b -> b.deliveryStreamName(name)).deliveryStreamDescription();
  }

  private static Record record(String data) {
    return Record.builder().data(SdkBytes.fromUtf8String(data)).build();
  }

  @Test
  void a_new_delivery_stream_is_described_with_firehose_defaults() {
    String arn = firehose.createDeliveryStream(b -> b.deliveryStreamName("defaults")
        .extendedS3DestinationConfiguration(s3("defaults-bucket"))).deliveryStreamARN();
    assertEquals("arn:aws:firehose:us-east-1:" + ACCOUNT + ":deliverystream/defaults", arn);

    DeliveryStreamDescription d = describe("defaults");
    assertEquals("ACTIVE", d.deliveryStreamStatusAsString());
    assertEquals(DeliveryStreamType.DIRECT_PUT, d.deliveryStreamType());
    assertEquals("1", d.versionId());
    assertEquals("DISABLED", d.deliveryStreamEncryptionConfiguration().statusAsString());
    assertNotNull(d.createTimestamp());
    assertNull(d.lastUpdateTimestamp());
    assertFalse(d.hasMoreDestinations());
    assertEquals(1, d.destinations().size());
    assertEquals("destinationId-000000000001", d.destinations().get(0).destinationId());
    ExtendedS3DestinationDescription s3 = d.destinations().get(0).extendedS3DestinationDescription();
    assertEquals(5, s3.bufferingHints().sizeInMBs());
    assertEquals(300, s3.bufferingHints().intervalInSeconds());
    assertEquals("UNCOMPRESSED", s3.compressionFormatAsString());
    assertEquals("NoEncryption", s3.encryptionConfiguration().noEncryptionConfigAsString());
    assertFalse(s3.cloudWatchLoggingOptions().enabled());
    assertEquals("Disabled", s3.s3BackupModeAsString());
    assertEquals("arn:aws:s3:::defaults-bucket", d.destinations().get(0).s3DestinationDescription().bucketARN());
  }

  @Test
  void an_unknown_delivery_stream_is_not_found_in_firehose_words() {
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> firehose.describeDeliveryStream(b -> b.deliveryStreamName("nowhere")));
    assertEquals("Firehose nowhere under account " + ACCOUNT + " not found.", e.awsErrorDetails().errorMessage());
    assertEquals(400, e.statusCode());
    assertThrows(ResourceNotFoundException.class, () -> firehose.putRecord(b -> b.deliveryStreamName("nowhere")
        .record(record("x"))));
    assertThrows(ResourceNotFoundException.class, () -> firehose.deleteDeliveryStream(b -> b
        .deliveryStreamName("nowhere")));
  }

  @Test
  void a_name_in_use_is_refused() {
    create("twice", b -> { });
    ResourceInUseException e = assertThrows(ResourceInUseException.class, () -> create("twice", b -> { }));
    assertTrue(e.awsErrorDetails().errorMessage().startsWith("Firehose twice under account " + ACCOUNT),
        e.awsErrorDetails().errorMessage());
  }

  @Test
  void puts_answer_record_ids_and_the_encryption_state() {
    create("puts", b -> { });
    String id = firehose.putRecord(b -> b.deliveryStreamName("puts").record(record("one"))).recordId();
    PutRecordBatchResponse batch = firehose.putRecordBatch(b -> b.deliveryStreamName("puts")
        .records(record("two"), record("three")));
    assertEquals(0, batch.failedPutCount());
    assertFalse(batch.encrypted());
    List<String> ids = new ArrayList<>(List.of(id));
    batch.requestResponses().forEach(r -> {
      assertNull(r.errorCode());
      ids.add(r.recordId());
    });
    assertEquals(3, ids.stream().distinct().count(), "record ids are unique: " + ids);
  }

  @Test
  void a_batch_of_more_than_500_records_is_a_validation_error_and_more_than_4_mib_an_invalid_argument() {
    create("big-batches", b -> { });
    FirehoseException tooMany = assertThrows(FirehoseException.class, () -> firehose.putRecordBatch(b -> b
        .deliveryStreamName("big-batches").records(Collections.nCopies(501, record("x")))));
    assertEquals("ValidationException", tooMany.awsErrorDetails().errorCode());
    assertEquals("1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have "
        + "length less than or equal to 500", tooMany.awsErrorDetails().errorMessage());

    Record mib = Record.builder().data(SdkBytes.fromByteArray(new byte[1_000_000])).build();
    InvalidArgumentException tooBig = assertThrows(InvalidArgumentException.class, () -> firehose.putRecordBatch(b -> b
        .deliveryStreamName("big-batches").records(Collections.nCopies(5, mib))));
    assertEquals("Records size exceeds 4 MB limit", tooBig.awsErrorDetails().errorMessage());

    FirehoseException tooLarge = assertThrows(FirehoseException.class, () -> firehose.putRecord(b -> b
        .deliveryStreamName("big-batches").record(Record.builder().data(SdkBytes.fromByteArray(new byte[1_024_001]))
            .build())));
    assertEquals("1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have "
        + "length less than or equal to 1024000",
        tooLarge.awsErrorDetails().errorMessage());
  }

  @Test
  void list_delivery_streams_pages_by_name_and_filters_by_type() {
    for (String name : List.of("list-a", "list-b", "list-c")) {
      create(name, b -> { });
    }
    var first = firehose.listDeliveryStreams(b -> b.limit(2).exclusiveStartDeliveryStreamName("list-"));
    assertEquals(List.of("list-a", "list-b"), first.deliveryStreamNames());
    assertTrue(first.hasMoreDeliveryStreams());
    var rest = firehose.listDeliveryStreams(b -> b.limit(2).exclusiveStartDeliveryStreamName("list-b"));
    assertEquals("list-c", rest.deliveryStreamNames().get(0));
    assertTrue(firehose.listDeliveryStreams(b -> b.deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE))
        .deliveryStreamNames().stream().noneMatch(n -> n.startsWith("list-")));
  }

  @Test
  void update_destination_needs_the_current_version_and_bumps_it() {
    create("updates", b -> { });
    firehose.updateDestination(b -> b.deliveryStreamName("updates").currentDeliveryStreamVersionId("1")
        .destinationId("destinationId-000000000001").extendedS3DestinationUpdate(u -> u.compressionFormat("GZIP")
            .bufferingHints(h -> h.sizeInMBs(2).intervalInSeconds(60))));
    DeliveryStreamDescription d = describe("updates");
    assertEquals("2", d.versionId());
    assertNotNull(d.lastUpdateTimestamp());
    ExtendedS3DestinationDescription s3 = d.destinations().get(0).extendedS3DestinationDescription();
    assertEquals("GZIP", s3.compressionFormatAsString());
    assertEquals(2, s3.bufferingHints().sizeInMBs());
    assertEquals("arn:aws:s3:::updates-bucket", s3.bucketARN(), "members not given are kept");

    ConcurrentModificationException stale = assertThrows(ConcurrentModificationException.class, () ->
        firehose.updateDestination(b -> b.deliveryStreamName("updates").currentDeliveryStreamVersionId("1")
            .destinationId("destinationId-000000000001").extendedS3DestinationUpdate(u -> u.prefix("x/"))));
    assertEquals("Cannot update firehose: updates since the current version id: 2 and specified version id: 1 do "
        + "not match", stale.awsErrorDetails().errorMessage());
    assertThrows(InvalidArgumentException.class, () -> firehose.updateDestination(b -> b
        .deliveryStreamName("updates").currentDeliveryStreamVersionId("2").destinationId("destinationId-2")
        .extendedS3DestinationUpdate(u -> u.prefix("x/"))));
    InvalidArgumentException typeChange = assertThrows(InvalidArgumentException.class, () ->
        firehose.updateDestination(b -> b.deliveryStreamName("updates").currentDeliveryStreamVersionId("2")
            .destinationId("destinationId-000000000001").httpEndpointDestinationUpdate(u -> u
                .endpointConfiguration(c -> c.url("https://example.com")))));
    assertEquals("Changing the destination type to or from HttpEndpoint is not supported at this time.",
        typeChange.awsErrorDetails().errorMessage());
  }

  @Test
  void tags_are_added_listed_in_key_order_and_paged_removed_and_capped_at_50() {
    create("tags", b -> b.tags(Tag.builder().key("b").value("2").build()));
    firehose.tagDeliveryStream(b -> b.deliveryStreamName("tags").tags(Tag.builder().key("a").value("1").build(),
        Tag.builder().key("c").value("3").build()));
    ListTagsForDeliveryStreamResponse page = firehose.listTagsForDeliveryStream(b -> b.deliveryStreamName("tags")
        .limit(2));
    assertEquals(List.of("a", "b"), page.tags().stream().map(Tag::key).toList());
    assertTrue(page.hasMoreTags());
    assertEquals(List.of("c"), firehose.listTagsForDeliveryStream(b -> b.deliveryStreamName("tags")
        .exclusiveStartTagKey("b")).tags().stream().map(Tag::key).toList());
    firehose.untagDeliveryStream(b -> b.deliveryStreamName("tags").tagKeys("a", "missing"));
    assertEquals(List.of("b", "c"), firehose.listTagsForDeliveryStream(b -> b.deliveryStreamName("tags")).tags()
        .stream().map(Tag::key).toList());

    List<Tag> fifty = new ArrayList<>();
    for (int i = 0; i < 49; i++) {
      fifty.add(Tag.builder().key("k" + i).value("v").build());
    }
    assertThrows(LimitExceededException.class, () -> firehose.tagDeliveryStream(b -> b.deliveryStreamName("tags")
        .tags(fifty)));
    FirehoseException awsPrefix = assertThrows(FirehoseException.class, () -> firehose.tagDeliveryStream(b -> b
        .deliveryStreamName("tags").tags(Tag.builder().key("aws:reserved").value("v").build())));
    assertEquals("ValidationException", awsPrefix.awsErrorDetails().errorCode());
  }

  @Test
  void encryption_is_started_and_stopped_and_reported_by_puts() {
    create("encrypted", b -> { });
    firehose.startDeliveryStreamEncryption(b -> b.deliveryStreamName("encrypted"));
    DeliveryStreamDescription d = describe("encrypted");
    assertEquals("ENABLED", d.deliveryStreamEncryptionConfiguration().statusAsString());
    assertEquals("AWS_OWNED_CMK", d.deliveryStreamEncryptionConfiguration().keyTypeAsString());
    assertTrue(firehose.putRecord(b -> b.deliveryStreamName("encrypted").record(record("secret"))).encrypted());
    firehose.stopDeliveryStreamEncryption(b -> b.deliveryStreamName("encrypted"));
    assertEquals("DISABLED", describe("encrypted").deliveryStreamEncryptionConfiguration().statusAsString());
    assertFalse(firehose.putRecord(b -> b.deliveryStreamName("encrypted").record(record("plain"))).encrypted());
  }

  @Test
  void a_kinesis_stream_source_takes_no_puts_in_firehose_words() {
    try (var kinesis = KinesisClients.kinesis(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("source-for-firehose").shardCount(1));
    }
    firehose.createDeliveryStream(b -> b.deliveryStreamName("from-kinesis")
        .deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE)
        .kinesisStreamSourceConfiguration(k -> k.kinesisStreamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT
            + ":stream/source-for-firehose").roleARN(ROLE))
        .extendedS3DestinationConfiguration(s3("from-kinesis-bucket")));
    DeliveryStreamDescription d = describe("from-kinesis");
    assertEquals(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE, d.deliveryStreamType());
    assertNull(d.deliveryStreamEncryptionConfiguration());
    assertNotNull(d.source().kinesisStreamSourceDescription().deliveryStartTimestamp());
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> firehose.putRecord(b -> b
        .deliveryStreamName("from-kinesis").record(record("x"))));
    assertEquals("This operation is not permitted on KinesisStreamAsSource delivery stream type.",
        e.awsErrorDetails().errorMessage());
    assertThrows(InvalidArgumentException.class, () -> firehose.createDeliveryStream(b -> b
        .deliveryStreamName("from-nowhere").deliveryStreamType(DeliveryStreamType.KINESIS_STREAM_AS_SOURCE)
        .kinesisStreamSourceConfiguration(k -> k.kinesisStreamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT
            + ":stream/no-such-stream").roleARN(ROLE))
        .extendedS3DestinationConfiguration(s3("x-bucket"))));
  }

  @Test
  void configurations_firehose_refuses_are_refused_in_its_words() {
    InvalidArgumentException prefix = assertThrows(InvalidArgumentException.class, () -> firehose
        .createDeliveryStream(b -> b.deliveryStreamName("bad-prefix").extendedS3DestinationConfiguration(s3("p")
            .toBuilder().prefix("year=!{timestamp:yyyy}/").build())));
    assertEquals("Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null "
        + "or empty when Prefix contains expressions", prefix.awsErrorDetails().errorMessage());

    InvalidArgumentException partitioning = assertThrows(InvalidArgumentException.class, () -> firehose
        .createDeliveryStream(b -> b.deliveryStreamName("bad-partitioning").extendedS3DestinationConfiguration(s3("p")
            .toBuilder().dynamicPartitioningConfiguration(p -> p.enabled(true))
            .bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(60)).build())));
    assertEquals("BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled.",
        partitioning.awsErrorDetails().errorMessage());

    FirehoseException compression = assertThrows(FirehoseException.class, () -> firehose.createDeliveryStream(b -> b
        .deliveryStreamName("bad-compression").extendedS3DestinationConfiguration(s3("p").toBuilder()
            .compressionFormat("gzip").build())));
    assertEquals("1 validation error detected: Value at 'extendedS3DestinationConfiguration.compressionFormat' failed "
        + "to satisfy constraint: Member must satisfy enum value set: [ZIP, HADOOP_SNAPPY, Snappy, GZIP, UNCOMPRESSED]",
        compression.awsErrorDetails().errorMessage());

    InvalidArgumentException none = assertThrows(InvalidArgumentException.class, () -> firehose
        .createDeliveryStream(b -> b.deliveryStreamName("no-destination")));
    assertEquals("Exactly one destination configuration is supported for a Firehose",
        none.awsErrorDetails().errorMessage());

    FirehoseException badName = assertThrows(FirehoseException.class, () -> firehose.createDeliveryStream(b -> b
        .deliveryStreamName("bad name").extendedS3DestinationConfiguration(s3("p"))));
    assertEquals("1 validation error detected: Value at 'deliveryStreamName' failed to satisfy constraint: Member "
        + "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        badName.awsErrorDetails().errorMessage());
  }

  @Test
  void the_delivery_stream_limit_is_enforced() {
    List<String> names = new ArrayList<>();
    LimitExceededException e = null;
    for (int i = 0; i < 25 && e == null; i++) {
      String name = "limit-" + i;
      try {
        create(name, b -> { });
        names.add(name);
      } catch (LimitExceededException refused) {
        e = refused;
      }
    }
    assertNotNull(e, "the 21st delivery stream of the account is refused");
    assertTrue(e.awsErrorDetails().errorMessage().startsWith("You have already consumed your firehose quota of 20 "
        + "hoses."), e.awsErrorDetails().errorMessage());
    names.forEach(n -> firehose.deleteDeliveryStream(b -> b.deliveryStreamName(n)));
  }

  @Test
  void a_deleted_delivery_stream_is_gone() {
    create("short-lived", b -> { });
    firehose.deleteDeliveryStream(b -> b.deliveryStreamName("short-lived"));
    assertThrows(ResourceNotFoundException.class, () -> describe("short-lived"));
    assertFalse(firehose.listDeliveryStreams(b -> b.limit(10000)).deliveryStreamNames().contains("short-lived"));
  }

  @Test
  void the_async_client_creates_puts_and_describes() throws Exception {
    try (FirehoseAsyncClient async = FirehoseClients.async(server.endpoint())) {
      async.createDeliveryStream(b -> b.deliveryStreamName("async").extendedS3DestinationConfiguration(s3("async")))
          .get(30, TimeUnit.SECONDS);
      PutRecordBatchResponse r = async.putRecordBatch(b -> b.deliveryStreamName("async").records(record("a"),
          record("b"))).get(30, TimeUnit.SECONDS);
      assertEquals(0, r.failedPutCount());
      assertEquals("ACTIVE", async.describeDeliveryStream(b -> b.deliveryStreamName("async"))
          .get(30, TimeUnit.SECONDS).deliveryStreamDescription().deliveryStreamStatusAsString());
    }
  }
}
