package millrace.load;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Put-to-push latency of enhanced fan-out (SubscribeToShard) against GetRecords polling at KCL's default cadence, on
 * the same run. Not a test: a plain main, run against a server that is already up.
 *
 * <p>For each scenario (records/s × consumers) it creates a stream with one shard per 1,000 records/s (AWS's write
 * limit per shard), registers the consumers, subscribes each to every shard (the SDK's default client: HTTP/2
 * cleartext), starts one GetRecords poller per shard that calls once a second (KCL's
 * {@code idleTimeBetweenReadsInMillis} = 1000), then produces at the rate with PutRecords every 2 ms. Each record
 * carries the producer's {@link System#nanoTime()} at the moment its PutRecords was sent; producer and consumers
 * share this JVM, so the clock is the same. Latency = the moment the consumer's handler got the record minus that
 * stamp: it includes the put itself (with the server's default durable fsync), the push, and the SDK's decoding.
 * After a warm-up, records stamped inside the measuring window are counted; then the stream is deleted.
 *
 * <pre>
 * mvn -o -f load-tests test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *   -Dmillrace.url=http://127.0.0.1:4567 -Dbench.rates=1000,10000 -Dbench.consumers=1,5 \
 *   -Dbench.warmupSeconds=5 -Dbench.measureSeconds=20 -Dbench.recordBytes=100
 * </pre>
 */
public final class EfoLatencyBenchmark {

  static final URI ENDPOINT = URI.create(System.getProperty("millrace.url", "http://127.0.0.1:4567"));
  static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 5);
  static final int MEASURE_SECONDS = Integer.getInteger("bench.measureSeconds", 20);
  static final int RECORD_BYTES = Math.max(8, Integer.getInteger("bench.recordBytes", 100));
  static final long POLL_MILLIS = Long.getLong("bench.pollMillis", 1000);
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  public static void main(String[] args) throws Exception {
    int[] rates = ints(System.getProperty("bench.rates", "1000,10000"));
    int[] consumerCounts = ints(System.getProperty("bench.consumers", "1,5"));
    List<String> rows = new ArrayList<>();
    try (KinesisAsyncClient client = client()) {
      for (int rate : rates) {
        for (int consumers : consumerCounts) {
          rows.add(new Scenario(client, rate, consumers).run());
        }
      }
    }
    System.out.println();
    System.out.printf("Put-to-push latency, ms (%d B records, %d s measured after %d s warm-up; polling = one "
        + "GetRecords per shard every %d ms)%n%n", RECORD_BYTES, MEASURE_SECONDS, WARMUP_SECONDS, POLL_MILLIS);
    System.out.println("| records/s | consumers | shards | produced/s | put ack p99 | EFO p50 | EFO p99 | EFO p99.9 | EFO max "
        + "| EFO records | poll p50 | poll p99 | poll p99.9 | poll records | p50 poll/EFO | p99 poll/EFO |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.exit(0); // the SDK's Netty threads are not daemons
  }

  static KinesisAsyncClient client() {
    return KinesisAsyncClient.builder().endpointOverride(ENDPOINT).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDBENCH", "secret")))
        // Retries would hide throttling and stretch latencies (BUILD-NOTES trap 5): count failures instead.
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2).maxConcurrency(512)
            .readTimeout(Duration.ofSeconds(20)))
        .build();
  }

  /** Latencies in microseconds, from any thread. */
  static final class Recorder {
    private long[] values = new long[1 << 16];
    private int size;

    synchronized void add(long micros) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = micros;
    }

    synchronized long[] sorted() {
      long[] out = Arrays.copyOf(values, size);
      Arrays.sort(out);
      return out;
    }
  }

  static final class Scenario {
    final KinesisAsyncClient client;
    final int rate;
    final int consumers;
    final int shards;
    final String stream;
    final Recorder efo = new Recorder();
    final Recorder poll = new Recorder();
    /** PutRecords round trips (send to acknowledgement), for context: part of every put-to-push figure. */
    final Recorder ack = new Recorder();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong putFailures = new AtomicLong();
    final AtomicLong subscriptionErrors = new AtomicLong();
    /** Records acknowledged whose stamp is inside the measuring window. */
    final AtomicLong inWindow = new AtomicLong();
    volatile long measureFrom = Long.MAX_VALUE;
    volatile long measureTo = Long.MAX_VALUE;

    Scenario(KinesisAsyncClient client, int rate, int consumers) {
      this.client = client;
      this.rate = rate;
      this.consumers = consumers;
      this.shards = Integer.getInteger("bench.shards", Math.max(1, rate / 1000));
      this.stream = "efo-bench-" + rate + "-" + consumers;
    }

    String run() throws Exception {
      System.out.printf("%n=== %,d records/s, %d consumer(s), %d shard(s)%n", rate, consumers, shards);
      client.createStream(r -> r.streamName(stream).shardCount(shards)).join();
      waitFor(() -> client.describeStreamSummary(r -> r.streamName(stream)).join().streamDescriptionSummary()
          .streamStatus() == StreamStatus.ACTIVE, "stream ACTIVE");
      try {
        return measure();
      } finally {
        running.set(false);
        client.deleteStream(r -> r.streamName(stream).enforceConsumerDeletion(true)).join();
      }
    }

    private String measure() throws Exception {
      String streamArn = client.describeStreamSummary(r -> r.streamName(stream)).join().streamDescriptionSummary()
          .streamARN();
      List<String> shardIds = client.listShards(r -> r.streamName(stream)).join().shards().stream()
          .map(Shard::shardId).toList();
      List<String> consumerArns = new ArrayList<>();
      for (int c = 0; c < consumers; c++) {
        String name = "bench-" + c;
        String arn = client.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).join()
            .consumer().consumerARN();
        waitFor(() -> client.describeStreamConsumer(r -> r.consumerARN(arn)).join().consumerDescription()
            .consumerStatus() == ConsumerStatus.ACTIVE, "consumer ACTIVE");
        consumerArns.add(arn);
      }
      List<CompletableFuture<Void>> subscribed = new ArrayList<>();
      for (String arn : consumerArns) {
        for (String shardId : shardIds) {
          subscribed.add(subscribe(arn, shardId, null));
        }
      }
      CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      List<Thread> threads = new ArrayList<>();
      for (String shardId : shardIds) {
        String iterator = client.getShardIterator(r -> r.streamName(stream).shardId(shardId)
            .shardIteratorType(ShardIteratorType.LATEST)).join().shardIterator();
        threads.add(start("poll-" + shardId, () -> pollLoop(iterator)));
      }
      long begin = System.nanoTime();
      measureFrom = begin + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
      measureTo = measureFrom + TimeUnit.SECONDS.toNanos(MEASURE_SECONDS);
      AtomicLong produced = new AtomicLong();
      Thread producer = start("producer", () -> produce(begin, produced));
      producer.join();
      // Let polling (up to a second behind) and pushes drain the last measured records.
      Thread.sleep(POLL_MILLIS + 1500);
      running.set(false);
      for (Thread t : threads) {
        t.join(5000);
      }
      double producedPerSecond = produced.get() / (double) (WARMUP_SECONDS + MEASURE_SECONDS);
      long[] e = efo.sorted();
      long[] p = poll.sorted();
      long[] a = ack.sorted();
      System.out.printf("produced %,.0f records/s, put failures %d, subscription errors %d; measured records: "
          + "EFO %,d of %,d expected, polling %,d of %,d%n", producedPerSecond, putFailures.get(),
          subscriptionErrors.get(), e.length, inWindow.get() * consumers, p.length, inWindow.get());
      System.out.printf("PutRecords acknowledged in: p50 %s ms, p99 %s ms, p99.9 %s ms%n", ms(pct(a, 50)),
          ms(pct(a, 99)), ms(pct(a, 99.9)));
      return String.format(Locale.ROOT, "| %,d | %d | %d | %,.0f | %s | %s | %s | %s | %s | %,d | %s | %s | %s | %,d | %s | %s |",
          rate, consumers, shards, producedPerSecond, ms(pct(a, 99)), ms(pct(e, 50)), ms(pct(e, 99)), ms(pct(e, 99.9)),
          ms(e.length == 0 ? -1 : e[e.length - 1]), e.length,
          ms(pct(p, 50)), ms(pct(p, 99)), ms(pct(p, 99.9)), p.length,
          ratio(pct(p, 50), pct(e, 50)), ratio(pct(p, 99), pct(e, 99)));
    }

    /** Subscribes, records latencies, and re-subscribes after the continuation when a subscription ends. */
    private CompletableFuture<Void> subscribe(String consumerArn, String shardId, String after) {
      CompletableFuture<Void> responded = new CompletableFuture<>();
      String[] continuation = {after};
      SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
          .onResponse(r -> responded.complete(null))
          .onError(t -> {
            responded.completeExceptionally(t);
            if (running.get()) {
              subscriptionErrors.incrementAndGet();
              System.err.println("subscription " + shardId + " failed: " + t);
            }
          })
          .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
              .onSubscribeToShardEvent(event -> onEvent(event, continuation)).build())
          .build();
      client.subscribeToShard(r -> r.consumerARN(consumerArn).shardId(shardId).startingPosition(p -> {
        if (after == null) {
          p.type(ShardIteratorType.LATEST);
        } else {
          p.type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after);
        }
      }), handler).whenComplete((v, t) -> {
        if (t == null && running.get()) {
          subscribe(consumerArn, shardId, continuation[0]); // the 5-minute end: carry on
        }
      });
      return responded;
    }

    private void onEvent(SubscribeToShardEvent event, String[] continuation) {
      long now = System.nanoTime();
      for (Record r : event.records()) {
        record(efo, r, now);
      }
      if (event.continuationSequenceNumber() != null) {
        continuation[0] = event.continuationSequenceNumber();
      }
    }

    private void record(Recorder into, Record r, long nowNanos) {
      long stamp = r.data().asByteBuffer().getLong(0);
      if (stamp >= measureFrom && stamp < measureTo) {
        into.add((nowNanos - stamp) / 1000);
      }
    }

    /** One GetRecords per shard per poll period, as KCL's polling consumer does by default. */
    private void pollLoop(String firstIterator) {
      String iterator = firstIterator;
      long next = System.nanoTime();
      while (running.get() && iterator != null) {
        String it = iterator;
        try {
          GetRecordsResponse response = client.getRecords(r -> r.shardIterator(it).limit(10_000)).join();
          long now = System.nanoTime();
          for (Record r : response.records()) {
            record(poll, r, now);
          }
          iterator = response.nextShardIterator();
        } catch (RuntimeException e) {
          System.err.println("GetRecords failed: " + e);
        }
        next += TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
        LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
      }
    }

    /** PutRecords every 2 ms with the records due by then, each stamped with the send time. */
    private void produce(long begin, AtomicLong produced) {
      Semaphore inFlight = new Semaphore(256);
      long end = measureTo;
      long sent = 0;
      byte[] padding = new byte[RECORD_BYTES - 8];
      ThreadLocalRandom.current().nextBytes(padding);
      while (System.nanoTime() < end) {
        long due = (System.nanoTime() - begin) * rate / 1_000_000_000L;
        while (sent < due) {
          int n = (int) Math.min(500, due - sent);
          inFlight.acquireUninterruptibly();
          long stamp = System.nanoTime();
          List<PutRecordsRequestEntry> entries = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            ByteBuffer data = ByteBuffer.allocate(RECORD_BYTES);
            data.putLong(stamp).put(padding).flip();
            entries.add(PutRecordsRequestEntry.builder().partitionKey(Long.toString(sent + i))
                .data(SdkBytes.fromByteBuffer(data)).build());
          }
          sent += n;
          client.putRecords(r -> r.streamName(stream).records(entries)).whenComplete((response, t) -> {
            inFlight.release();
            if (stamp >= measureFrom && stamp < measureTo) {
              ack.add((System.nanoTime() - stamp) / 1000);
            }
            if (t != null) {
              putFailures.addAndGet(n);
            } else {
              putFailures.addAndGet(response.failedRecordCount());
              produced.addAndGet(n - response.failedRecordCount());
              if (stamp >= measureFrom && stamp < measureTo) {
                inWindow.addAndGet(n - response.failedRecordCount());
              }
            }
          });
        }
        LockSupport.parkNanos(TICK_NANOS);
      }
      inFlight.acquireUninterruptibly(256);
    }
  }

  static long pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static String ms(long micros) {
    return micros < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", micros / 1000.0);
  }

  static String ratio(long poll, long efo) {
    return poll < 0 || efo <= 0 ? "n/a" : String.format(Locale.ROOT, "%.0f×", poll / (double) efo);
  }

  static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitFor(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
