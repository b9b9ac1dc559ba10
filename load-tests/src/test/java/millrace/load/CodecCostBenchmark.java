package millrace.load;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * What the server spends per record in each wire format the AWS SDK for Java v2 speaks: JSON, or CBOR (the SDK's
 * default for Kinesis; {@code -Daws.cborEnabled=false} turns it off). A plain main (not a test), run once per format
 * by {@code load-tests/codec-cost.sh}, which alternates them:
 * <ol>
 *   <li>PutRecords: {@code producers} loops of 500 x 1 KiB records into a stream of 4 shards, for {@code seconds}
 *       after {@code warmup} seconds;</li>
 *   <li>GetRecords: one reader per shard reads what was put, from TRIM_HORIZON, Limit 10,000, again and again.</li>
 * </ol>
 * Prints records per second and per server CPU-second ({@code -Dmillrace.pid}) for each, and the Content-Type the
 * SDK sent, as proof of the format.
 */
public final class CodecCostBenchmark {

  private static final URI ENDPOINT = URI.create(System.getProperty("endpoint", "http://127.0.0.1:4567"));
  private static final int SECONDS = Integer.getInteger("seconds", 15);
  private static final int WARMUP = Integer.getInteger("warmup", 5);
  private static final int PRODUCERS = Integer.getInteger("producers", 8);
  private static final int SHARDS = 4;

  private CodecCostBenchmark() {}

  public static void main(String[] args) throws Exception {
    AtomicReference<String> contentType = new AtomicReference<>("?");
    try (KinesisAsyncClient client = KinesisAsyncClient.builder().endpointOverride(ENDPOINT)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDBENCH", "secret")))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
            .addExecutionInterceptor(new ExecutionInterceptor() {
              @Override
              public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                context.httpRequest().firstMatchingHeader("Content-Type").ifPresent(contentType::set);
              }
            }))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).maxConcurrency(64)
            .readTimeout(Duration.ofSeconds(30)))
        .build()) {
      String stream = "codec-" + ProcessHandle.current().pid();
      client.createStream(r -> r.streamName(stream).shardCount(SHARDS)).join();
      while (client.describeStreamSummary(r -> r.streamName(stream)).join().streamDescriptionSummary()
          .streamStatus() != StreamStatus.ACTIVE) {
        Thread.sleep(50);
      }
      try {
        double[] put = putRecords(client, stream);
        double[] get = getRecords(client, stream);
        System.out.printf(">>> %s: PutRecords %,.0f records/s, %,.0f records per server CPU-second; "
            + "GetRecords %,.0f records/s, %,.0f records per server CPU-second%n", contentType.get(), put[0], put[1],
            get[0], get[1]);
      } finally {
        client.deleteStream(r -> r.streamName(stream).enforceConsumerDeletion(true)).join();
      }
    }
  }

  /** Records acknowledged per second and per server CPU-second. */
  private static double[] putRecords(KinesisAsyncClient client, String stream) throws InterruptedException {
    List<PutRecordsRequestEntry> batch = new ArrayList<>();
    Random random = new Random(1);
    for (int i = 0; i < 500; i++) {
      byte[] data = new byte[1024];
      random.nextBytes(data);
      batch.add(PutRecordsRequestEntry.builder().partitionKey("key-" + i).data(SdkBytes.fromByteArray(data)).build());
    }
    return measure((running, counter) -> {
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      for (int p = 0; p < PRODUCERS; p++) {
        loops.add(loop(running, () -> client.putRecords(r -> r.streamName(stream).records(batch))
            .thenAccept(response -> counter.addAndGet(500 - response.failedRecordCount()))));
      }
      return loops;
    });
  }

  /** Records read per second and per server CPU-second. */
  private static double[] getRecords(KinesisAsyncClient client, String stream) throws InterruptedException {
    return measure((running, counter) -> {
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      for (int s = 0; s < SHARDS; s++) {
        String shard = String.format("shardId-%012d", s);
        AtomicReference<String> iterator = new AtomicReference<>();
        loops.add(loop(running, () -> {
          CompletableFuture<String> it = iterator.get() != null ? CompletableFuture.completedFuture(iterator.get())
              : client.getShardIterator(r -> r.streamName(stream).shardId(shard)
                  .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).thenApply(r -> r.shardIterator());
          return it.thenCompose(i -> client.getRecords(r -> r.shardIterator(i).limit(10_000))).thenAccept(r -> {
            counter.addAndGet(r.records().size());
            iterator.set(r.records().isEmpty() ? null : r.nextShardIterator()); // at the tip: start over
          });
        }));
      }
      return loops;
    });
  }

  private interface Workload {
    List<CompletableFuture<Void>> start(AtomicBoolean running, AtomicLong counter);
  }

  private static double[] measure(Workload workload) throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong counter = new AtomicLong();
    List<CompletableFuture<Void>> loops = workload.start(running, counter);
    Thread.sleep(WARMUP * 1000L);
    long startCount = counter.get();
    double startCpu = ServerProcess.cpuSeconds();
    long startNanos = System.nanoTime();
    Thread.sleep(SECONDS * 1000L);
    long count = counter.get() - startCount;
    double cpu = ServerProcess.cpuSeconds() - startCpu;
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    running.set(false);
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
    return new double[] {count / seconds, count / cpu};
  }

  /** Calls {@code step} again as soon as it completes, while {@code running}. */
  private static CompletableFuture<Void> loop(AtomicBoolean running,
                                              java.util.function.Supplier<CompletableFuture<Void>> step) {
    if (!running.get()) {
      return CompletableFuture.completedFuture(null);
    }
    return step.get().thenCompose(v -> loop(running, step));
  }
}
