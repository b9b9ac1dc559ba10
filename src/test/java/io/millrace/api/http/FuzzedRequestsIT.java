package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.WireFormat;
import io.millrace.api.error.ErrorMapper;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.GetRecordsRequest;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.Record;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.testing.Gen;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.LogCapture;
import io.millrace.testing.Property;
import io.millrace.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * A fuzz harness over the request decoders, run against a live server: valid requests of many operations, in JSON,
 * CBOR and protobuf (gRPC), mutated (bytes flipped, cut short, spliced, or replaced by noise), must each get an AWS
 * error or an answer: never a 5xx, never an INTERNAL or UNKNOWN gRPC status, never an internal failure in the log.
 * A failure prints the seed that repeats it ({@code -Dmillrace.seed=...}).
 */
@Timeout(180)
class FuzzedRequestsIT {

  /** Valid JSON bodies, by action. */
  private static final Map<String, String> SEEDS = Map.ofEntries(
      Map.entry("PutRecord", "{\"StreamName\":\"fuzz\",\"PartitionKey\":\"k\",\"Data\":\"aGVsbG8=\"}"),
      Map.entry("PutRecords", "{\"StreamName\":\"fuzz\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"eA==\"},"
          + "{\"PartitionKey\":\"b\",\"Data\":\"eQ==\",\"ExplicitHashKey\":\"1\"}]}"),
      Map.entry("GetShardIterator", "{\"StreamName\":\"fuzz\",\"ShardId\":\"shardId-000000000000\","
          + "\"ShardIteratorType\":\"AT_TIMESTAMP\",\"Timestamp\":1.7e9}"),
      Map.entry("CreateStream", "{\"StreamName\":\"fuzz2\",\"ShardCount\":1,\"StreamModeDetails\":"
          + "{\"StreamMode\":\"PROVISIONED\"},\"Tags\":{\"a\":\"b\"}}"),
      Map.entry("ListShards", "{\"StreamName\":\"fuzz\",\"MaxResults\":10,\"ShardFilter\":{\"Type\":"
          + "\"AFTER_SHARD_ID\",\"ShardId\":\"shardId-000000000000\"}}"),
      Map.entry("DescribeStream", "{\"StreamName\":\"fuzz\",\"Limit\":5}"),
      Map.entry("AddTagsToStream", "{\"StreamName\":\"fuzz\",\"Tags\":{\"x\":\"y\"}}"),
      Map.entry("SplitShard", "{\"StreamName\":\"fuzz\",\"ShardToSplit\":\"shardId-000000000000\","
          + "\"NewStartingHashKey\":\"170141183460469231731687303715884105728\"}"),
      Map.entry("SubscribeToShard", "{\"ConsumerARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz/"
          + "consumer/c:1\",\"ShardId\":\"shardId-000000000000\",\"StartingPosition\":{\"Type\":\"LATEST\"}}"));
  private static final List<String> ACTIONS = List.copyOf(SEEDS.keySet());

