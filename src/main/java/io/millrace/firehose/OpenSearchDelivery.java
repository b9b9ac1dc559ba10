package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.FirehoseConfig.OpenSearchDestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a batch to an OpenSearch (or Elasticsearch) destination with {@code _bulk} requests, one per staged
 * {@link RecordFile}: each record is a document of the index {@code IndexName} with the rotation suffix of its
 * arrival time (UTC: {@code -yyyy-MM-dd-HH} for OneHour, {@code -yyyy-MM-dd} for OneDay, {@code -yyyy-'w'ww}, the ISO
 * week, for OneWeek, {@code -yyyy-MM} for OneMonth), {@code _type} TypeName where one is given.
 *
 * <p><b>Ids.</b> With DocumentIdOptions FIREHOSE_DEFAULT each document gets an id made of the delivery stream's
 * creation time, the buffer offset of the batch's first record and the record's ordinal in the batch: the same id
 * however often the batch is sent, so a batch sent again after a crash or a lost answer overwrites its documents
 * rather than doubling them. NO_DOCUMENT_ID lets OpenSearch choose (then a batch sent again is indexed again).
 *
 * <p><b>Failures.</b> A request that fails as a whole (no connection, a 429 or 5xx, a timeout) is sent again; when
 * it succeeds, the documents OpenSearch refused (the {@code items} with an {@code error}) are sent again, alone, on
 * the same schedule ({@link Retries}: back-off with jitter, for RetryOptions.DurationInSeconds). A record that is not
 * a JSON document is refused without being sent. What is still refused when the time is up goes to the S3
 * configuration's bucket under {@code AmazonOpenSearchService-failed/} ({@code elasticsearch-failed/}) as Firehose's
 * failure records, with {@code esDocumentId}, {@code esIndexName} and the reason OpenSearch gave.
 *
 * <p>Memory: one request's documents (a staged file holds at most {@link #MAX_REQUEST_BYTES}) at a time.
 * Used on the delivery stream's context; file work runs on its worker.
 */
final class OpenSearchDelivery {

  private static final Logger LOG = LoggerFactory.getLogger(OpenSearchDelivery.class);

  /** The most record bytes in one {@code _bulk} request (a batch of more goes in several). */
  static final long MAX_REQUEST_BYTES = 4L * 1024 * 1024;
  /** The most of an error answer kept in each failure record. */
  static final int MAX_REASON_CHARS = 1024;
  /** The most documents in one {@code _bulk} request. */
  static final int MAX_REQUEST_DOCUMENTS = 10_000;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
  private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd-HH").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
  /** The ISO week and its year (2016-02-25 is in 2016-w08, 2021-01-01 in 2020-w53), whatever the locale. */
  private static final DateTimeFormatter WEEK = new DateTimeFormatterBuilder()
      .appendValue(IsoFields.WEEK_BASED_YEAR, 4).appendLiteral("-w")
      .appendValue(IsoFields.WEEK_OF_WEEK_BASED_YEAR, 2).toFormatter().withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

  /** One document of a request, and why it failed last (null until it does). */
  static final class Doc {
    final FirehoseRecord record;
    final String index;
    final String id;
    final long ordinal;
    byte[] source;
    String errorCode;
    String errorMessage;

    Doc(FirehoseRecord record, String index, String id, long ordinal) {
      this.record = record;
      this.index = index;
      this.id = id;
      this.ordinal = ordinal;
    }
  }

  private final Context context;
  private final WorkerExecutor worker;
  private final DestinationHttp http;
  private final OpenSearchDestinationConfiguration config;
  private final DestinationKind kind;
  private final DeliveryStreamMeta meta;
  private final Clock clock;
  private final DeliveryStats stats;
  private final RequestPermits permits;
  /** {@code _type} of each action: TypeName, for Elasticsearch destinations only (OpenSearch 2 refuses types). */
  private final String typeName;

  /** @param endpoint the cluster's URL: ClusterEndpoint, or the one configured for DomainARN */
  OpenSearchDelivery(Vertx vertx, Context context, WorkerExecutor worker, DeliveryStreamMeta meta, String endpoint,
                     long requestTimeoutMillis, RequestPermits permits, Clock clock, DeliveryStats stats) {
    this.permits = permits;
    this.context = context;
    this.worker = worker;
    this.meta = meta;
    this.config = meta.destination().openSearch();
    this.kind = meta.destination().kind();
    this.typeName = kind == DestinationKind.ELASTICSEARCH ? config.typeName() : null;
    this.http = new DestinationHttp(vertx, endpoint, requestTimeoutMillis);
    this.clock = clock;
    this.stats = stats;
  }

