package io.millrace.api.firehose;

import io.millrace.api.firehose.FirehoseRequests.CreateDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.DeleteDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.DescribeDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.ListDeliveryStreamsRequest;
import io.millrace.api.firehose.FirehoseRequests.ListTagsForDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.PutRecordBatchRequest;
import io.millrace.api.firehose.FirehoseRequests.PutRecordRequest;
import io.millrace.api.firehose.FirehoseRequests.StartDeliveryStreamEncryptionRequest;
import io.millrace.api.firehose.FirehoseRequests.StopDeliveryStreamEncryptionRequest;
import io.millrace.api.firehose.FirehoseRequests.TagDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.UntagDeliveryStreamRequest;
import io.millrace.api.firehose.FirehoseRequests.UpdateDestinationRequest;
import io.millrace.api.auth.Authorizer;
import io.millrace.api.model.Responses;
import io.millrace.api.op.Operation;
import io.millrace.api.op.OperationTable;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.millrace.error.KinesisException;
import io.millrace.firehose.DeliveryHandle;
import io.millrace.firehose.DeliveryStreamKey;
import io.millrace.firehose.DeliveryStreamMeta;
import io.millrace.firehose.DeliveryStreamMeta.Destination;
import io.millrace.firehose.DeliveryStreamMeta.Encryption;
import io.millrace.firehose.DeliveryStreamMeta.KinesisSource;
import io.millrace.firehose.DeliveryStreamRegistry;
import io.millrace.firehose.DeliveryStreamStatus;
import io.millrace.firehose.DeliveryStreamVerticle;
import io.millrace.firehose.DestinationRules;
import io.millrace.firehose.FirehoseConfig.Tag;
import io.millrace.firehose.Firehose;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Firehose's dispatch table ({@code X-Amz-Target: Firehose_20150804.<action>}): each action turns its request shape
 * into calls on the {@link Firehose} core and the result back into its response shape. Immutable once built.
 */
public final class FirehoseOperations implements Service {

  public static final String TARGET_PREFIX = "Firehose_20150804";
  /** PutRecordBatch's limit on the data of one call, checked after the shapes' (Firehose's order). */
  static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

  /** What a KinesisStreamAsSource delivery stream does to its source stream, each authorized for its creator. */
  private static final List<String> SOURCE_READS = List.of("kinesis:DescribeStream", "kinesis:ListShards",
      "kinesis:GetShardIterator", "kinesis:GetRecords");

  private final Firehose firehose;
  private final Authorizer kinesis;
  private final OperationTable operations = new OperationTable();

  /** @param kinesis what verified callers may do to Kinesis streams (a delivery stream reads one as its source) */
  public FirehoseOperations(Firehose firehose, Authorizer kinesis) {
    this.firehose = firehose;
    this.kinesis = kinesis;
    operations.add("CreateDeliveryStream", CreateDeliveryStreamRequest.class, this::create);
    operations.add("DeleteDeliveryStream", DeleteDeliveryStreamRequest.class, (r, s) ->
        firehose.registry().delete(key(s, r.deliveryStreamName())).map(Responses.Empty.INSTANCE));
    operations.add("DescribeDeliveryStream", DescribeDeliveryStreamRequest.class, (r, s) -> Future.succeededFuture(
        new FirehoseResponses.DescribeDeliveryStreamResponse(FirehoseResponses.describe(
            firehose.registry().require(key(s, r.deliveryStreamName()))))));
    operations.add("ListDeliveryStreams", ListDeliveryStreamsRequest.class, this::list);
    operations.add("PutRecord", PutRecordRequest.class, this::putRecord);
    operations.add("PutRecordBatch", PutRecordBatchRequest.class, this::putRecordBatch);
    operations.add("UpdateDestination", UpdateDestinationRequest.class, this::updateDestination);
    operations.add("StartDeliveryStreamEncryption", StartDeliveryStreamEncryptionRequest.class, (r, s) -> {
      String keyType = r.deliveryStreamEncryptionConfigurationInput() == null ? "AWS_OWNED_CMK"
          : r.deliveryStreamEncryptionConfigurationInput().keyType();
      String keyArn = r.deliveryStreamEncryptionConfigurationInput() == null ? null
          : r.deliveryStreamEncryptionConfigurationInput().keyArn();
      requireKeyArn(keyType, keyArn);
      return firehose.registry().encryption(key(s, r.deliveryStreamName()), new Encryption("ENABLED", keyType,
          keyArn)).map(Responses.Empty.INSTANCE);
    });
    operations.add("StopDeliveryStreamEncryption", StopDeliveryStreamEncryptionRequest.class, (r, s) ->
        firehose.registry().encryption(key(s, r.deliveryStreamName()), Encryption.DISABLED)
            .map(Responses.Empty.INSTANCE));
    operations.add("TagDeliveryStream", TagDeliveryStreamRequest.class, (r, s) ->
        firehose.registry().tag(key(s, r.deliveryStreamName()), r.tags()).map(Responses.Empty.INSTANCE));
    operations.add("UntagDeliveryStream", UntagDeliveryStreamRequest.class, (r, s) ->
        firehose.registry().untag(key(s, r.deliveryStreamName()), r.tagKeys()).map(Responses.Empty.INSTANCE));
    operations.add("ListTagsForDeliveryStream", ListTagsForDeliveryStreamRequest.class, this::listTags);
  }