  private TestServer server;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("createStreamMillis", "0", "updateStreamMillis", "0"));
    try (KinesisClient kinesis = KinesisClients.kinesis(server.endpoint())) {
      kinesis.createStream(b -> b.streamName("fuzz").shardCount(1));
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One mutation of {@code seed}: a flipped byte, a cut, a splice of itself, or noise. */
  private static byte[] mutate(Gen g, byte[] seed) {
    byte[] out = seed.clone();
    switch (g.intIn(0, 4)) {
      case 0 -> {
        for (int i = g.intIn(1, 4); i > 0; i--) {
          out[g.intIn(0, out.length - 1)] ^= (byte) g.intIn(1, 255);
        }
      }
      case 1 -> out = Arrays.copyOf(out, g.intIn(0, out.length - 1));
      case 2 -> {
        int at = g.intIn(0, out.length - 1);
        byte[] spliced = new byte[out.length + (out.length - at)];
        System.arraycopy(out, 0, spliced, 0, out.length);
        System.arraycopy(out, at, spliced, out.length, out.length - at);
        out = spliced;
      }
      case 3 -> {
        int at = g.intIn(0, out.length - 1);
        out[at] = (byte) g.oneOf(List.of('{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e')).charValue();
      }
      default -> out = g.bytes(0, 200);
    }
    return out;
  }

  private record Sent(String action, WireFormat format, byte[] body) {
    @Override
    public String toString() {
      return action + " " + format + " " + new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void mutated_json_and_cbor_requests_of_every_operation_get_an_aws_error_or_an_answer_never_a_5xx()
      throws Exception {
    try (LogCapture errors = LogCapture.of(ErrorMapper.class)) {
      Property.forAll(600, g -> {
        String action = g.oneOf(ACTIONS);
        WireFormat format = g.bool() ? WireFormat.JSON : WireFormat.CBOR;
        byte[] seed = SEEDS.get(action).getBytes(StandardCharsets.UTF_8);
        if (format == WireFormat.CBOR) {
          try {
            seed = Mappers.of(WireFormat.CBOR).writeValueAsBytes(Mappers.json().readTree(seed));
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        }
        return new Sent(action, format, mutate(g, seed));
      }, sent -> {
        HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(server.endpoint())
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", sent.format() == WireFormat.CBOR ? "application/x-amz-cbor-1.1"
                : "application/x-amz-json-1.1")
            .header("X-Amz-Target", "Kinesis_20131202." + sent.action())
            .header("X-Amz-Date", "20261201T120000Z")
            .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20261201/us-east-1/kinesis/"
                + "aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
            .POST(HttpRequest.BodyPublishers.ofByteArray(sent.body())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertTrue(answer.statusCode() < 500, () -> answer.statusCode() + " "
            + new String(answer.body(), StandardCharsets.UTF_8));
      });
      assertEquals(List.of(), errors.lines());
    }
  }

  @Test
  void mutated_grpc_messages_of_every_call_get_a_status_that_is_never_internal_or_unknown() throws Exception {
    StreamRef fuzz = StreamRef.newBuilder().setName("fuzz").build();
    Map<String, byte[]> seeds = Map.of(
        "Produce", ProduceRequest.newBuilder().setStream(fuzz).addRecords(Record.newBuilder().setPartitionKey("k")
            .setData(com.google.protobuf.ByteString.copyFromUtf8("v"))).build().toByteArray(),
        "GetRecords", GetRecordsRequest.newBuilder().setStream(fuzz).setShardId("shardId-000000000000")
            .setPosition(Position.newBuilder().setTrimHorizon(true)).setLimit(3).build().toByteArray(),
        "CreateStream", CreateStreamRequest.newBuilder().setName("fuzz3").setShardCount(1).putTags("a", "b")
            .build().toByteArray(),
        "Subscribe", SubscribeRequest.newBuilder().setStream(fuzz).setShardId("shardId-000000000000")
            .setPosition(Position.newBuilder().setAtSequenceNumber("1")).build().toByteArray(),
        "ListShards", io.millrace.grpc.v1.ListShardsRequest.newBuilder().setStream(fuzz).setMaxResults(2).build()
            .toByteArray());
    List<String> methods = List.copyOf(seeds.keySet());
    try (LogCapture errors = LogCapture.of(ErrorMapper.class);
         GrpcClients clients = new GrpcClients(server.endpoint())) {
      record Call(String method, byte[] message) {}
      Property.forAll(300, g -> {
        String method = g.oneOf(methods);
        return new Call(method, mutate(g, seeds.get(method)));
      }, call -> {
        GrpcStatus status = GrpcClients.await(clients.client().request(clients.server()).compose(request -> {
          request.fullMethodName("millrace.v1.Millrace/" + call.method());
          return request.end(Buffer.buffer(call.message())).compose(v -> request.response())
              .compose(response -> {
                if (call.method().equals("Subscribe")) {
                  request.cancel(); // a subscription that started runs on: its status is all that is wanted
                  return Future.succeededFuture(response.status() == null ? GrpcStatus.OK : response.status());
                }
                return response.end().transform(ar -> Future.succeededFuture(response.status()));
              });
        }));
        assertTrue(status != GrpcStatus.INTERNAL && status != GrpcStatus.UNKNOWN, () -> String.valueOf(status));
      });
      assertEquals(List.of(), errors.lines());
    }
  }
}