  /** The index a record arriving at {@code arrivalMillis} goes to. */
  static String indexName(String indexName, String rotation, long arrivalMillis) {
    Instant t = Instant.ofEpochMilli(arrivalMillis);
    return switch (rotation == null ? "NoRotation" : rotation) {
      case "OneHour" -> indexName + "-" + HOUR.format(t);
      case "OneDay" -> indexName + "-" + DAY.format(t);
      case "OneWeek" -> indexName + "-" + WEEK.format(t);
      case "OneMonth" -> indexName + "-" + MONTH.format(t);
      default -> indexName;
    };
  }

  /** A document's id: the same for the same record of the same batch, however often it is sent. */
  static String documentId(long streamCreatedMillis, long batchFrom, long ordinal) {
    return Long.toString(streamCreatedMillis, 36) + "-" + batchFrom + "-" + ordinal;
  }

  /**
   * Sends the batch's files one by one; completes with the failure objects of what OpenSearch still refused when
   * the retry time was up (to be stored before the batch is committed), written file by file so memory holds one
   * request's documents. Fails with {@link Retries.Superseded} once {@code superseded} says the configuration
   * changed (the batch is staged again). {@code track} hears each retrying attempt, so that stopping can cancel it.
   */
  Future<List<StagedObject>> deliver(List<RecordFile.Staged> files, long batchFrom, Path staging, String batchId,
                                     BooleanSupplier superseded, Consumer<Retries.Attempts<?>> track) {
    ErrorRecordWriter errors = new ErrorRecordWriter(meta.key().name(), meta.versionId(),
        ErrorRecordWriter.Target.of(config.s3Configuration()), kind.failedOutputType(), staging, batchId);
    Future<Void> chain = Future.succeededFuture();
    for (RecordFile.Staged file : files) {
      chain = chain.compose(v -> deliverFile(file, batchFrom, superseded, track))
          .compose(left -> left.isEmpty() ? Future.succeededFuture()
              : worker.executeBlocking(() -> writeFailures(file, batchFrom, left, errors), true));
    }
    return chain.compose(v -> worker.executeBlocking(errors::finish, true),
        e -> worker.executeBlocking(() -> {
          errors.close();
          return null;
        }, true).transform(ignored -> Future.failedFuture(e)));
  }

  /** Why a document is not indexed yet: all that is kept of it between attempts (the file has the rest). */
  private static final class Pending {
    String errorCode = "500";
    String errorMessage = "not sent";
    int attempts;
    /** Not a JSON object: never sent. */
    boolean refused;
  }

  /**
   * Sends one file's documents until OpenSearch has indexed them all or the retry time is up; the ordinals still not
   * indexed then, with why. Each attempt reads the file again and builds its body under a permit, so between
   * attempts memory holds only the small {@link Pending} of each document left.
   */
  private Future<Map<Long, Pending>> deliverFile(RecordFile.Staged file, long batchFrom, BooleanSupplier superseded,
                                                 Consumer<Retries.Attempts<?>> track) {
    Map<Long, Pending> left = new TreeMap<>();
    for (long o = file.firstOrdinal(); o < file.firstOrdinal() + file.records(); o++) {
      left.put(o, new Pending());
    }
    long[] indexedBytes = {0};
    Retries.Attempts<Void> attempts = Retries.withBackOff(context, () -> permits.<Void>with(() -> {
      if (superseded.getAsBoolean()) {
        return Future.failedFuture(new Retries.Superseded("the destination's configuration changed"));
      }
      return worker.executeBlocking(() -> documents(file, batchFrom, left), true)
          .compose(docs -> docs.isEmpty() ? Future.succeededFuture(List.<Doc>of()) : bulk(docs)
              .onComplete(ar -> settle(docs, ar.succeeded() ? ar.result() : docs, left, indexedBytes)))
          .mapEmpty();
    }).compose(v -> left.values().stream().anyMatch(p -> !p.refused)
        ? Future.failedFuture(new DocumentsRefused(left)) : Future.succeededFuture()),
        config.retryOptions().durationInSeconds() * 1000L, stats.failing(e -> {
          if (!(e instanceof Retries.Superseded)) {
            LOG.warn("Delivery stream {} could not index {} documents in {} ({}); retrying", meta.key().arn(),
                left.size(), http.describe(), e.getMessage());
          }
        }));
    track.accept(attempts);
    return attempts.result().transform(ar -> {
      if (ar.failed() && ar.cause() instanceof Retries.Superseded) {
        return Future.failedFuture(ar.cause());
      }
      int indexed = file.records() - left.size();
      if (indexed > 0) {
        stats.destinationSuccess.incrementAndGet();
        stats.delivered(clock.millis());
        stats.destinationRecords.addAndGet(indexed);
        stats.destinationBytes.addAndGet(indexedBytes[0]);
      }
      return Future.succeededFuture(left);
    });
  }