  @Override
  public String targetPrefix() {
    return TARGET_PREFIX;
  }

  @Override
  public String signingName() {
    return "firehose";
  }

  /** The delivery stream a request names; {@code *} for ListDeliveryStreams. */
  @Override
  public String resourceOf(String action, Validated request, RequestScope scope) {
    return request instanceof FirehoseRequests.DeliveryStreamScoped r
        ? new DeliveryStreamKey(scope.account(), scope.region(), r.deliveryStreamName()).arn() : "*";
  }

  @Override
  public Operation<?, ?> find(String action) {
    return operations.find(action);
  }

  @Override
  public String notServed(String action) {
    return null;
  }

  /** Today's Firehose leaves the offending value out of its validation messages ({@code Value at 'path' ...}). */
  @Override
  public Validator validator() {
    return Validator.withoutValues();
  }



  private static DeliveryStreamKey key(RequestScope scope, String name) {
    return new DeliveryStreamKey(scope.account(), scope.region(), name);
  }

  private static void requireKeyArn(String keyType, String keyArn) {
    if ("CUSTOMER_MANAGED_CMK".equals(keyType) && keyArn == null) {
      throw new KinesisException.InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.");
    }
    if ("AWS_OWNED_CMK".equals(keyType) && keyArn != null) {
      throw new KinesisException.InvalidArgument("KeyARN is only given with KeyType CUSTOMER_MANAGED_CMK.");
    }
  }

  // ---- the actions ----

