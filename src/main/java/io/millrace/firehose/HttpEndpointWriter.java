package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * Writes one batch for an HTTP endpoint destination into staging files, one request body per file, exactly as
 * Firehose sends it (protocol.md D.5):
 * <pre>{"requestId":"&lt;uuid&gt;","timestamp":&lt;epoch ms&gt;,"records":[{"data":"&lt;base64&gt;"},...]}</pre>
 * gzip-compressed when the destination's {@code RequestConfiguration.ContentEncoding} is {@code GZIP}. A request holds
 * at most 10,000 records (Firehose's limit) and 64 MiB of record data (Firehose's 64 MiB request limit, read as
 * record bytes before base64 and compression, as an HTTP endpoint's buffer may itself be 64 MB; a batch passes it by
 * one record at most); the batch goes on in a new request past either. The request id and timestamp are fixed when a request is started, so
 * every retry of a staged request sends the same bytes and the endpoint can deduplicate on the id.
 *
 * <p>Beside each body, an {@code .arrivals} file keeps each record's arrival time (8 bytes, big-endian epoch millis,
 * in record order): a request that finally fails becomes failure records (arrival time and data) read back with
 * {@link #readRecords}, with no need to read the buffer or run the processors again.
 *
 * <p>Memory stays small whatever the batch: records are streamed to the files through a Jackson generator.
 *
 * <p>Blocking and single-threaded: used on one worker task at a time. {@link #readRecords} is stateless.
 */
final class HttpEndpointWriter implements AutoCloseable {

  /** Firehose's most records per request. */
  static final int MAX_RECORDS_PER_REQUEST = 10_000;
  /** Firehose's most bytes of record data per request (the body limit, before base64 and compression). */
  static final long MAX_DATA_BYTES_PER_REQUEST = 64L * 1024 * 1024;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final int FILE_BUFFER_BYTES = 64 * 1024;

  /**
   * A finished request body, ready to be sent (and sent again, unchanged, on a retry).
   *
   * @param file                the body, as it goes on the wire (compressed when {@code gzip})
   * @param arrivals            the records' arrival times, for {@link #readRecords}
   * @param requestId           the id in the body, for the {@code X-Amz-Firehose-Request-Id} header
   * @param timestampMillis     the body's {@code timestamp}: when the request was staged
   * @param records             how many records it holds (1..10,000)
   * @param dataBytes           their bytes, before base64 and compression
   * @param bodyBytes           the file's size, the request's Content-Length
   * @param gzip                whether the body is gzip-compressed ({@code Content-Encoding: gzip})
   * @param oldestArrivalMillis the earliest arrival time of its records
   * @param newestArrivalMillis the latest arrival time of its records
   */
  record StagedRequest(Path file, Path arrivals, String requestId, long timestampMillis, int records, long dataBytes,
                       long bodyBytes, boolean gzip, long oldestArrivalMillis, long newestArrivalMillis) {

    /** Deletes the request's files (it was delivered, or its records were backed up). Blocking. */
    void delete() throws IOException {
      Files.deleteIfExists(file);
      Files.deleteIfExists(arrivals);
    }
  }

  /** Receives the records of a staged request, in order. */
  @FunctionalInterface
  interface RecordAction {
    void accept(FirehoseRecord record) throws IOException;
  }

  private static final class Open {
    final Path file;
    final Path arrivalsFile;
    final String requestId;
    final long timestampMillis;
    final JsonGenerator body;
    final DataOutputStream arrivals;
    int records;
    long dataBytes;
    long oldestArrival = Long.MAX_VALUE;
    long newestArrival = Long.MIN_VALUE;

    Open(Path file, Path arrivalsFile, String requestId, long timestampMillis, JsonGenerator body,
         DataOutputStream arrivals) {
      this.file = file;
      this.arrivalsFile = arrivalsFile;
      this.requestId = requestId;
      this.timestampMillis = timestampMillis;
      this.body = body;
      this.arrivals = arrivals;
    }
  }

  private final boolean gzip;
  private final Path staging;
  private final String batchId;
  private final Clock clock;
  private final int maxRecords;
  private final long maxDataBytes;
  private final List<StagedRequest> done = new ArrayList<>();
  private Open open;
  private int started;

  /**
   * @param config  the destination (its RequestConfiguration.ContentEncoding chooses gzip)
   * @param staging the directory for this writer's files (the delivery stream's staging directory)
   * @param batchId names this batch's files there
   * @param clock   gives each request its timestamp
   */
  HttpEndpointWriter(HttpEndpointDestinationConfiguration config, Path staging, String batchId, Clock clock) {
    this(config, staging, batchId, clock, MAX_RECORDS_PER_REQUEST, MAX_DATA_BYTES_PER_REQUEST);
  }

  /** With other request limits (tests). */
  HttpEndpointWriter(HttpEndpointDestinationConfiguration config, Path staging, String batchId, Clock clock,
                     int maxRecords, long maxDataBytes) {
    this.gzip = gzip(config);
    this.staging = staging;
    this.batchId = batchId;
    this.clock = clock;
    this.maxRecords = maxRecords;
    this.maxDataBytes = maxDataBytes;
  }

  /** Whether the destination's requests are gzip-compressed. */
  static boolean gzip(HttpEndpointDestinationConfiguration config) {
    return config.requestConfiguration() != null && "GZIP".equals(config.requestConfiguration().contentEncoding());
  }

  /** Appends records (in order) to the current request, starting a new one whenever it is full. */
  void add(List<FirehoseRecord> records) throws IOException {
    for (FirehoseRecord r : records) {
      byte[] data = r.data();
      if (open != null && (open.records == maxRecords || open.dataBytes + data.length > maxDataBytes)) {
        done.add(end(open));
        open = null;
      }
      if (open == null) {
        open = start();
      }
      open.body.writeStartObject();
      open.body.writeFieldName("data");
      open.body.writeBinary(data);
      open.body.writeEndObject();
      open.arrivals.writeLong(r.arrivalMillis());
      open.records++;
      open.dataBytes += data.length;
      open.oldestArrival = Math.min(open.oldestArrival, r.arrivalMillis());
      open.newestArrival = Math.max(open.newestArrival, r.arrivalMillis());
    }
  }

  /** Closes the files; the staged requests, in record order (none if no record was added). */
  List<StagedRequest> finish() throws IOException {
    if (open != null) {
      done.add(end(open));
      open = null;
    }
    List<StagedRequest> out = List.copyOf(done);
    done.clear();
    return out;
  }

  /** Closes and deletes every request not handed out by {@link #finish} (a batch given up). */
  @Override
  public void close() {
    if (open != null) {
      try {
        open.body.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      try {
        open.arrivals.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      deleteQuietly(open.file);
      deleteQuietly(open.arrivalsFile);
      open = null;
    }
    for (StagedRequest r : done) {
      deleteQuietly(r.file());
      deleteQuietly(r.arrivals());
    }
    done.clear();
  }

  /**
   * Reads a staged request's records back, in order, with their arrival times: for the S3 backup of a request the
   * endpoint did not take. Blocking; holds one record in memory at a time.
   */
  static void readRecords(StagedRequest request, RecordAction action) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(request.file()), FILE_BUFFER_BYTES);
         InputStream body = request.gzip() ? new GZIPInputStream(raw, FILE_BUFFER_BYTES) : raw;
         JsonParser parser = JSON.createParser(body);
         DataInputStream arrivals = new DataInputStream(new BufferedInputStream(
             Files.newInputStream(request.arrivals()), FILE_BUFFER_BYTES))) {
      expect(parser.nextToken(), JsonToken.START_OBJECT, request);
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (!field.equals("records")) {
          parser.skipChildren();
          continue;
        }
        expect(value, JsonToken.START_ARRAY, request);
        while (parser.nextToken() == JsonToken.START_OBJECT) {
          byte[] data = null;
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            if (parser.currentName().equals("data")) {
              parser.nextToken();
              data = parser.getBinaryValue();
            } else {
              parser.nextToken();
              parser.skipChildren();
            }
          }
          if (data == null) {
            throw new IOException("A record of staged request " + request.file() + " has no data");
          }
          action.accept(new FirehoseRecord(data, arrivals.readLong()));
        }
      }
    }
  }

  private static void expect(JsonToken actual, JsonToken expected, StagedRequest request) throws IOException {
    if (actual != expected) {
      throw new IOException("Staged request " + request.file() + " is not a Firehose request body: found " + actual
          + " where " + expected + " belongs");
    }
  }

  private Open start() throws IOException {
    String name = batchId + "-http-" + started++;
    Path file = staging.resolve(name + (gzip ? ".json.gz" : ".json"));
    Path arrivalsFile = staging.resolve(name + ".arrivals");
    String requestId = UUID.randomUUID().toString();
    long timestamp = clock.millis();
    OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), FILE_BUFFER_BYTES);
    JsonGenerator body = JSON.createGenerator(gzip ? Compression.GZIP.wrap(out) : out);
    try {
      body.writeStartObject();
      body.writeStringField("requestId", requestId);
      body.writeNumberField("timestamp", timestamp);
      body.writeArrayFieldStart("records");
      DataOutputStream arrivals = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(arrivalsFile),
          FILE_BUFFER_BYTES));
      return new Open(file, arrivalsFile, requestId, timestamp, body, arrivals);
    } catch (IOException e) {
      body.close();
      deleteQuietly(file);
      throw e;
    }
  }

  private StagedRequest end(Open o) throws IOException {
    o.body.writeEndArray();
    o.body.writeEndObject();
    o.body.close();
    o.arrivals.close();
    return new StagedRequest(o.file, o.arrivalsFile, o.requestId, o.timestampMillis, o.records, o.dataBytes,
        Files.size(o.file), gzip, o.oldestArrival, o.newestArrival);
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // staging is emptied at the next start
    }
  }
}