  /** The documents of the file still to send; records that are not one JSON object are refused here, once. */
  private List<Doc> documents(RecordFile.Staged file, long batchFrom, Map<Long, Pending> left) throws IOException {
    boolean ids = !"NO_DOCUMENT_ID".equals(config.documentIdOptions().defaultDocumentIdFormat());
    List<Doc> docs = new ArrayList<>();
    for (RecordFile.Entry e : RecordFile.read(file)) {
      Pending pending = left.get(e.ordinal());
      if (pending == null || pending.refused) {
        continue;
      }
      Doc d = doc(e, batchFrom, ids);
      d.source = source(e.record().data(), d);
      if (d.source == null) {
        pending.refused = true;
        pending.errorCode = d.errorCode;
        pending.errorMessage = d.errorMessage;
        pending.attempts = 1;
        continue;
      }
      docs.add(d);
    }
    return docs;
  }

  private Doc doc(RecordFile.Entry e, long batchFrom, boolean ids) {
    return new Doc(e.record(), indexName(config.indexName(), config.indexRotationPeriod(),
        e.record().arrivalMillis()), ids ? documentId(meta.createdMillis(), batchFrom, e.ordinal()) : null,
        e.ordinal());
  }

  /** After an attempt: what was indexed leaves {@code left}; what was refused keeps its reason. */
  private static void settle(List<Doc> sent, List<Doc> refused, Map<Long, Pending> left, long[] indexedBytes) {
    Set<Long> notIndexed = new HashSet<>();
    for (Doc d : refused) {
      notIndexed.add(d.ordinal);
      Pending p = left.get(d.ordinal);
      p.errorCode = d.errorCode;
      p.errorMessage = d.errorMessage;
    }
    for (Doc d : sent) {
      Pending p = left.get(d.ordinal);
      p.attempts++;
      if (!notIndexed.contains(d.ordinal)) {
        left.remove(d.ordinal);
        indexedBytes[0] += d.record.data().length;
      }
    }
  }

  /** The failure of an attempt that left documents refused: they are sent again, alone. */
  private static final class DocumentsRefused extends RuntimeException {
    DocumentsRefused(Map<Long, Pending> left) {
      super(left.size() + " documents not indexed, the first: " + left.values().iterator().next().errorMessage,
          null, false, false);
    }
  }