  private Future<FirehoseResponses.CreateDeliveryStreamResponse> create(CreateDeliveryStreamRequest r,
                                                                        RequestScope scope) {
    DeliveryStreamKey key = key(scope, r.deliveryStreamName());
    String type = r.deliveryStreamType() == null ? DeliveryStreamMeta.DIRECT_PUT : r.deliveryStreamType();
    if (!type.equals(DeliveryStreamMeta.DIRECT_PUT) && !type.equals(DeliveryStreamMeta.KINESIS_STREAM_AS_SOURCE)) {
      throw new KinesisException.InvalidArgument("DeliveryStreamType " + type + " is not supported by Millrace; "
          + "use DirectPut or KinesisStreamAsSource.");
    }
    boolean kinesisSource = type.equals(DeliveryStreamMeta.KINESIS_STREAM_AS_SOURCE);
    if (r.kinesisStreamSourceConfiguration() != null && !kinesisSource) {
      throw new KinesisException.InvalidArgument("KinesisSourceStreamConfig is only applicable for "
          + "KinesisStreamAsSource stream type");
    }
    if (kinesisSource && r.kinesisStreamSourceConfiguration() == null) {
      throw new KinesisException.InvalidArgument("KinesisStreamSourceConfiguration is required for a delivery "
          + "stream of type KinesisStreamAsSource.");
    }
    if (kinesisSource && r.deliveryStreamEncryptionConfigurationInput() != null) {
      throw new KinesisException.InvalidArgument("DeliveryStreamEncryptionConfigurationInput is only applicable for "
          + "DirectPut delivery streams.");
    }
    Destination destination = destination(r);
    Encryption encryption = Encryption.DISABLED;
    if (r.deliveryStreamEncryptionConfigurationInput() != null) {
      requireKeyArn(r.deliveryStreamEncryptionConfigurationInput().keyType(),
          r.deliveryStreamEncryptionConfigurationInput().keyArn());
      encryption = new Encryption("ENABLED", r.deliveryStreamEncryptionConfigurationInput().keyType(),
          r.deliveryStreamEncryptionConfigurationInput().keyArn());
    }
    long now = firehose.registry().clock().millis();
    KinesisSource source = kinesisSource ? new KinesisSource(r.kinesisStreamSourceConfiguration(), now) : null;
    if (source != null) {
      String sourceArn = source.configuration().kinesisStreamArn();
      firehose.requireSourceStream(sourceArn);
      if (scope.principal() != null) { // the delivery stream reads the source on its creator's authority
        for (String read : SOURCE_READS) {
          kinesis.check(scope.principal(), read, RequestScope.parseStreamArn(sourceArn).arn());
        }
      }
    }
    List<Tag> tags = r.tags() == null ? List.of() : r.tags();
    DeliveryStreamMeta proposed = new DeliveryStreamMeta(key, DeliveryStreamStatus.CREATING, type, now, 0, 1,
        destination, source, r.directPutSourceConfiguration() == null ? null
        : r.directPutSourceConfiguration().throughputHintInMBs(), encryption, tags);
    return firehose.registry().create(proposed)
        .map(created -> new FirehoseResponses.CreateDeliveryStreamResponse(created.key().arn()));
  }

  private Destination destination(CreateDeliveryStreamRequest r) {
    int given = count(r.s3DestinationConfiguration(), r.extendedS3DestinationConfiguration(),
        r.httpEndpointDestinationConfiguration(), r.redshiftDestinationConfiguration(),
        r.elasticsearchDestinationConfiguration(), r.amazonopensearchserviceDestinationConfiguration(),
        r.splunkDestinationConfiguration(), r.amazonOpenSearchServerlessDestinationConfiguration(),
        r.snowflakeDestinationConfiguration(), r.icebergDestinationConfiguration());
    if (given != 1) {
      throw new KinesisException.InvalidArgument("Exactly one destination configuration is supported for a "
          + "Firehose");
    }
    if (r.mskSourceConfiguration() != null || r.databaseSourceConfiguration() != null) {
      throw new KinesisException.InvalidArgument("MSK and database sources are not supported by Millrace; use "
          + "DirectPut or KinesisStreamAsSource.");
    }
    DestinationRules.Capabilities can = firehose.capabilities();
    if (r.extendedS3DestinationConfiguration() != null) {
      return new Destination(DestinationRules.extendedS3(r.extendedS3DestinationConfiguration(), can), null);
    }
    if (r.s3DestinationConfiguration() != null) {
      return new Destination(DestinationRules.fromPlainS3(r.s3DestinationConfiguration(), can), null);
    }
    if (r.httpEndpointDestinationConfiguration() != null) {
      return new Destination(null, DestinationRules.httpEndpoint(r.httpEndpointDestinationConfiguration(), can));
    }
    if (r.redshiftDestinationConfiguration() != null) {
      return Destination.of(DestinationRules.redshift(r.redshiftDestinationConfiguration(), can));
    }
    if (r.amazonopensearchserviceDestinationConfiguration() != null) {
      return Destination.ofOpenSearch(DestinationRules.openSearch(
          r.amazonopensearchserviceDestinationConfiguration(), can), false);
    }
    if (r.elasticsearchDestinationConfiguration() != null) {
      return Destination.ofOpenSearch(DestinationRules.openSearch(r.elasticsearchDestinationConfiguration(), can),
          true);
    }
    if (r.splunkDestinationConfiguration() != null) {
      return Destination.of(DestinationRules.splunk(r.splunkDestinationConfiguration(), can));
    }
    throw new KinesisException.InvalidArgument("This destination is not supported by Millrace yet; the "
        + "destinations it serves are ExtendedS3 (or S3), HttpEndpoint, Redshift (into PostgreSQL), "
        + "AmazonOpenSearchService, Elasticsearch (into OpenSearch) and Splunk.");
  }

