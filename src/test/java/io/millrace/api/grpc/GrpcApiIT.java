package io.millrace.api.grpc;

import static io.millrace.testing.GrpcClients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.millrace.grpc.v1.CreateStreamRequest;
import io.millrace.grpc.v1.DescribeStreamRequest;
import io.millrace.grpc.v1.GetRecordsRequest;
import io.millrace.grpc.v1.GetRecordsResponse;
import io.millrace.grpc.v1.ListShardsRequest;
import io.millrace.grpc.v1.ListStreamsRequest;
import io.millrace.grpc.v1.ListTagsRequest;
import io.millrace.grpc.v1.MergeShardsRequest;
import io.millrace.grpc.v1.MillraceGrpcClient;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.ProduceResponse;
import io.millrace.grpc.v1.ProduceResult;
import io.millrace.grpc.v1.Record;
import io.millrace.grpc.v1.Shard;
import io.millrace.grpc.v1.SplitShardRequest;
import io.millrace.grpc.v1.StoredRecord;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeEvent;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.grpc.v1.TagStreamRequest;
import io.millrace.grpc.v1.UntagStreamRequest;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.PrometheusText;
import io.millrace.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Every RPC of the native gRPC API over h2c with the generated Vert.x client, against a server that also serves the
 * Kinesis API: records in order and exactly once per shard, acknowledgements in order, resumption, a split during a
 * Subscribe, errors with their status and AWS metadata, cancellation.
 */
@Timeout(120)
class GrpcApiIT {

