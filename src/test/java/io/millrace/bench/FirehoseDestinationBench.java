package io.millrace.bench;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.HecServer;
import io.millrace.testing.OpenSearchNode;
import io.millrace.testing.PostgresServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.AmazonopensearchserviceIndexRotationPeriod;
import software.amazon.awssdk.services.firehose.model.CompressionFormat;
import software.amazon.awssdk.services.firehose.model.DeliveryStreamStatus;
import software.amazon.awssdk.services.firehose.model.HECEndpointType;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponse;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponseEntry;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.firehose.model.ResourceNotFoundException;

/**
 * Firehose delivery throughput into each store destination, on an already running Millrace (not a JUnit test: run
 * by {@code load-tests/firehose-destinations.sh}, which builds, starts the server and passes its pid):
 *
 * <pre>
 * java -Dopensearch.dir=target/opensearch -cp target/test-classes:target/classes:$(cat target/bench-classpath.txt) \
 *   io.millrace.bench.FirehoseDestinationBench [--endpoint http://127.0.0.1:4567] [--pid PID] [--records 200000]
 *   [--warmup 20000] [--threads 4] [--timeout-seconds 600] [redshift] [opensearch] [splunk]
 * </pre>
 *
 * <p>For each destination named (default: all three, in that order), in one run: starts the store with the test
 * server classes in a temporary directory (PostgreSQL for Redshift, an OpenSearch node, the test HTTP Event
 * Collector for Splunk, indexer acknowledgement on), creates a delivery stream with buffering hints 5 MiB / 1 s,
 * delivers {@code --warmup} records through a first stream (into another table, index or collector; not counted:
 * the JIT compiles then), deletes it, and then measures: {@code --records} records of about 200 bytes of JSON are
 * put with PutRecordBatch (500 a call, from {@code --threads} threads; the batches are built beforehand), and the
 * store is polled until it holds them all. Reported:
 * <ul>
 *   <li>rec/s delivered: records over the time from the first put to the poll that saw them all (poll interval
 *       100 ms, OpenSearch 250 ms: {@code _refresh} then {@code _count});</li>
 *   <li>puts done: when the last PutRecordBatch was answered (ingest alone);</li>
 *   <li>server CPU: utime + stime of {@code --pid} (the Millrace JVM) from {@code /proc/<pid>/stat} over the same
 *       window, and records per server CPU-second, the figure to compare (BENCHMARKS.md);</li>
 *   <li>for reading the rest: the CPU of the store's processes (PostgreSQL's postmaster and its backends, the
 *       OpenSearch JVM; the HEC runs inside this JVM) and of this JVM (the producer, the polls, and for Splunk the
 *       HEC), all on the same cores.</li>
 * </ul>
 * Checks: PostgreSQL holds exactly N rows with N distinct ids; OpenSearch's index holds exactly N documents
 * (Millrace's document ids are stable, so a batch sent again would not add any); HEC has every id (Splunk is at
 * least once: duplicates are counted and printed, not a failure). Anything else fails the run (exit status 1).
 */
public final class FirehoseDestinationBench {

  private static final String ROLE = "arn:aws:iam::000000000000:role/firehose";
  private static final int BATCH = 500;
  private static final int RECORD_BYTES = 200;
  private static final List<String> ALL = List.of("redshift", "opensearch", "splunk");

  private final URI endpoint;
  private final long pid;
  private final int records;
  private final int warmup;
  private final int threads;
  private final long timeoutMillis;
  private final FirehoseClient firehose;
  private final ExecutorService producers;
  private final AtomicLong refused = new AtomicLong();