  private static int count(Object... configs) {
    int n = 0;
    for (Object c : configs) {
      n += c == null ? 0 : 1;
    }
    return n;
  }

  private Future<FirehoseResponses.ListDeliveryStreamsResponse> list(ListDeliveryStreamsRequest r,
                                                                     RequestScope scope) {
    int limit = r.limit() == null ? 10 : r.limit();
    List<String> names = new ArrayList<>();
    boolean more = false;
    for (DeliveryStreamMeta m : firehose.registry().list(scope.account(), scope.region(), r.deliveryStreamType())) {
      String name = m.key().name();
      if (r.exclusiveStartDeliveryStreamName() != null && name.compareTo(r.exclusiveStartDeliveryStreamName()) <= 0) {
        continue;
      }
      if (names.size() == limit) {
        more = true;
        break;
      }
      names.add(name);
    }
    return Future.succeededFuture(new FirehoseResponses.ListDeliveryStreamsResponse(names, more));
  }

  private Future<FirehoseResponses.ListTagsForDeliveryStreamResponse> listTags(ListTagsForDeliveryStreamRequest r,
                                                                               RequestScope scope) {
    DeliveryStreamMeta m = firehose.registry().require(key(scope, r.deliveryStreamName()));
    int limit = r.limit() == null ? 50 : r.limit();
    List<Tag> tags = new ArrayList<>();
    boolean more = false;
    for (Tag t : m.tags()) {
      if (r.exclusiveStartTagKey() != null && t.key().compareTo(r.exclusiveStartTagKey()) <= 0) {
        continue;
      }
      if (tags.size() == limit) {
        more = true;
        break;
      }
      tags.add(t);
    }
    return Future.succeededFuture(new FirehoseResponses.ListTagsForDeliveryStreamResponse(tags, more));
  }

  private Future<Responses.Empty> updateDestination(UpdateDestinationRequest r, RequestScope scope) {
    int given = count(r.s3DestinationUpdate(), r.extendedS3DestinationUpdate(), r.httpEndpointDestinationUpdate(),
        r.redshiftDestinationUpdate(), r.elasticsearchDestinationUpdate(),
        r.amazonopensearchserviceDestinationUpdate(), r.splunkDestinationUpdate(),
        r.amazonOpenSearchServerlessDestinationUpdate(), r.snowflakeDestinationUpdate(),
        r.icebergDestinationUpdate());
    if (given != 1) {
      throw new KinesisException.InvalidArgument("Exactly one destination update is supported for a Firehose");
    }
    DestinationRules.Capabilities can = firehose.capabilities();
    return firehose.registry().updateDestination(key(scope, r.deliveryStreamName()),
        r.currentDeliveryStreamVersionId(), r.destinationId(), current -> {
          if (r.extendedS3DestinationUpdate() != null) {
            return DestinationRules.update(current, r.extendedS3DestinationUpdate(), can);
          }
          if (r.s3DestinationUpdate() != null) {
            return DestinationRules.update(current, r.s3DestinationUpdate(), can);
          }
          if (r.httpEndpointDestinationUpdate() != null) {
            return DestinationRules.update(current, r.httpEndpointDestinationUpdate(), can);
          }
          if (r.redshiftDestinationUpdate() != null) {
            return DestinationRules.update(current, r.redshiftDestinationUpdate(), can);
          }
          if (r.amazonopensearchserviceDestinationUpdate() != null) {
            return DestinationRules.update(current, r.amazonopensearchserviceDestinationUpdate(), false, can);
          }
          if (r.elasticsearchDestinationUpdate() != null) {
            return DestinationRules.update(current, r.elasticsearchDestinationUpdate(), true, can);
          }
          if (r.splunkDestinationUpdate() != null) {
            return DestinationRules.update(current, r.splunkDestinationUpdate(), can);
          }
          throw new KinesisException.InvalidArgument("This destination is not supported by Millrace yet, so it "
              + "cannot be updated.");
        }).map(Responses.Empty.INSTANCE);
  }