  private TestServer server;
  private GrpcClients clients;
  private MillraceGrpcClient millrace;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of("createStreamMillis", "0", "updateStreamMillis", "0"));
    clients = new GrpcClients(server.endpoint());
    millrace = clients.millrace();
  }

  @AfterEach
  void stop() {
    if (clients != null) {
      clients.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static StreamRef stream(String name) {
    return StreamRef.newBuilder().setName(name).build();
  }

  private void create(String name, int shards) throws InterruptedException {
    await(millrace.createStream(CreateStreamRequest.newBuilder().setName(name).setShardCount(shards).build()));
    awaitActive(name);
  }

  private void awaitActive(String name) throws InterruptedException {
    Poll.until(name + " ACTIVE", () -> await(millrace.describeStream(DescribeStreamRequest.newBuilder()
        .setStream(stream(name)).build())).getStatus().equals("ACTIVE"));
  }

  private static ProduceRequest batch(String name, int first, int count) {
    ProduceRequest.Builder b = ProduceRequest.newBuilder().setStream(stream(name));
    for (int i = first; i < first + count; i++) {
      b.addRecords(Record.newBuilder().setPartitionKey("key-" + (i % 7))
          .setData(ByteString.copyFromUtf8("record-" + i)));
    }
    return b.build();
  }

  /** Every record of a shard, read with GetRecords from the trim horizon, following next_position. */
  private List<StoredRecord> readShard(String name, String shardId) {
    List<StoredRecord> all = new ArrayList<>();
    Position position = Position.newBuilder().setTrimHorizon(true).build();
    while (true) {
      GetRecordsResponse page = await(millrace.getRecords(GetRecordsRequest.newBuilder().setStream(stream(name))
          .setShardId(shardId).setPosition(position).setLimit(7).build()));
      all.addAll(page.getRecordsList());
      if (page.getRecordsCount() == 0 || !page.hasNextPosition()) {
        return all;
      }
      position = page.getNextPosition();
    }
  }

  private static String text(StoredRecord r) {
    return r.getData().toString(StandardCharsets.UTF_8);
  }

  @Test
  void records_produced_over_grpc_are_read_back_in_order_and_exactly_once_over_grpc_and_over_the_kinesis_api()
      throws Exception {
    create("orders", 2);
    Map<String, List<String>> acked = new LinkedHashMap<>(); // shard -> sequence numbers in acknowledgement order
    for (int b = 0; b < 5; b++) {
      ProduceResponse answer = await(millrace.produce(batch("orders", b * 20, 20)));
      assertEquals(0, answer.getFailedRecordCount());
      for (ProduceResult r : answer.getResultsList()) {
        acked.computeIfAbsent(r.getShardId(), k -> new ArrayList<>()).add(r.getSequenceNumber());
      }
    }
    assertEquals(2, acked.size(), "both shards got records: " + acked.keySet());
    int total = 0;
    try (KinesisClient kinesis = KinesisClients.kinesis(server.endpoint())) {
      for (Map.Entry<String, List<String>> shard : acked.entrySet()) {
        List<StoredRecord> read = readShard("orders", shard.getKey());
        assertEquals(shard.getValue(), read.stream().map(StoredRecord::getSequenceNumber).toList());
        total += read.size();
        String iterator = kinesis.getShardIterator(b -> b.streamName("orders").shardId(shard.getKey())
            .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<String> viaKinesis = kinesis.getRecords(b -> b.shardIterator(iterator)).records().stream()
            .map(r -> r.sequenceNumber() + "=" + r.data().asUtf8String()).toList();
        assertEquals(read.stream().map(r -> r.getSequenceNumber() + "=" + text(r)).toList(), viaKinesis);
      }
    }
    assertEquals(100, total);
  }

  @Test
  void a_read_from_latest_hands_out_a_continuation_that_finds_the_records_put_after_it() throws Exception {
    create("tail", 1);
    await(millrace.produce(batch("tail", 0, 3))); // before the read: not for it
    GetRecordsResponse empty = await(millrace.getRecords(GetRecordsRequest.newBuilder().setStream(stream("tail"))
        .setShardId("shardId-000000000000").setPosition(Position.newBuilder().setLatest(true)).build()));
    assertEquals(0, empty.getRecordsCount());
    assertEquals(Position.KindCase.CONTINUATION, empty.getNextPosition().getKindCase());
    await(millrace.produce(batch("tail", 3, 2)));
    GetRecordsResponse later = await(millrace.getRecords(GetRecordsRequest.newBuilder().setStream(stream("tail"))
        .setShardId("shardId-000000000000").setPosition(empty.getNextPosition()).build()));
    assertEquals(List.of("record-3", "record-4"), later.getRecordsList().stream().map(GrpcApiIT::text).toList());
    assertEquals(later.getRecords(1).getSequenceNumber(), later.getNextPosition().getAfterSequenceNumber());

    Map<String, String> elsewhere = failure(MillraceGrpcClient.GetRecords, GetRecordsRequest.newBuilder()
        .setStream(stream("other")).setShardId("shardId-000000000000").setPosition(empty.getNextPosition()).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.name(), elsewhere.get("status"), "a continuation reads its own stream");
  }

  @Test
  void a_produce_stream_acknowledges_each_batch_in_order_with_the_sequence_numbers_it_stored() throws Exception {
    create("flow", 1);
    int batches = 40;
    Promise<Void> sent = Promise.promise();
    List<ProduceResponse> answers = new ArrayList<>();
    Promise<List<ProduceResponse>> acknowledged = Promise.promise();
    await(millrace.produceStream((requests, failure) -> {
      if (failure != null) {
        sent.fail(failure);
        return;
      }
      for (int b = 0; b < batches; b++) {
        requests.write(batch("flow", b * 10, 10));
      }
      requests.end().onComplete(sent);
    }).map(acks -> acks.handler(answers::add).exceptionHandler(acknowledged::tryFail)
        .endHandler(v -> acknowledged.tryComplete(answers))));
    await(acknowledged.future());
    await(sent.future());
    assertEquals(batches, answers.size());
    List<String> sequenceNumbers = new ArrayList<>();
    answers.forEach(a -> a.getResultsList().forEach(r -> sequenceNumbers.add(r.getSequenceNumber())));
    List<StoredRecord> read = readShard("flow", "shardId-000000000000");
    assertEquals(sequenceNumbers, read.stream().map(StoredRecord::getSequenceNumber).toList(),
        "the acknowledgements come in the order the batches were stored");
    for (int i = 0; i < read.size(); i++) {
      assertEquals("record-" + i, text(read.get(i)));
    }
  }

  @Test
  void a_subscription_pushes_new_records_and_resumes_after_its_last_sequence_number() throws Exception {
    create("live", 1);
    await(millrace.produce(batch("live", 0, 30)));
    ConcurrentLinkedQueue<SubscribeEvent> events = new ConcurrentLinkedQueue<>();
    Call first = subscribeCall(SubscribeRequest.newBuilder().setStream(stream("live"))
        .setShardId("shardId-000000000000").setPosition(Position.newBuilder().setTrimHorizon(true)).build(),
        events::add);
    Poll.until("30 records pushed", () -> records(events).size() >= 30);
    await(millrace.produce(batch("live", 30, 10))); // pushed as they arrive
    Poll.until("40 records pushed", () -> records(events).size() >= 40);
    String last = events.stream().reduce((a, b) -> b).orElseThrow().getContinuationSequenceNumber();
    Poll.until("server counts the subscription", () -> liveSubscriptions() == 1);
    first.request().cancel();
    Poll.until("the cancelled subscription freed", () -> liveSubscriptions() == 0);

    await(millrace.produce(batch("live", 40, 15)));
    ConcurrentLinkedQueue<SubscribeEvent> resumed = new ConcurrentLinkedQueue<>();
    Call second = subscribeCall(SubscribeRequest.newBuilder().setStream(stream("live"))
        .setShardId("shardId-000000000000").setPosition(Position.newBuilder().setAfterSequenceNumber(last)).build(),
        resumed::add);
    Poll.until("the 15 later records", () -> records(resumed).size() >= 15);
    List<String> all = new ArrayList<>(records(events).stream().map(GrpcApiIT::text).toList());
    all.addAll(records(resumed).stream().map(GrpcApiIT::text).toList());
    for (int i = 0; i < all.size(); i++) {
      assertEquals("record-" + i, all.get(i), "every record once, in order");
    }
    assertEquals(55, all.size());
    second.request().cancel();
    Poll.until("the second subscription freed", () -> liveSubscriptions() == 0);
  }

  private static List<StoredRecord> records(ConcurrentLinkedQueue<SubscribeEvent> events) {
    List<StoredRecord> all = new ArrayList<>();
    events.forEach(e -> all.addAll(e.getRecordsList()));
    return all;
  }

  /** A Subscribe call with the low-level client, which can cancel it (an HTTP/2 reset of the call's stream). */
  private record Call(GrpcClientRequest<SubscribeRequest, SubscribeEvent> request,
                      GrpcClientResponse<SubscribeRequest, SubscribeEvent> events) {}

  /**
   * Subscribes, {@code onEvent} hearing every event: it is set as soon as the answer's headers arrive, on the
   * client's event loop, since a stream drops the messages that come before it has a handler.
   */
  private Call subscribeCall(SubscribeRequest r, java.util.function.Consumer<SubscribeEvent> onEvent) {
    return await(clients.client().request(clients.server(), MillraceGrpcClient.Subscribe)
        .compose(call -> call.end(r).compose(v -> call.response()).map(events -> {
          events.handler(onEvent::accept);
          return new Call(call, events);
        })));
  }

  /** The server's live subscriptions, as {@code /metrics} counts them (SubscribeToShard and Subscribe alike). */
  private long liveSubscriptions() {
    return (long) PrometheusText.value(PrometheusText.scrape(server.endpoint()), "millrace_subscriptions");
  }

  @Test
  void a_split_during_a_subscription_ends_it_with_the_child_shards_and_the_children_hold_the_rest() throws Exception {
    create("splitting", 1);
    await(millrace.produce(batch("splitting", 0, 20)));
    List<SubscribeEvent> received = new ArrayList<>();
    Promise<List<SubscribeEvent>> done = Promise.promise();
    Future<List<SubscribeEvent>> ended = done.future();
    await(millrace.subscribe(SubscribeRequest.newBuilder().setStream(stream("splitting"))
        .setShardId("shardId-000000000000").setPosition(Position.newBuilder().setTrimHorizon(true)).build())
        .map(events -> events.handler(received::add).exceptionHandler(done::tryFail)
            .endHandler(v -> done.tryComplete(received))));
    await(millrace.splitShard(SplitShardRequest.newBuilder().setStream(stream("splitting"))
        .setShardToSplit("shardId-000000000000").setNewStartingHashKey(BigInteger.TWO.pow(127).toString()).build()));
    awaitActive("splitting");
    await(millrace.produce(batch("splitting", 20, 20)));

    List<SubscribeEvent> events = await(ended);
    SubscribeEvent last = events.get(events.size() - 1);
    assertTrue(last.getShardEnd(), "the last event marks the shard's end");
    assertEquals(List.of("shardId-000000000001", "shardId-000000000002"),
        last.getChildShardsList().stream().map(c -> c.getShardId()).toList());
    List<String> seen = new ArrayList<>();
    events.forEach(e -> e.getRecordsList().forEach(r -> seen.add(text(r))));
    for (String child : List.of("shardId-000000000001", "shardId-000000000002")) {
      readShard("splitting", child).forEach(r -> seen.add(text(r)));
    }
    assertEquals(40, seen.size(), seen.toString());
    assertEquals(40, seen.stream().distinct().count(), "no record twice");
    List<Shard> shards = await(millrace.listShards(ListShardsRequest.newBuilder().setStream(stream("splitting"))
        .build())).getShardsList();
    assertFalse(shards.get(0).getEndingSequenceNumber().isEmpty(), "the parent is closed");
    assertEquals("shardId-000000000000", shards.get(1).getParentShardId());
  }

  @Test
  void stream_administration_creates_describes_lists_tags_and_deletes() throws Exception {
    create("admin", 3);
    assertEquals(3, await(millrace.describeStream(DescribeStreamRequest.newBuilder().setStream(stream("admin"))
        .build())).getOpenShardCount());
    assertEquals(List.of("admin"), await(millrace.listStreams(ListStreamsRequest.getDefaultInstance()))
        .getStreamsList().stream().map(s -> s.getName()).toList());
    assertEquals(Map.of("team", "data", "tier", "gold"), await(millrace.tagStream(TagStreamRequest.newBuilder()
        .setStream(stream("admin")).putTags("team", "data").putTags("tier", "gold").build())).getTagsMap());
    assertEquals(Map.of("tier", "gold"), await(millrace.untagStream(UntagStreamRequest.newBuilder()
        .setStream(stream("admin")).addKeys("team").build())).getTagsMap());
    assertEquals(Map.of("tier", "gold"), await(millrace.listTags(ListTagsRequest.newBuilder()
        .setStream(stream("admin")).build())).getTagsMap());
    await(millrace.mergeShards(MergeShardsRequest.newBuilder().setStream(stream("admin"))
        .setShardToMerge("shardId-000000000000").setAdjacentShardToMerge("shardId-000000000001").build()));
    awaitActive("admin");
    Shard merged = await(millrace.listShards(ListShardsRequest.newBuilder().setStream(stream("admin")).build()))
        .getShards(3);
    assertEquals(List.of("shardId-000000000003", "shardId-000000000000", "shardId-000000000001"),
        List.of(merged.getShardId(), merged.getParentShardId(), merged.getAdjacentParentShardId()));
    await(millrace.deleteStream(io.millrace.grpc.v1.DeleteStreamRequest.newBuilder().setStream(stream("admin"))
        .build()));
    Poll.until("admin deleted", () -> await(millrace.listStreams(ListStreamsRequest.getDefaultInstance()))
        .getStreamsCount() == 0);
  }

  /** A unary call's status, status message and AWS error type, with the low-level client. */
  private <R, Q> Map<String, String> failure(ServiceMethod<R, Q> method, Q request) {
    return failureOf(method, call -> call.end(request));
  }

  /** As {@link #failure(ServiceMethod, Object)}, the request sent by {@code send}. */
  private <R, Q> Map<String, String> failureOf(ServiceMethod<R, Q> method,
                                               Function<GrpcClientRequest<Q, R>, Future<Void>> send) {
    return await(clients.client().request(clients.server(), method).compose(call -> send.apply(call)
        .compose(v -> call.response()).compose(response -> response.end().transform(ar -> Future.succeededFuture(
            Map.of("status", response.status().name(), "awsMessage", String.valueOf(response.statusMessage()),
                "type", String.valueOf(metadata(response, GrpcErrors.TYPE))))))));
  }

  /** A trailer, or a header of a trailers-only answer (gRPC's form for an error before any message). */
  private static String metadata(GrpcClientResponse<?, ?> response, String name) {
    String trailer = response.trailers().get(name);
    return trailer != null ? trailer : response.headers().get(name);
  }

  @Test
  void errors_carry_a_grpc_status_with_the_aws_error_type_and_message_of_the_kinesis_api() throws Exception {
    Map<String, String> missing = failure(MillraceGrpcClient.DescribeStream, DescribeStreamRequest.newBuilder()
        .setStream(stream("nowhere")).build());
    assertEquals(GrpcStatus.NOT_FOUND.name(), missing.get("status"));
    assertEquals("ResourceNotFoundException", missing.get("type"));
    assertEquals("Stream nowhere under account 000000000000 not found.", missing.get("awsMessage"));

    create("strict", 1);
    Map<String, String> invalid = failure(MillraceGrpcClient.Produce, ProduceRequest.newBuilder()
        .setStream(stream("strict")).addRecords(Record.newBuilder().setData(ByteString.copyFromUtf8("x"))).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.name(), invalid.get("status"));
    assertEquals("ValidationException", invalid.get("type"));
    assertTrue(invalid.get("awsMessage").startsWith("1 validation error detected: Value '' at "
        + "'records.1.member.partitionKey' failed to satisfy constraint"), invalid.get("awsMessage"));

    Map<String, String> noPosition = failure(MillraceGrpcClient.GetRecords, GetRecordsRequest.newBuilder()
        .setStream(stream("strict")).setShardId("shardId-000000000009")
        .setPosition(Position.newBuilder().setTrimHorizon(true)).build());
    assertEquals(GrpcStatus.NOT_FOUND.name(), noPosition.get("status"));
    assertEquals("ResourceNotFoundException", noPosition.get("type"));

    // A message that repeats what the client sent, control characters and all, still ends the call well.
    Map<String, String> oddName = failure(MillraceGrpcClient.DescribeStream, DescribeStreamRequest.newBuilder()
        .setStream(stream("bad\u0001näme\n")).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.name(), oddName.get("status"));
    assertTrue(oddName.get("awsMessage").contains("Value 'bad\u0001näme\n' at 'streamName'"), oddName.toString());
  }

  @Test
  void calls_that_break_the_rules_of_grpc_get_a_clear_status_and_leave_nothing_behind() throws Exception {
    create("rules", 1);
    ProduceRequest one = batch("rules", 0, 1);
    Map<String, String> twice = failureOf(MillraceGrpcClient.Produce,
        call -> call.write(one).compose(v -> call.end(one)));
    assertEquals(GrpcStatus.INVALID_ARGUMENT.name(), twice.get("status"));
    assertEquals("Produce takes exactly one request message; the call had more than one.", twice.get("awsMessage"));

    Map<String, String> compressed = failureOf(MillraceGrpcClient.Produce,
        call -> call.encoding("gzip").end(one));
    assertEquals(GrpcStatus.UNIMPLEMENTED.name(), compressed.get("status"));

    ProduceRequest.Builder huge = ProduceRequest.newBuilder().setStream(stream("rules"));
    for (int i = 0; i < 7; i++) {
      huge.addRecords(Record.newBuilder().setPartitionKey("k").setData(ByteString.copyFrom(new byte[1 << 20])));
    }
    Map<String, String> tooLarge = failure(MillraceGrpcClient.Produce, huge.build());
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED.name(), tooLarge.get("status"));
    assertEquals("RequestEntityTooLargeException", tooLarge.get("type"));

    Map<String, String> continuation = failure(MillraceGrpcClient.Subscribe, SubscribeRequest.newBuilder()
        .setStream(stream("rules")).setShardId("shardId-000000000000")
        .setPosition(Position.newBuilder().setContinuation("x")).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.name(), continuation.get("status"));
    assertEquals("InvalidArgumentException", continuation.get("type"));
    assertEquals(0, readShard("rules", "shardId-000000000000").size(), "nothing was stored");
  }

  @Test
  void a_subscription_to_a_stream_that_is_deleted_ends_with_not_found() throws Exception {
    create("doomed", 1);
    Promise<Void> ended = Promise.promise();
    Call call = subscribeCall(SubscribeRequest.newBuilder().setStream(stream("doomed"))
        .setShardId("shardId-000000000000").setPosition(Position.newBuilder().setLatest(true)).build(), e -> { });
    call.events().endHandler(v -> ended.tryComplete()).exceptionHandler(ended::tryFail);
    await(millrace.deleteStream(io.millrace.grpc.v1.DeleteStreamRequest.newBuilder().setStream(stream("doomed"))
        .build()));
    await(ended.future().recover(e -> Future.succeededFuture()));
    assertEquals(GrpcStatus.NOT_FOUND, call.events().status());
    assertEquals("ResourceNotFoundException", metadata(call.events(), GrpcErrors.TYPE));
    Poll.until("the subscription freed", () -> liveSubscriptions() == 0);
  }
}