  private FirehoseDestinationBench(URI endpoint, long pid, int records, int warmup, int threads, long timeoutMillis) {
    this.endpoint = endpoint;
    this.pid = pid;
    this.records = records;
    this.warmup = warmup;
    this.threads = threads;
    this.timeoutMillis = timeoutMillis;
    this.firehose = FirehoseClients.sync(endpoint);
    this.producers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "producer");
      t.setDaemon(true);
      return t;
    });
  }

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create("http://127.0.0.1:4567");
    long pid = -1;
    int records = 200_000;
    int warmup = 20_000;
    int threads = 4;
    long timeoutSeconds = 600;
    List<String> destinations = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--endpoint" -> endpoint = URI.create(args[++i]);
        case "--pid" -> pid = Long.parseLong(args[++i]);
        case "--records" -> records = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--timeout-seconds" -> timeoutSeconds = Long.parseLong(args[++i]);
        default -> {
          if (!ALL.contains(a)) {
            System.err.println("unknown argument '" + a + "'; destinations are " + ALL + "; options --endpoint, "
                + "--pid, --records, --warmup, --threads, --timeout-seconds");
            System.exit(2);
          }
          destinations.add(a);
        }
      }
    }
    if (destinations.isEmpty()) {
      destinations.addAll(ALL);
    }
    String openSearchDir = System.getProperty("opensearch.dir");
    if (openSearchDir != null) {
      // the node runs in its own home directory, where a relative path to its jars no longer resolves
      System.setProperty("opensearch.dir", Path.of(openSearchDir).toAbsolutePath().toString());
    }
    if (pid > 0 && !Files.exists(Path.of("/proc/" + pid + "/stat"))) {
      System.err.println("no process " + pid + " (--pid: the Millrace server's)");
      System.exit(2);
    }
    FirehoseDestinationBench bench = new FirehoseDestinationBench(endpoint, pid, records, warmup, threads,
        timeoutSeconds * 1000);
    System.out.printf(Locale.ROOT, "Firehose delivery into the stores: %,d records of ~%d B per destination "
            + "(warm-up %,d), PutRecordBatch of %d from %d threads, buffering hints 5 MiB / 1 s, Millrace at %s%s%n",
        records, RECORD_BYTES, warmup, BATCH, threads, endpoint, pid > 0 ? " (pid " + pid + ")" : " (no --pid: "
            + "no server CPU)");
    boolean failed = false;
    for (String destination : destinations) {
      try {
        System.out.println(bench.run(destination));
      } catch (Exception | AssertionError e) {
        failed = true;
        System.out.printf(Locale.ROOT, "%-11s FAILED: %s%n", destination, e);
        e.printStackTrace();
      }
    }
    bench.firehose.close();
    bench.producers.shutdownNow();
    System.exit(failed ? 1 : 0);
  }

  // ---- one destination

  /** What a destination needs: a store, a delivery stream into one of its tables/indices/collectors, a count. */
  private interface Store extends AutoCloseable {
    /** Prepares a target named {@code name} (a table, an index, a collector) and creates a delivery stream into it. */
    void create(String stream, String name) throws Exception;

    /** How many of the {@code n} records put the target holds now (-1: cannot tell yet). */
    long count(String name, int n);

    /**
     * Fails unless the target holds each of ids 0..n-1 exactly once (at least once where the store keeps what is sent
     * twice, as HEC does); returns a note for the report line, or "".
     */
    String check(String name, int n);

    long pollMillis();

    /** CPU seconds of the store's own processes so far, or NaN when it runs in this JVM. */
    double cpuSeconds();

    @Override
    void close() throws Exception;
  }

  private String run(String destination) throws Exception {
    Path dir = Files.createTempDirectory("millrace-bench-" + destination + "-");
    try (Store store = switch (destination) {
      case "redshift" -> new Redshift(dir);
      case "opensearch" -> new OpenSearch(dir);
      case "splunk" -> new Splunk();
      default -> throw new IllegalArgumentException(destination);
    }) {
      String suffix = Long.toString(System.currentTimeMillis() % 1_000_000);
      if (warmup > 0) {
        String stream = "bench-" + destination + "-warmup-" + suffix;
        try {
          store.create(stream, "warmup");
          measure(stream, store, "warmup", warmup);
        } finally {
          delete(stream);
        }
      }
      String stream = "bench-" + destination + "-" + suffix;
      try {
        store.create(stream, "bench");
        refused.set(0);
        Result r = measure(stream, store, "bench", records);
        String note = store.check("bench", records);
        if (refused.get() > 0) {
          note = (note.isEmpty() ? "" : note + "; ") + refused.get() + " records refused by PutRecordBatch and put "
              + "again";
        }
        return r.line(destination, records, note);
      } finally {
        delete(stream);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private record Result(double deliveredSeconds, double putsSeconds, double serverCpu, double storeCpu,
                        double benchCpu) {

    String line(String destination, int n, String note) {
      StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
          "%-11s %,9d records  %,8.0f rec/s delivered in %.1f s  (puts done in %.1f s, %,.0f rec/s)",
          destination, n, n / deliveredSeconds, deliveredSeconds, putsSeconds, n / putsSeconds));
      if (!Double.isNaN(serverCpu)) {
        s.append(String.format(Locale.ROOT, "  server CPU %.1f s = %,.0f rec per CPU-s", serverCpu,
            n / serverCpu));
      }
      s.append(String.format(Locale.ROOT, "  [store CPU %s, bench JVM CPU %.1f s%s]",
          Double.isNaN(storeCpu) ? "in the bench JVM" : String.format(Locale.ROOT, "%.1f s", storeCpu), benchCpu,
          note.isEmpty() ? "" : "; " + note));
      return s.toString();
    }
  }

  /** Puts ids 0..n-1 into the stream and waits until the store's target {@code name} holds n records. */
  private Result measure(String stream, Store store, String name, int n) throws Exception {
    List<List<Record>> batches = batches(n);
    double server0 = serverCpu();
    double store0 = store.cpuSeconds();
    double bench0 = ProcessCpu.ofThisJvm();
    long t0 = System.nanoTime();
    AtomicLong putsDone = new AtomicLong();
    List<Future<?>> puts = new ArrayList<>();
    for (List<Record> batch : batches) {
      puts.add(producers.submit(() -> {
        put(stream, batch);
        return null;
      }));
    }
    Thread waiter = new Thread(() -> {
      for (Future<?> f : puts) {
        try {
          f.get();
        } catch (Exception e) {
          return; // reported by the main thread
        }
      }
      putsDone.set(System.nanoTime());
    });
    waiter.start();
    long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    long last = -1;
    while (true) {
      for (Future<?> f : puts) {
        if (f.isDone()) {
          f.get(); // a failed put fails the run here
        }
      }
      last = store.count(name, n);
      if (last >= n) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + ": " + last + " of " + n + " records in the store after "
            + timeoutMillis / 1000 + " s");
      }
      Thread.sleep(store.pollMillis());
    }
    long t1 = System.nanoTime();
    double server1 = serverCpu();
    double store1 = store.cpuSeconds();
    double bench1 = ProcessCpu.ofThisJvm();
    waiter.join();
    for (Future<?> f : puts) {
      f.get();
    }
    return new Result((t1 - t0) / 1e9, (putsDone.get() - t0) / 1e9, server1 - server0, store1 - store0,
        bench1 - bench0);
  }

  /** One PutRecordBatch; entries refused (throttled, say) are put again a moment later, the rest fail the run. */
  private void put(String stream, List<Record> batch) throws InterruptedException {
    List<Record> todo = batch;
    for (int attempt = 1; ; attempt++) {
      List<Record> send = todo;
      PutRecordBatchResponse response = firehose.putRecordBatch(b -> b.deliveryStreamName(stream).records(send));
      if (response.failedPutCount() == 0) {
        return;
      }
      if (attempt == 20) {
        throw new IllegalStateException(response.failedPutCount() + " records still refused after 20 attempts: "
            + response.requestResponses().stream().filter(e -> e.errorCode() != null).findFirst().orElseThrow());
      }
      List<Record> again = new ArrayList<>();
      List<PutRecordBatchResponseEntry> entries = response.requestResponses();
      for (int i = 0; i < entries.size(); i++) {
        if (entries.get(i).errorCode() != null) {
          again.add(send.get(i));
        }
      }
      refused.addAndGet(again.size());
      todo = again;
      Thread.sleep(50L * attempt);
    }
  }

  /** Ids 0..n-1 as ~200-byte JSON records, 500 a batch. */
  private static List<List<Record>> batches(int n) {
    List<List<Record>> out = new ArrayList<>();
    List<Record> batch = new ArrayList<>(BATCH);
    for (int id = 0; id < n; id++) {
      batch.add(Record.builder().data(SdkBytes.fromUtf8String(record(id))).build());
      if (batch.size() == BATCH) {
        out.add(batch);
        batch = new ArrayList<>(BATCH);
      }
    }
    if (!batch.isEmpty()) {
      out.add(batch);
    }
    return out;
  }

  static String record(int id) {
    String head = "{\"id\":" + id + ",\"user\":\"u" + (id % 100) + "\",\"path\":\"/p/" + id + "\",\"ms\":"
        + (id * 7 % 500) + ",\"pad\":\"";
    int pad = Math.max(0, RECORD_BYTES - head.length() - 2 - 1); // "} and the newline
    return head + "x".repeat(pad) + "\"}\n";
  }

  /** Deletes the stream if it is there (the next destination's run starts without it). */
  private void delete(String stream) {
    try {
      firehose.deleteDeliveryStream(b -> b.deliveryStreamName(stream).allowForceDelete(true));
    } catch (ResourceNotFoundException e) {
      // never created
    }
  }

  private void awaitActive(String stream) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (firehose.describeDeliveryStream(b -> b.deliveryStreamName(stream)).deliveryStreamDescription()
        .deliveryStreamStatus() != DeliveryStreamStatus.ACTIVE) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(stream + " is not ACTIVE after 60 s");
      }
      Thread.sleep(100);
    }
  }

  // ---- CPU

  private double serverCpu() {
    return pid > 0 ? ProcessCpu.seconds(pid) : Double.NaN;
  }

  /** The CPU of a process and its living descendants (the exited ones through cutime/cstime), in seconds. */
  static double treeCpuSeconds(ProcessHandle root) {
    double sum = ProcessCpu.seconds(root.pid(), true);
    for (ProcessHandle d : (Iterable<ProcessHandle>) root.descendants()::iterator) {
      sum += ProcessCpu.seconds(d.pid(), true);
    }
    return sum;
  }

  /** This JVM's child processes now. */
  static Set<Long> children() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  /** The living child process of this JVM that is not one of {@code before} (the store just started), or null. */
  static ProcessHandle newChild(Set<Long> before) {
    return ProcessHandle.current().children().filter(p -> !before.contains(p.pid())).findFirst().orElse(null);
  }

  private static double cpuOf(ProcessHandle p) {
    return p == null ? Double.NaN : treeCpuSeconds(p);
  }

  // ---- the stores

  /** Redshift into PostgreSQL: JSON 'auto' COPY through an intermediate object in the embedded S3. */
  private final class Redshift implements Store {
    private final PostgresServer pg;
    private final ProcessHandle process;

    Redshift(Path dir) throws IOException {
      Set<Long> before = children();
      pg = PostgresServer.start(dir.resolve("pg"));
      process = newChild(before); // the postmaster (setpriv execs it), whose children are the backends
    }

    @Override
    public void create(String stream, String name) throws Exception {
      // "user" is a reserved word in PostgreSQL (and Redshift), and DataTableColumns go into the COPY unquoted:
      // the table leaves that member out, as JSON 'auto' leaves out members that are not listed.
      pg.execute("CREATE TABLE " + name + " (id bigint, path text, ms int, pad text)");
      firehose.createDeliveryStream(b -> b.deliveryStreamName(stream).redshiftDestinationConfiguration(r -> r
          .clusterJDBCURL(pg.jdbcUrl(PostgresServer.DATABASE)).username(pg.user()).password(pg.password())
          .roleARN(ROLE)
          .copyCommand(c -> c.dataTableName(name).dataTableColumns("id,path,ms,pad").copyOptions("JSON 'auto'"))
          .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::" + stream + "-staging")
              .compressionFormat(CompressionFormat.UNCOMPRESSED)
              .bufferingHints(h -> h.sizeInMBs(5).intervalInSeconds(1)))));
      awaitActive(stream);
    }

    @Override
    public long count(String name, int n) {
      return Long.parseLong(pg.query("SELECT count(*) FROM " + name).get(0).get(0));
    }

    @Override
    public String check(String name, int n) {
      List<String> row = pg.query("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM " + name).get(0);
      if (!row.equals(List.of(String.valueOf(n), String.valueOf(n), "0", String.valueOf(n - 1)))) {
        throw new AssertionError("PostgreSQL table " + name + ": count, distinct ids, min, max = " + row
            + ", expected " + n + " rows with ids 0.." + (n - 1) + " each once");
      }
      return "";
    }

    @Override
    public long pollMillis() {
      return 100;
    }

    @Override
    public double cpuSeconds() {
      return cpuOf(process);
    }

    @Override
    public void close() {
      pg.close();
    }
  }

  /** Amazon OpenSearch Service into an OpenSearch node: {@code _bulk}, no index rotation. */
  private final class OpenSearch implements Store {
    private final OpenSearchNode node;
    private final ProcessHandle process;

    OpenSearch(Path dir) throws IOException {
      Set<Long> before = children();
      node = OpenSearchNode.start(dir.resolve("opensearch"));
      process = newChild(before);
    }

    @Override
    public void create(String stream, String name) throws Exception {
      firehose.createDeliveryStream(b -> b.deliveryStreamName(stream).amazonopensearchserviceDestinationConfiguration(
          o -> o.clusterEndpoint(node.endpoint().toString()).indexName(name)
              .indexRotationPeriod(AmazonopensearchserviceIndexRotationPeriod.NO_ROTATION).roleARN(ROLE)
              .bufferingHints(h -> h.sizeInMBs(5).intervalInSeconds(1))
              .s3Configuration(s -> s.roleARN(ROLE).bucketARN("arn:aws:s3:::" + stream + "-backup"))));
      awaitActive(stream);
    }

    @Override
    public long count(String name, int n) {
      try {
        node.refresh(name);
        return node.count(name);
      } catch (IllegalStateException | UncheckedIOException e) {
        return -1; // the index's shard is not allocated yet
      }
    }

    @Override
    public String check(String name, int n) {
      long count = count(name, n);
      if (count != n) {
        throw new AssertionError("OpenSearch index " + name + " holds " + count + " documents, expected " + n);
      }
      return "";
    }

    @Override
    public long pollMillis() {
      return 250; // each poll is a _refresh, which makes a segment: not too often
    }

    @Override
    public double cpuSeconds() {
      return cpuOf(process);
    }

    @Override
    public void close() {
      node.close();
    }
  }

  /** Splunk into the test HTTP Event Collector: Event type, indexer acknowledgement; one collector per target. */
  private final class Splunk implements Store {
    private final Vertx vertx = Vertx.vertx();
    private final Map<String, HecServer> collectors = new HashMap<>();

    @Override
    public void create(String stream, String name) throws Exception {
      HecServer hec = HecServer.start(vertx);
      collectors.put(name, hec);
      firehose.createDeliveryStream(b -> b.deliveryStreamName(stream).splunkDestinationConfiguration(s -> s
          .hecEndpoint(hec.url().toString()).hecEndpointType(HECEndpointType.EVENT).hecToken(HecServer.ACK_TOKEN)
          .bufferingHints(h -> h.sizeInMBs(5).intervalInSeconds(1))
          .s3Configuration(c -> c.roleARN(ROLE).bucketARN("arn:aws:s3:::" + stream + "-backup"))));
      awaitActive(stream);
    }

    @Override
    public long count(String name, int n) {
      List<HecServer.Event> events = collectors.get(name).events();
      // all there once every id is (a request sent again adds events twice)
      return events.size() < n ? events.size() : distinctIds(events, n).cardinality();
    }

    private static BitSet distinctIds(List<HecServer.Event> events, int n) {
      BitSet ids = new BitSet();
      for (HecServer.Event e : events) {
        Object event = e.event();
        if (event instanceof JsonObject o && o.getValue("id") instanceof Number id && id.intValue() >= 0
            && id.intValue() < n) {
          ids.set(id.intValue());
        }
      }
      return ids;
    }

    @Override
    public String check(String name, int n) {
      List<HecServer.Event> events = collectors.get(name).events();
      BitSet ids = distinctIds(events, n);
      if (ids.cardinality() != n) {
        throw new AssertionError("HEC has " + ids.cardinality() + " of ids 0.." + (n - 1) + " (" + events.size()
            + " events)");
      }
      long extra = events.size() - n;
      return extra == 0 ? "" : extra + " events twice (Splunk delivery is at least once)";
    }

    @Override
    public long pollMillis() {
      return 100;
    }

    @Override
    public double cpuSeconds() {
      return Double.NaN;
    }

    @Override
    public void close() throws Exception {
      for (HecServer hec : collectors.values()) {
        hec.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }
}
