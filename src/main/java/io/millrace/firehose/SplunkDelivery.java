package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.FirehoseConfig.SplunkDestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a batch to a Splunk HTTP Event Collector, one request per staged {@link RecordFile}, with indexer
 * acknowledgement as Firehose uses it:
 * <ul>
 *   <li>HECEndpointType {@code Raw}: the records, concatenated as they are, to {@code /services/collector/raw};</li>
 *   <li>{@code Event}: one HEC event per record to {@code /services/collector/event}: a record that is already a JSON
 *       object with an {@code event} member (formatted by a Lambda processor, say) goes as it is; any other record
 *       becomes {@code {"time":<arrival, epoch seconds>,"event":<the record>}}, the record as JSON where it is JSON
 *       and as a string otherwise;</li>
 *   <li>every request carries {@code Authorization: Splunk <HECToken>} and the delivery's channel
 *       ({@code X-Splunk-Request-Channel}, a UUID per delivery stream configuration); the collector answers with an
 *       {@code ackId}, and the delivery asks {@code /services/collector/ack} about it every second until it is
 *       acknowledged or HECAcknowledgmentTimeoutInSeconds has passed (capped by the server's
 *       {@code hecAckTimeoutMaxMillis}).</li>
 * </ul>
 * A request refused, unanswered or unacknowledged is sent again ({@link Retries}, for RetryOptions.DurationInSeconds;
 * Splunk may then hold some events twice, as with Firehose: at least once). Its records still undelivered when the
 * time is up go to the S3 configuration's bucket under {@code splunk-failed/}, as Firehose's failure records with
 * Firehose's error codes ({@code Splunk.InvalidToken}, {@code Splunk.AckTimeout}, {@code Splunk.ServerError}, ...) and
 * an {@code EventId}.
 *
 * <p>Memory: one request body (a staged file holds at most {@link #MAX_REQUEST_BYTES}) at a time, built for each
 * attempt and sent under one of the server's {@link RequestPermits} (given back before the acknowledgement wait). Used on the delivery stream's context; file work runs on
 * its worker.
 */
final class SplunkDelivery {

  private static final Logger LOG = LoggerFactory.getLogger(SplunkDelivery.class);

  /** The most record bytes in one request (Splunk's buffering hints allow at most 5 MiB a batch). */
  static final long MAX_REQUEST_BYTES = 1024L * 1024;
  static final int MAX_REQUEST_EVENTS = 10_000;
  static final long ACK_POLL_MILLIS = 1000;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  /** A failed attempt, with the error code and message of Firehose's failure record. */
  static final class SplunkException extends RuntimeException {
    final String errorCode;

    SplunkException(String errorCode, String message) {
      super(message, null, false, false);
      this.errorCode = errorCode;
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final WorkerExecutor worker;
  private final DestinationHttp http;
  private final SplunkDestinationConfiguration config;
  private final DeliveryStreamMeta meta;
  private final String channel = UUID.randomUUID().toString();
  private final long ackTimeoutMillis;
  private final Clock clock;
  private final DeliveryStats stats;
  private final RequestPermits permits;

  SplunkDelivery(Vertx vertx, Context context, WorkerExecutor worker, DeliveryStreamMeta meta,
                 long requestTimeoutMillis, long ackTimeoutMaxMillis, RequestPermits permits, Clock clock,
                 DeliveryStats stats) {
    this.permits = permits;
    this.vertx = vertx;
    this.context = context;
    this.worker = worker;
    this.meta = meta;
    this.config = meta.destination().splunk();
    this.http = new DestinationHttp(vertx, config.hecEndpoint(), requestTimeoutMillis);
    long ack = config.hecAcknowledgmentTimeoutInSeconds() * 1000L;
    this.ackTimeoutMillis = ackTimeoutMaxMillis > 0 ? Math.min(ack, ackTimeoutMaxMillis) : ack;
    this.clock = clock;
    this.stats = stats;
  }

  /**
   * Sends the batch's files one by one; completes with the failure objects of the records still undelivered when
   * the retry time was up. Fails with {@link Retries.Superseded} once {@code superseded} says the configuration
   * changed (the batch is staged again). {@code track} hears each retrying attempt, so that stopping can cancel it.
   */
  Future<List<StagedObject>> deliver(List<RecordFile.Staged> files, long batchFrom, Path staging, String batchId,
                                     BooleanSupplier superseded, Consumer<Retries.Attempts<?>> track) {
    ErrorRecordWriter.Target target = ErrorRecordWriter.Target.of(config.s3Configuration());
    ErrorRecordWriter errors = new ErrorRecordWriter(meta.key().name(), meta.versionId(), target,
        DestinationKind.SPLUNK.failedOutputType(), staging, batchId);
    Future<Void> chain = Future.succeededFuture();
    for (RecordFile.Staged file : files) {
      chain = chain.compose(v -> deliverFile(file, batchFrom, errors, superseded, track));
    }
    return chain.compose(v -> worker.executeBlocking(errors::finish, true),
        e -> worker.executeBlocking(() -> {
          errors.close();
          return null;
        }, true).transform(ignored -> Future.failedFuture(e)));
  }

  private Future<Void> deliverFile(RecordFile.Staged file, long batchFrom, ErrorRecordWriter errors,
                                   BooleanSupplier superseded, Consumer<Retries.Attempts<?>> track) {
    boolean raw = "Raw".equals(config.hecEndpointType());
    int[] attempts = {0};
    SplunkException[] last = {null};
    Retries.Attempts<Void> sending = Retries.withBackOff(context, () -> {
      if (superseded.getAsBoolean()) {
        return Future.failedFuture(new Retries.Superseded("the destination's configuration changed"));
      }
      attempts[0]++;
      // The body is built and sent under a permit; the acknowledgement is awaited without it (nothing in memory).
      return permits.with(() -> superseded.getAsBoolean()
              ? Future.failedFuture(new Retries.Superseded("the destination's configuration changed"))
              : worker.executeBlocking(() -> body(RecordFile.read(file), raw), true).compose(body -> post(body, raw)))
          .compose(ackId -> awaitAck(ackId, clock.millis() + ackTimeoutMillis, superseded));
    }, config.retryOptions().durationInSeconds() * 1000L, stats.failing(e -> {
      if (e instanceof Retries.Superseded) {
        return;
      }
      last[0] = e instanceof SplunkException s ? s : new SplunkException("Splunk.ConnectionTimeout",
          "Could not reach " + http.describe() + ": " + e.getMessage());
      LOG.warn("Delivery stream {} could not deliver {} events to {} ({}: {}); retrying", meta.key().arn(),
          file.records(), http.describe(), last[0].errorCode, last[0].getMessage());
    }));
    track.accept(sending);
    return sending.result().transform(ar -> {
      if (ar.failed() && ar.cause() instanceof Retries.Superseded) {
        return Future.failedFuture(ar.cause());
      }
      if (ar.succeeded()) {
        stats.destinationSuccess.incrementAndGet();
        stats.delivered(clock.millis());
        stats.destinationRecords.addAndGet(file.records());
        stats.destinationBytes.addAndGet(file.dataBytes());
        return Future.succeededFuture();
      }
      SplunkException why = last[0] != null ? last[0] : new SplunkException("Splunk.ServerError",
          ar.cause().getMessage());
      ErrorRecordWriter.Failure failure = new ErrorRecordWriter.Failure(why.errorCode, why.getMessage(),
          Math.max(1, attempts[0]), clock.millis(), null);
      return worker.executeBlocking(() -> {
        for (RecordFile.Entry e : RecordFile.read(file)) {
          errors.add(e.record(), failure, Map.of("EventId",
              OpenSearchDelivery.documentId(meta.createdMillis(), batchFrom, e.ordinal())));
        }
        return null;
      }, true);
    });
  }

  /** The request body: the records as they are (Raw), or one HEC event per record (Event). */
  static Buffer body(List<RecordFile.Entry> entries, boolean raw) throws IOException {
    Buffer body = Buffer.buffer();
    if (raw) {
      entries.forEach(e -> body.appendBytes(e.record().data()));
      return body;
    }
    OutputStream out = new OutputStream() {
      @Override
      public void write(int b) {
        body.appendByte((byte) b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        body.appendBytes(b, off, len);
      }
    };
    for (RecordFile.Entry e : entries) {
      byte[] data = e.record().data();
      JsonNode parsed = parse(data);
      if (parsed != null && parsed.isObject() && parsed.has("event")) {
        MAPPER.writeValue(out, parsed);
        continue;
      }
      try (JsonGenerator g = JSON.createGenerator(out)) {
        g.writeStartObject();
        g.writeNumberField("time", e.record().arrivalMillis() / 1000.0);
        g.writeFieldName("event");
        if (parsed != null) {
          MAPPER.writeTree(g, parsed);
        } else {
          g.writeString(new String(data, StandardCharsets.UTF_8));
        }
        g.writeEndObject();
      }
    }
    return body;
  }

  /** The record as one JSON value, or null if it is not one. */
  private static JsonNode parse(byte[] data) {
    try (JsonParser p = JSON.createParser(data)) {
      JsonNode node = MAPPER.readTree(p);
      return node != null && p.nextToken() == null ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One request; its ackId. */
  private Future<Long> post(Buffer body, boolean raw) {
    MultiMap headers = headers();
    return http.post(raw ? "/services/collector/raw" : "/services/collector/event", headers, body)
        .compose(answer -> {
          JsonNode json = json(answer.body());
          if (answer.status() != 200) {
            return Future.failedFuture(refusal(answer.status(), json, answer.body()));
          }
          JsonNode ackId = json.path("ackId");
          if (!ackId.canConvertToLong()) {
            return Future.failedFuture(new SplunkException("Splunk.DisabledAck", "The HEC token does not have indexer "
                + "acknowledgement enabled; Firehose needs it (enable 'Indexer acknowledgement' on the token)."));
          }
          return Future.succeededFuture(ackId.asLong());
        });
  }

  private Future<Void> awaitAck(long ackId, long deadline, BooleanSupplier superseded) {
    Promise<Void> acked = Promise.promise();
    poll(ackId, deadline, superseded, acked);
    return acked.future();
  }

  private void poll(long ackId, long deadline, BooleanSupplier superseded, Promise<Void> acked) {
    if (superseded.getAsBoolean()) {
      acked.fail(new Retries.Superseded("the destination's configuration changed"));
      return;
    }
    Buffer query = Buffer.buffer("{\"acks\":[" + ackId + "]}");
    http.post("/services/collector/ack", headers(), query).onComplete(ar -> {
      if (ar.succeeded() && ar.result().status() == 200
          && json(ar.result().body()).path("acks").path(String.valueOf(ackId)).asBoolean(false)) {
        acked.complete();
        return;
      }
      if (ar.succeeded() && ar.result().status() != 200) {
        acked.fail(refusal(ar.result().status(), json(ar.result().body()), ar.result().body()));
        return;
      }
      if (clock.millis() + ACK_POLL_MILLIS > deadline) {
        acked.fail(new SplunkException("Splunk.AckTimeout", "Did not receive an acknowledgement from HEC before the "
            + "HEC acknowledgement timeout expired (" + ackTimeoutMillis / 1000 + " s). Despite the acknowledgement "
            + "timeout, it's possible the data was indexed successfully in Splunk; Firehose sends it again."));
        return;
      }
      vertx.setTimer(ACK_POLL_MILLIS, id -> poll(ackId, deadline, superseded, acked));
    });
  }

  private MultiMap headers() {
    return MultiMap.caseInsensitiveMultiMap().set("Authorization", "Splunk " + config.hecToken())
        .set("X-Splunk-Request-Channel", channel).set("Content-Type", "application/json");
  }

  private static JsonNode json(Buffer body) {
    try {
      JsonNode node = MAPPER.readTree(body.getBytes());
      return node == null ? MAPPER.nullNode() : node;
    } catch (IOException e) {
      return MAPPER.nullNode();
    }
  }

  /** Firehose's error code for an HEC refusal. */
  static SplunkException refusal(int status, JsonNode json, Buffer body) {
    int code = json.path("code").asInt(-1);
    String text = json.path("text").asText(body.toString(StandardCharsets.UTF_8));
    String message = "HEC answered " + status + (code >= 0 ? " code " + code : "") + ": " + text;
    String errorCode = switch (code) {
      case 1 -> "Splunk.DisabledToken";
      case 2, 3, 4 -> "Splunk.InvalidToken";
      case 5, 6, 12, 13 -> "Splunk.InvalidDataFormat";
      case 7 -> "Splunk.InvalidIndex";
      case 14 -> "Splunk.DisabledAck";
      default -> status == 404 ? "Splunk.URLNotFound" : status == 401 || status == 403 ? "Splunk.InvalidToken"
          : "Splunk.ServerError";
    };
    return new SplunkException(errorCode, message);
  }

  Future<Void> close() {
    return http.close();
  }
}