  /** The record as one line of a bulk body, or null (the record is refused) if it is not a JSON object. */
  static byte[] source(byte[] data, Doc d) {
    try (JsonParser p = JSON.createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        d.errorCode = "400";
        d.errorMessage = "The record is not a JSON object, so it cannot be indexed as a document.";
        return null;
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        d.errorCode = "400";
        d.errorMessage = "The record holds more than one JSON value; a document is one JSON object.";
        return null;
      }
    } catch (JsonProcessingException e) {
      d.errorCode = "400";
      d.errorMessage = "The record is not JSON: " + e.getOriginalMessage();
      return null;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // The document as it was written (numbers keep their digits), on one line: a line break in valid JSON is only
    // ever whitespace between tokens, so a space stands for it without changing the document.
    int end = data.length;
    while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' '
        || data[end - 1] == '\t')) {
      end--;
    }
    byte[] line = java.util.Arrays.copyOf(data, end);
    for (int i = 0; i < line.length; i++) {
      if (line[i] == '\n' || line[i] == '\r') {
        line[i] = ' ';
      }
    }
    return line;
  }

  /**
   * One {@code _bulk} request; completes with the documents OpenSearch refused (empty: all indexed). The body is
   * built and the answer read on the worker: megabytes of JSON are no work for an event loop.
   */
  private Future<List<Doc>> bulk(List<Doc> docs) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("Content-Type", "application/x-ndjson");
    return worker.executeBlocking(() -> body(docs), true).compose(body -> http.post("/_bulk", headers, body))
        .compose(answer -> {
          if (answer.status() / 100 != 2) {
            String whole = answer.body().toString(StandardCharsets.UTF_8);
            String reason = whole.length() > MAX_REASON_CHARS ? whole.substring(0, MAX_REASON_CHARS) + "..." : whole;
            for (Doc d : docs) {
              d.errorCode = String.valueOf(answer.status());
              d.errorMessage = reason;
            }
            return Future.failedFuture(new IllegalStateException("_bulk answered " + answer.status() + ": "
                + reason));
          }
          return worker.executeBlocking(() -> refused(docs, answer.body()), true);
        }, e -> {
          for (Doc d : docs) {
            d.errorCode = "OS.ConnectionFailed";
            d.errorMessage = "Could not reach " + http.describe() + ": " + e.getMessage();
          }
          return Future.failedFuture(e);
        });
  }

  /** The NDJSON body of a {@code _bulk} request: an {@code index} action and the document, per document. */
  private Buffer body(List<Doc> docs) throws IOException {
    Buffer body = Buffer.buffer((int) Math.min(Integer.MAX_VALUE, MAX_REQUEST_BYTES + docs.size() * 96L));
    for (Doc d : docs) {
      ByteArrayOutputStream action = new ByteArrayOutputStream(96);
      try (JsonGenerator g = JSON.createGenerator(action)) {
        g.writeStartObject();
        g.writeObjectFieldStart("index");
        g.writeStringField("_index", d.index);
        if (typeName != null) {
          g.writeStringField("_type", typeName);
        }
        if (d.id != null) {
          g.writeStringField("_id", d.id);
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      body.appendBytes(action.toByteArray()).appendByte((byte) '\n').appendBytes(d.source).appendByte((byte) '\n');
    }
    return body;
  }


  /** The documents a bulk answer's {@code items} refused, in order. */
  private static List<Doc> refused(List<Doc> docs, Buffer answer) {
    JsonNode root;
    try {
      root = MAPPER.readTree(answer.getBytes());
    } catch (IOException e) {
      throw new IllegalStateException("The _bulk answer is not JSON: " + e.getMessage(), e);
    }
    if (!root.path("errors").asBoolean(false)) {
      return List.of();
    }
    JsonNode items = root.path("items");
    List<Doc> left = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      JsonNode result = items.path(i).elements().hasNext() ? items.path(i).elements().next() : null;
      if (result == null) {
        Doc d = docs.get(i);
        d.errorCode = "500";
        d.errorMessage = "The _bulk answer has no item for this document.";
        left.add(d);
        continue;
      }
      int status = result.path("status").asInt(500);
      if (status / 100 != 2) {
        Doc d = docs.get(i);
        d.errorCode = String.valueOf(status);
        JsonNode error = result.path("error");
        d.errorMessage = error.isMissingNode() ? "status " + status : error.toString();
        left.add(d);
      }
    }
    return left;
  }

  private Void writeFailures(RecordFile.Staged file, long batchFrom, Map<Long, Pending> failed,
                             ErrorRecordWriter errors) throws IOException {
    boolean ids = !"NO_DOCUMENT_ID".equals(config.documentIdOptions().defaultDocumentIdFormat());
    long now = clock.millis();
    for (RecordFile.Entry e : RecordFile.read(file)) {
      Pending p = failed.get(e.ordinal());
      if (p == null) {
        continue;
      }
      Doc d = doc(e, batchFrom, ids);
      Map<String, String> extras = new LinkedHashMap<>();
      if (d.id != null) {
        extras.put("esDocumentId", d.id);
      }
      extras.put("esIndexName", d.index);
      if (typeName != null) {
        extras.put("esTypeName", typeName);
      }
      errors.add(e.record(), new ErrorRecordWriter.Failure(p.errorCode, p.errorMessage, Math.max(1, p.attempts), now,
          null), extras);
    }
    return null;
  }

  Future<Void> close() {
    return http.close();
  }
}
