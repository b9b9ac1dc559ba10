package millrace.load;

import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** Shared set-up for the simulations: where Millrace is, how to call it outside Gatling, and payloads. */
final class Kinesis {

  static final String URL = System.getProperty("millrace.url", "http://127.0.0.1:4567");
  static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKIDLOADTEST/20260101/us-east-1/kinesis/aws4_request, "
      + "SignedHeaders=host;x-amz-date, Signature=0000";
  // HTTP/1.1: kinesis-mock breaks the h2c upgrade the JDK client tries by default on http:// URLs.
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private Kinesis() {}

  static int intProperty(String name, int fallback) {
    return Integer.parseInt(System.getProperty(name, String.valueOf(fallback)));
  }

  static HttpProtocolBuilder protocol() {
    return http.baseUrl(URL)
        .contentTypeHeader("application/x-amz-json-1.1")
        .header("Authorization", AUTH)
        .header("X-Amz-Date", "20260101T000000Z")
        .shareConnections();
  }

  /** Calls an action outside the measured scenario (set-up), failing loudly on an error answer. */
  static String call(String action, String json) {
    return send("Kinesis_20131202." + action, json);
  }

  /** {@link #call} for a Firehose action. */
  static String firehose(String action, String json) {
    return send("Firehose_20150804." + action, json);
  }

  /** The text of {@code GET /metrics}. */
  static String metrics() {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(URL + "/metrics")).timeout(Duration.ofSeconds(30))
          .GET().build();
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("GET /metrics failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String send(String target, String json) {
    String action = target.substring(target.indexOf('.') + 1);
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(URL + "/"))
          .header("Content-Type", "application/x-amz-json-1.1").header("Authorization", AUTH)
          .header("X-Amz-Date", "20260101T000000Z").header("X-Amz-Target", target)
          .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build();
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(action + " failed: " + response.statusCode() + " " + response.body());
      }
      return response.body();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(action + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Deletes the stream if present, creates it and waits (bounded) until it is ACTIVE. */
  static void freshStream(String name, int shards) {
    try {
      call("DeleteStream", "{\"StreamName\":\"" + name + "\"}");
    } catch (IllegalStateException ignored) {
      // not there
    }
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        call("CreateStream", "{\"StreamName\":\"" + name + "\",\"ShardCount\":" + shards + "}");
        break;
      } catch (IllegalStateException stillDeleting) {
        if (System.currentTimeMillis() > deadline) {
          throw stillDeleting;
        }
      }
    }
    while (!call("DescribeStreamSummary", "{\"StreamName\":\"" + name + "\"}").contains("\"ACTIVE\"")) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("stream " + name + " did not become ACTIVE");
      }
    }
  }

  /** A PutRecords body of {@code count} records of {@code bytes} random bytes, each with its own partition key. */
  static String putRecordsBody(String stream, int count, int bytes) {
    StringBuilder b = new StringBuilder("{\"StreamName\":\"").append(stream).append("\",\"Records\":[");
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append("{\"Data\":\"").append(randomBase64(bytes)).append("\",\"PartitionKey\":\"pk-").append(i)
          .append('-').append(ThreadLocalRandom.current().nextInt(1_000_000)).append("\"}");
    }
    return b.append("]}").toString();
  }

  static String randomBase64(int bytes) {
    byte[] data = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(data);
    return Base64.getEncoder().encodeToString(data);
  }
}
