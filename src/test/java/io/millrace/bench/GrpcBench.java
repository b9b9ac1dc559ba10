package io.millrace.bench;

import static io.millrace.testing.GrpcClients.await;

import com.google.protobuf.ByteString;
import io.millrace.grpc.v1.MillraceGrpcClient;
import io.millrace.grpc.v1.Position;
import io.millrace.grpc.v1.ProduceRequest;
import io.millrace.grpc.v1.ProduceResponse;
import io.millrace.grpc.v1.Record;
import io.millrace.grpc.v1.StreamRef;
import io.millrace.grpc.v1.SubscribeEvent;
import io.millrace.grpc.v1.SubscribeRequest;
import io.millrace.testing.GrpcClients;
import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.client.GrpcClientRequest;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * The native gRPC API beside the Kinesis API, on one running Millrace (load-tests/grpc-bench.sh, which builds,
 * starts the server and passes its pid). Not a test: a main.
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat target/bench-classpath.txt) io.millrace.bench.GrpcBench
 *   [--endpoint http://127.0.0.1:4567] [--pid PID] [--records 200000] [--warmup-records 50000] [--repetitions 2]
 *   [--rate 1000] [--latency-seconds 20] [--catch-up-mib 100]
 * </pre>
 *
 * <ul>
 *   <li><b>Produce.</b> The same records three ways, each from one thread on one connection into a fresh stream of 4
 *       shards: PutRecords with the AWS SDK for Java v2 (its synchronous client, CBOR), gRPC Produce (one call at a
 *       time) and gRPC ProduceStream ({@value #PIPELINE} batches written and not yet acknowledged). Batches of 500
 *       records of 1 KiB with random partition keys. A warm-up round of each (not counted), then the repetitions,
 *       the order rotating. Reported: records per second (the last answer's), server CPU-seconds per 100,000
 *       records ({@code /proc/<pid>/stat} over the same window) and this JVM's (the driver's).</li>
 *   <li><b>Put to push.</b> One subscriber at a time on a fresh one-shard stream, from its trim horizon: gRPC
 *       Subscribe (a connection of its own), then SubscribeToShard (the SDK's async client, h2c, a registered
 *       consumer). The same producer for both: gRPC Produce calls from a 1 ms timer, open loop, {@code --rate}
 *       records a second of 1 KiB, each stamped with {@link System#nanoTime()} when its call is sent (producer and
 *       subscriber share this JVM's clock). Latency is the subscriber's handler getting the record minus that
 *       stamp: the durable put, the push and the client's decoding. 5 s of warm-up, then the records stamped in the
 *       next {@code --latency-seconds} count; every record must arrive.</li>
 *   <li><b>Catch-up.</b> A one-shard stream filled with {@code --catch-up-mib} MiB of 1 KiB records, read from the
 *       trim horizon to its last record by each subscriber in turn (a new consumer for each SubscribeToShard),
 *       alternating, {@code --repetitions} times: records and MiB (of record data) per second, server CPU.</li>
 * </ul>
 */
public final class GrpcBench {

  private static final int BATCH = 500;
  private static final int RECORD_BYTES = 1024;
  private static final int SHARDS = 4;
  /** ProduceStream batches in flight: twice what the server puts at once (GrpcApi), so it always has the next. */
  private static final int PIPELINE = 8;
  private static final long LATENCY_WARMUP_SECONDS = 5;
  private static final String SHARD0 = "shardId-000000000000";
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private enum Producer {
    PUT_RECORDS("Kinesis PutRecords (SDK v2, CBOR)"),
    PRODUCE("gRPC Produce (unary)"),
    PRODUCE_STREAM("gRPC ProduceStream (" + PIPELINE + " in flight)");

    final String label;

    Producer(String label) {
      this.label = label;
    }
  }

  private enum Subscriber {
    SUBSCRIBE("gRPC Subscribe"),
    SUBSCRIBE_TO_SHARD("SubscribeToShard (SDK v2 async)");

    final String label;

    Subscriber(String label) {
      this.label = label;
    }
  }

  private final long pid;
  private final KinesisClient kinesis;
  private final KinesisAsyncClient async;
  private final GrpcClients grpc;
  private final MillraceGrpcClient millrace;
  private final byte[] payload = new byte[RECORD_BYTES];
  private final ByteString payloadBytes;
  private int streams;

  private GrpcBench(URI endpoint, long pid) {
    this.pid = pid;
    this.kinesis = KinesisClients.kinesis(endpoint);
    this.async = KinesisClients.defaultAsync(endpoint);
    this.grpc = new GrpcClients(endpoint);
    this.millrace = grpc.millrace();
    new Random(1).nextBytes(payload);
    this.payloadBytes = ByteString.copyFrom(payload);
  }

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create("http://127.0.0.1:4567");
    long pid = -1;
    int records = 200_000;
    int warmup = 50_000;
    int repetitions = 2;
    int rate = 1000;
    int latencySeconds = 20;
    int catchUpMiB = 100;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i++]) {
        case "--endpoint" -> endpoint = URI.create(value);
        case "--pid" -> pid = Long.parseLong(value);
        case "--records" -> records = Integer.parseInt(value);
        case "--warmup-records" -> warmup = Integer.parseInt(value);
        case "--repetitions" -> repetitions = Integer.parseInt(value);
        case "--rate" -> rate = Integer.parseInt(value);
        case "--latency-seconds" -> latencySeconds = Integer.parseInt(value);
        case "--catch-up-mib" -> catchUpMiB = Integer.parseInt(value);
        default -> {
          System.err.println("unknown argument " + args[i - 1] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    GrpcBench bench = new GrpcBench(endpoint, pid);
    System.out.printf(Locale.ROOT, "Millrace at %s (pid %d); records of %d B%n", endpoint, pid, RECORD_BYTES);
    bench.produceRuns(records, warmup, repetitions);
    bench.latencyRuns(rate, latencySeconds);
    bench.catchUpRuns(catchUpMiB * (1024 * 1024 / RECORD_BYTES), repetitions);
    bench.grpc.close();
    bench.async.close();
    bench.kinesis.close();
    System.exit(0); // the SDK's Netty threads are not daemons
  }

  // ---- produce

  private void produceRuns(int records, int warmup, int repetitions) throws Exception {
    System.out.printf(Locale.ROOT, "%n== Produce: %,d records a run, batches of %d, random partition keys, %d "
        + "shards, one producer (thread, connection) each; warm-up %,d each%n", records, BATCH, SHARDS, warmup);
    for (Producer p : Producer.values()) {
      produce(p, warmup);
    }
    Map<Producer, List<Run>> runs = new EnumMap<>(Producer.class);
    Producer[] order = Producer.values();
    for (int rep = 0; rep < repetitions; rep++) {
      for (int k = 0; k < order.length; k++) {
        Producer p = order[(k + rep) % order.length];
        Run run = produce(p, records);
        runs.computeIfAbsent(p, x -> new ArrayList<>()).add(run);
        System.out.printf(Locale.ROOT, "  %-38s repetition %d: %s%n", p.label, rep + 1, run);
      }
    }
    System.out.println();
    System.out.println("| producer | records/s | server CPU-s per 100k records | records/s ÷ PutRecords "
        + "| server CPU ÷ PutRecords | driver CPU-s per 100k |");
    System.out.println("|---|---|---|---|---|---|");
    double baseRate = median(runs.get(Producer.PUT_RECORDS), Run::perSecond);
    double baseCpu = median(runs.get(Producer.PUT_RECORDS), Run::serverCpuPer100k);
    for (Producer p : Producer.values()) {
      double rate = median(runs.get(p), Run::perSecond);
      double cpu = median(runs.get(p), Run::serverCpuPer100k);
      System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f× | %.2f× | %.2f |%n", p.label, rate, cpu,
          rate / baseRate, cpu / baseCpu, median(runs.get(p), Run::driverCpuPer100k));
    }
  }

  /** Puts {@code records} records with {@code producer} into a fresh stream of {@value #SHARDS} shards. */
  private Run produce(Producer producer, int records) throws Exception {
    String stream = createStream("produce", SHARDS);
    try {
      Window window = new Window();
      switch (producer) {
        case PUT_RECORDS -> putRecords(stream, records);
        case PRODUCE -> {
          for (int sent = 0; sent < records; sent += BATCH) {
            check(await(millrace.produce(batch(stream, Math.min(BATCH, records - sent)))));
          }
        }
        case PRODUCE_STREAM -> await(new Pipeline(stream, records).run(), LIMIT);
      }
      return window.end(records);
    } finally {
      deleteStream(stream);
    }
  }

  private void putRecords(String stream, int records) {
    for (int sent = 0; sent < records; sent += BATCH) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>(BATCH);
      for (int i = Math.min(BATCH, records - sent); i > 0; i--) {
        entries.add(PutRecordsRequestEntry.builder().partitionKey(randomKey())
            .data(SdkBytes.fromByteArrayUnsafe(payload)).build());
      }
      int failed = kinesis.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount();
      if (failed != 0) {
        throw new IllegalStateException(failed + " records refused by PutRecords");
      }
    }
  }

  private ProduceRequest batch(String stream, int size) {
    ProduceRequest.Builder b = ProduceRequest.newBuilder().setStream(StreamRef.newBuilder().setName(stream));
    for (int i = 0; i < size; i++) {
      b.addRecords(Record.newBuilder().setPartitionKey(randomKey()).setData(payloadBytes));
    }
    return b.build();
  }

  private static String randomKey() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  private static ProduceResponse check(ProduceResponse answer) {
    if (answer.getFailedRecordCount() != 0) {
      throw new IllegalStateException(answer.getFailedRecordCount() + " records refused: "
          + answer.getResultsList().stream().filter(r -> !r.getErrorCode().isEmpty()).findFirst().orElseThrow());
    }
    return answer;
  }

  /**
   * One ProduceStream call: {@value #PIPELINE} batches written ahead, one more written as each acknowledgement comes,
   * the call ended after the last batch; done when the server ends it after the last acknowledgement. On the
   * connection's event loop.
   */
  private final class Pipeline {
    private final String stream;
    private final int records;
    private final Promise<Void> done = Promise.promise();
    private WriteStream<ProduceRequest> requests;
    private int written;
    private int acknowledged;

    Pipeline(String stream, int records) {
      this.stream = stream;
      this.records = records;
    }

    Future<Void> run() {
      millrace.produceStream((requests, failure) -> {
        if (failure != null) {
          done.tryFail(failure);
          return;
        }
        this.requests = requests;
        for (int i = 0; i < PIPELINE && written < records; i++) {
          writeNext();
        }
      }).onSuccess(acks -> acks.handler(this::onAck).exceptionHandler(done::tryFail).endHandler(v -> {
        if (acknowledged == records) {
          done.tryComplete();
        } else {
          done.tryFail(new IllegalStateException(acknowledged + " of " + records + " records acknowledged"));
        }
      })).onFailure(done::tryFail);
      return done.future();
    }

    private void writeNext() {
      int size = Math.min(BATCH, records - written);
      written += size;
      requests.write(batch(stream, size));
      if (written == records) {
        requests.end();
      }
    }

    private void onAck(ProduceResponse ack) {
      try {
        acknowledged += check(ack).getResultsCount();
      } catch (IllegalStateException e) {
        done.tryFail(e);
        return;
      }
      if (written < records) {
        writeNext();
      }
    }
  }

  // ---- put to push

  private void latencyRuns(int rate, int seconds) throws Exception {
    System.out.printf(Locale.ROOT, "%n== Put to push: %,d records/s of %d B into one shard, gRPC Produce from a 1 ms "
        + "timer; %d s warm-up, %d s measured; one subscriber at a time%n", rate, RECORD_BYTES,
        LATENCY_WARMUP_SECONDS, seconds);
    Map<Subscriber, Arrivals> runs = new EnumMap<>(Subscriber.class);
    for (Subscriber s : Subscriber.values()) {
      runs.put(s, latency(s, rate, seconds));
    }
    System.out.println();
    System.out.println("| subscriber | records measured | p50 ms | p99 ms | max ms | put answered p50 / p99 ms "
        + "| p50 ÷ SubscribeToShard | p99 ÷ SubscribeToShard |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    Latencies base = runs.get(Subscriber.SUBSCRIBE_TO_SHARD).pushed;
    for (Subscriber s : Subscriber.values()) {
      Arrivals a = runs.get(s);
      System.out.printf(Locale.ROOT, "| %s | %,d | %.2f | %.2f | %.1f | %.2f / %.2f | %.2f× | %.2f× |%n", s.label,
          a.pushed.count(), a.pushed.millis(0.50), a.pushed.millis(0.99), a.pushed.millis(1.0), a.acks.millis(0.50),
          a.acks.millis(0.99), a.pushed.millis(0.50) / base.millis(0.50), a.pushed.millis(0.99) / base.millis(0.99));
    }
  }

  private Arrivals latency(Subscriber kind, int rate, int seconds) throws Exception {
    String stream = createStream("latency", 1);
    try {
      String consumer = kind == Subscriber.SUBSCRIBE_TO_SHARD ? registerConsumer(stream, "latency") : null;
      long start = System.nanoTime();
      long from = start + TimeUnit.SECONDS.toNanos(LATENCY_WARMUP_SECONDS);
      long to = from + TimeUnit.SECONDS.toNanos(seconds);
      Arrivals arrivals = new Arrivals(from, to);
      try (AutoCloseable subscription = subscribe(kind, stream, consumer, arrivals)) {
        long sent = await(new Paced(stream, rate, start, to, arrivals).run(), LIMIT);
        arrivals.expect(sent);
        arrivals.all.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        System.out.printf(Locale.ROOT, "  %-38s %,d records put, %,d pushed%n", kind.label, sent,
            arrivals.received.get());
      }
      return arrivals;
    } finally {
      deleteStream(stream);
    }
  }

  /**
   * gRPC Produce calls from a 1 ms timer until {@code endNanos}, each carrying the records due by then at
   * {@code rate} a second (open loop: a call goes out whether or not the earlier ones are answered), every record
   * stamped with the moment its call is sent; completes with the number of records put. A refused record fails
   * {@code arrivals}.
   */
  private final class Paced {
    private final String stream;
    private final int rate;
    private final long startNanos;
    private final long endNanos;
    private final Arrivals arrivals;
    private final Promise<Long> done = Promise.promise();
    private long sent;

    Paced(String stream, int rate, long startNanos, long endNanos, Arrivals arrivals) {
      this.stream = stream;
      this.rate = rate;
      this.startNanos = startNanos;
      this.endNanos = endNanos;
      this.arrivals = arrivals;
    }

    Future<Long> run() {
      grpc.vertx().setPeriodic(1, this::tick);
      return done.future();
    }

    private void tick(long timer) {
      long now = System.nanoTime();
      if (now >= endNanos) {
        grpc.vertx().cancelTimer(timer);
        done.complete(sent);
        return;
      }
      long due = (now - startNanos) * rate / 1_000_000_000L + 1 - sent;
      if (due <= 0) {
        return;
      }
      ProduceRequest.Builder b = ProduceRequest.newBuilder().setStream(StreamRef.newBuilder().setName(stream));
      for (long i = 0; i < due; i++) {
        byte[] data = payload.clone();
        ByteBuffer.wrap(data).putLong(now);
        b.addRecords(Record.newBuilder().setPartitionKey(randomKey()).setData(ByteString.copyFrom(data)));
      }
      sent += due;
      millrace.produce(b.build()).onComplete(answer -> {
        if (answer.getFailedRecordCount() != 0) {
          arrivals.fail(new IllegalStateException(answer.getFailedRecordCount() + " records refused"));
        }
        arrivals.acks.addIfIn(now, System.nanoTime(), arrivals.from, arrivals.to);
      }, arrivals::fail);
    }
  }

  // ---- catch-up

  private void catchUpRuns(int records, int repetitions) throws Exception {
    String stream = createStream("catch-up", 1);
    try {
      await(new Pipeline(stream, records).run(), LIMIT);
      System.out.printf(Locale.ROOT, "%n== Catch-up: %,d records (%d MiB of data) in one shard, read from its trim "
          + "horizon to the last record%n", records, (long) records * RECORD_BYTES >> 20);
      Map<Subscriber, List<Run>> runs = new EnumMap<>(Subscriber.class);
      Subscriber[] order = Subscriber.values();
      for (int rep = 0; rep < repetitions; rep++) {
        for (int k = 0; k < order.length; k++) {
          Subscriber s = order[(k + rep) % order.length];
          String consumer = s == Subscriber.SUBSCRIBE_TO_SHARD ? registerConsumer(stream, "catch-up-" + rep) : null;
          Arrivals arrivals = new Arrivals(0, 0);
          arrivals.expect(records);
          Window window = new Window();
          Run run;
          try (AutoCloseable subscription = subscribe(s, stream, consumer, arrivals)) {
            arrivals.all.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            run = window.end(records);
          }
          runs.computeIfAbsent(s, x -> new ArrayList<>()).add(run);
          System.out.printf(Locale.ROOT, "  %-38s repetition %d: %s, %.1f MiB/s%n", s.label, rep + 1, run,
              run.perSecond() * RECORD_BYTES / (1 << 20));
        }
      }
      System.out.println();
      System.out.println("| subscriber | records/s | MiB/s | server CPU-s per 100k records | records/s ÷ "
          + "SubscribeToShard | server CPU ÷ SubscribeToShard | driver CPU-s per 100k |");
      System.out.println("|---|---|---|---|---|---|---|");
      double baseRate = median(runs.get(Subscriber.SUBSCRIBE_TO_SHARD), Run::perSecond);
      double baseCpu = median(runs.get(Subscriber.SUBSCRIBE_TO_SHARD), Run::serverCpuPer100k);
      for (Subscriber s : Subscriber.values()) {
        double rate = median(runs.get(s), Run::perSecond);
        double cpu = median(runs.get(s), Run::serverCpuPer100k);
        System.out.printf(Locale.ROOT, "| %s | %,.0f | %.1f | %.2f | %.2f× | %.2f× | %.2f |%n", s.label, rate,
            rate * RECORD_BYTES / (1 << 20), cpu, rate / baseRate, cpu / baseCpu,
            median(runs.get(s), Run::driverCpuPer100k));
      }
    } finally {
      deleteStream(stream);
    }
  }

  // ---- subscribers

  /**
   * Subscribes to the stream's one shard from its trim horizon, every record to {@code arrivals}; closing ends the
   * subscription (gRPC: the call cancelled; SubscribeToShard: the consumer deregistered, which ends it).
   */
  private AutoCloseable subscribe(Subscriber kind, String stream, String consumerArn, Arrivals arrivals) {
    if (kind == Subscriber.SUBSCRIBE) {
      SubscribeRequest request = SubscribeRequest.newBuilder().setStream(StreamRef.newBuilder().setName(stream))
          .setShardId(SHARD0).setPosition(Position.newBuilder().setTrimHorizon(true)).build();
      // The handler is set as the answer's headers arrive, on the call's event loop: nothing comes before it.
      Future<GrpcClientRequest<SubscribeRequest, SubscribeEvent>> call = grpc.newConnection()
          .request(grpc.server(), MillraceGrpcClient.Subscribe)
          .compose(c -> c.end(request).compose(v -> c.response()).map(events -> {
            events.handler(e -> e.getRecordsList().forEach(r -> arrivals.record(r.getData().asReadOnlyByteBuffer())))
                .exceptionHandler(arrivals::fail);
            return c;
          }));
      call.onFailure(arrivals::fail);
      return () -> call.onSuccess(c -> c.cancel());
    }
    SubscribeToShardRequest request = SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(SHARD0)
        .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build();
    async.subscribeToShard(request, SubscribeToShardResponseHandler.builder().onError(arrivals::fail)
        .subscriber(SubscribeToShardResponseHandler.Visitor.builder().onSubscribeToShardEvent(e -> e.records()
            .forEach(r -> arrivals.record(r.data().asByteBuffer()))).build())
        .build());
    return () -> kinesis.deregisterStreamConsumer(b -> b.consumerARN(consumerArn));
  }

  /**
   * What one subscriber received, from any thread: how many records, and the put-to-push latency of those stamped
   * within {@code [from, to)}; {@link #all} completes once the expected number arrived (or fails with the first
   * failure before that).
   */
  private static final class Arrivals {
    final long from;
    final long to;
    final Latencies pushed = new Latencies();
    final Latencies acks = new Latencies();
    final AtomicLong received = new AtomicLong();
    final CompletableFuture<Void> all = new CompletableFuture<>();
    private volatile long expected = Long.MAX_VALUE;

    Arrivals(long from, long to) {
      this.from = from;
      this.to = to;
    }

    void record(ByteBuffer data) {
      pushed.addIfIn(data.getLong(data.position()), System.nanoTime(), from, to);
      checkAll(received.incrementAndGet());
    }

    void expect(long records) {
      expected = records;
      checkAll(received.get());
    }

    void fail(Throwable e) {
      all.completeExceptionally(e); // once every record is in, the end of the subscription is no failure
    }

    private void checkAll(long records) {
      if (records >= expected) {
        all.complete(null);
      }
    }
  }

  /** Latencies in microseconds, added from any thread. */
  private static final class Latencies {
    private long[] micros = new long[1 << 16];
    private int size;

    synchronized void addIfIn(long stampNanos, long nowNanos, long from, long to) {
      if (stampNanos < from || stampNanos >= to) {
        return;
      }
      if (size == micros.length) {
        micros = Arrays.copyOf(micros, size * 2);
      }
      micros[size++] = (nowNanos - stampNanos) / 1000;
    }

    synchronized int count() {
      return size;
    }

    /** The {@code q} quantile (1.0: the largest), in milliseconds. */
    synchronized double millis(double q) {
      if (size == 0) {
        return Double.NaN;
      }
      long[] sorted = Arrays.copyOf(micros, size);
      Arrays.sort(sorted);
      return sorted[(int) Math.max(0, Math.ceil(q * size) - 1)] / 1000.0;
    }
  }

  // ---- measuring

  /** A run's records, wall time and CPU. */
  private record Run(long records, double seconds, double serverCpu, double driverCpu) {
    double perSecond() {
      return records / seconds;
    }

    double serverCpuPer100k() {
      return serverCpu * 100_000 / records;
    }

    double driverCpuPer100k() {
      return driverCpu * 100_000 / records;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%,9.0f records/s (%.1f s), server CPU %.2f s = %.2f CPU-s per 100k, "
          + "driver CPU %.2f s", perSecond(), seconds, serverCpu, serverCpuPer100k(), driverCpu);
    }
  }

  /** Wall time and the CPU of the server and of this JVM from its creation. */
  private final class Window {
    private final long startNanos = System.nanoTime();
    private final double server0 = ProcessCpu.seconds(pid);
    private final double driver0 = ProcessCpu.ofThisJvm();

    Run end(long records) {
      return new Run(records, (System.nanoTime() - startNanos) / 1e9, ProcessCpu.seconds(pid) - server0,
          ProcessCpu.ofThisJvm() - driver0);
    }
  }

  /** The median (of two: their mean). */
  private static double median(List<Run> runs, ToDoubleFunction<Run> figure) {
    double[] values = runs.stream().mapToDouble(figure).sorted().toArray();
    int mid = values.length / 2;
    return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  // ---- streams and consumers, over the Kinesis API

  private String createStream(String prefix, int shards) {
    String name = prefix + "-" + ++streams;
    kinesis.createStream(b -> b.streamName(name).shardCount(shards));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName(name));
    return name;
  }

  private void deleteStream(String name) {
    kinesis.deleteStream(b -> b.streamName(name).enforceConsumerDeletion(true));
  }

  private String registerConsumer(String stream, String name) throws InterruptedException {
    String streamArn = kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
        .streamARN();
    String arn = kinesis.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(name)).consumer()
        .consumerARN();
    Poll.until(name + " ACTIVE", () -> kinesis.describeStreamConsumer(b -> b.consumerARN(arn))
        .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
    return arn;
  }
}