  // ---- records ----

  /** The delivery of a stream that takes puts (ACTIVE, Direct PUT), or the error Firehose answers. */
  private DeliveryHandle takingPuts(DeliveryStreamKey key) {
    DeliveryStreamMeta m = firehose.registry().requireActive(key);
    if (!m.directPut()) {
      throw new KinesisException.InvalidArgument("This operation is not permitted on KinesisStreamAsSource "
          + "delivery stream type.");
    }
    DeliveryHandle delivery = firehose.deliveries().find(key);
    if (delivery == null) {
      throw DeliveryStreamRegistry.notFound(key);
    }
    return delivery;
  }

  private Future<FirehoseResponses.PutRecordResponse> putRecord(PutRecordRequest r, RequestScope scope) {
    DeliveryStreamKey key = key(scope, r.deliveryStreamName());
    DeliveryHandle delivery = takingPuts(key);
    boolean encrypted = firehose.registry().require(key).encryption().enabled();
    return delivery.put(List.of(r.record().data())).map(accepted ->
        new FirehoseResponses.PutRecordResponse(recordId(key, accepted, 0), encrypted));
  }

  private Future<FirehoseResponses.PutRecordBatchResponse> putRecordBatch(PutRecordBatchRequest r,
                                                                         RequestScope scope) {
    long bytes = 0;
    List<byte[]> data = new ArrayList<>(r.records().size());
    for (FirehoseRequests.Record record : r.records()) {
      bytes += record.data().length;
      data.add(record.data());
    }
    if (bytes > MAX_BATCH_BYTES) {
      throw new KinesisException.InvalidArgument("Records size exceeds 4 MB limit");
    }
    DeliveryStreamKey key = key(scope, r.deliveryStreamName());
    DeliveryHandle delivery = takingPuts(key);
    boolean encrypted = firehose.registry().require(key).encryption().enabled();
    return delivery.put(data).map(accepted -> {
      List<FirehoseResponses.PutRecordBatchResponseEntry> entries = new ArrayList<>(data.size());
      for (int i = 0; i < data.size(); i++) {
        entries.add(new FirehoseResponses.PutRecordBatchResponseEntry(recordId(key, accepted, i), null, null));
      }
      return new FirehoseResponses.PutRecordBatchResponse(0, encrypted, entries);
    }).recover(e -> {
      if (!(e instanceof KinesisException.FirehoseServiceUnavailable)) {
        return Future.failedFuture(e);
      }
      // A full buffer refuses the whole batch, each record with Firehose's per-record throttling answer.
      List<FirehoseResponses.PutRecordBatchResponseEntry> entries = new ArrayList<>(data.size());
      for (int i = 0; i < data.size(); i++) {
        entries.add(new FirehoseResponses.PutRecordBatchResponseEntry(null, "ServiceUnavailableException",
            "Slow down."));
      }
      return Future.succeededFuture(new FirehoseResponses.PutRecordBatchResponse(data.size(), encrypted, entries));
    });
  }

  /** An opaque, unique RecordId: the delivery stream's creation time and the record's buffer offset. */
  private String recordId(DeliveryStreamKey key, DeliveryStreamVerticle.Accepted accepted, int index) {
    long created = firehose.registry().find(key).map(DeliveryStreamMeta::createdMillis).orElse(0L);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).putLong(created).putLong(accepted.offsets()[index]);
    return Base64.getEncoder().encodeToString(b.array());
  }
}
