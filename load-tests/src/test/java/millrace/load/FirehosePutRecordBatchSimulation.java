package millrace.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Firehose PutRecordBatch of 500 x 1 KiB records by {@code users} concurrent producers for {@code seconds}, into a
 * delivery stream whose destination is S3: the embedded S3 (files under the server's data directory) unless the
 * server was started with an {@code s3Endpoint}.
 *
 * <p>Normally every request must answer 200 (records refused per entry are counted and reported); after the load it
 * waits until every accepted record is delivered, exactly once, and prints the records accepted per second, the records delivered per second (from the first put to the
 * last record's delivery, read from {@code firehose_DeliveryToS3_Records_total}) and, given the server's pid, the
 * server's CPU per 1,000 records.
 *
 * <p>With {@code -DdestinationDown=true} (start the server with {@code --s3-endpoint} naming a port nothing listens
 * on) nothing can be delivered: records are accepted until the delivery stream's disk budget is full, then refused
 * per entry (ServiceUnavailableException). It prints the records accepted and refused, the bytes waiting on disk,
 * and the server's memory: resident, and heap after a full GC (needs the pid, and {@code jcmd} on the PATH).
 *
 * <pre>mvn -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.FirehosePutRecordBatchSimulation
 *   -Dusers=16 -Dseconds=30 -DsizeInMBs=5 -Dmillrace.pid=$(pgrep -f target/millrace.jar)</pre>
 */
public class FirehosePutRecordBatchSimulation extends Simulation {

  private static final String STREAM = "load-firehose";
  private static final int USERS = Kinesis.intProperty("users", 16);
  private static final int SECONDS = Kinesis.intProperty("seconds", 30);
  private static final int RECORDS = Kinesis.intProperty("records", 500);
  private static final int RECORD_BYTES = Kinesis.intProperty("recordBytes", 1024);
  private static final int SIZE_IN_MBS = Kinesis.intProperty("sizeInMBs", 5);
  private static final boolean DESTINATION_DOWN = Boolean.getBoolean("destinationDown");
  /** How long the delivery of the backlog may take after the load stops. */
  private static final Duration DRAIN_LIMIT = Duration.ofMinutes(5);

  private static final Meter METER = new Meter("records acknowledged");
  private static final LongAdder ACCEPTED = new LongAdder();
  private static final LongAdder REFUSED = new LongAdder();
  private static final String[] BODIES = new String[8];
  private static volatile long startNanos;
  private static volatile double startCpu;

  static {
    for (int i = 0; i < BODIES.length; i++) {
      BODIES[i] = batchBody();
    }
  }

  private final ScenarioBuilder producers = scenario("PutRecordBatch " + RECORDS + " x " + RECORD_BYTES + " B")
      .during(Duration.ofSeconds(SECONDS), "i", false).on(
          http("PutRecordBatch").post("/")
              .header("X-Amz-Target", "Firehose_20150804.PutRecordBatch")
              .body(StringBody(session -> BODIES[(int) (session.userId() % BODIES.length)]))
              .check(status().is(200), jmesPath("FailedPutCount").ofInt().saveAs("failed")),
          exec(session -> {
            if (session.contains("failed")) { // this request's answer (a failed status check saves nothing)
              int failed = session.getInt("failed");
              METER.add(RECORDS - failed);
              ACCEPTED.add(RECORDS - failed);
              REFUSED.add(failed);
            }
            return session.remove("failed");
          }));

  private static String batchBody() {
    StringBuilder b = new StringBuilder("{\"DeliveryStreamName\":\"").append(STREAM).append("\",\"Records\":[");
    for (int i = 0; i < RECORDS; i++) {
      b.append(i > 0 ? "," : "").append("{\"Data\":\"").append(Kinesis.randomBase64(RECORD_BYTES)).append("\"}");
    }
    return b.append("]}").toString();
  }

  @Override
  public void before() {
    try {
      Kinesis.firehose("DeleteDeliveryStream", "{\"DeliveryStreamName\":\"" + STREAM + "\"}");
    } catch (IllegalStateException notThere) {
      // a fresh server
    }
    Kinesis.firehose("CreateDeliveryStream", "{\"DeliveryStreamName\":\"" + STREAM + "\","
        + "\"ExtendedS3DestinationConfiguration\":{\"RoleARN\":\"arn:aws:iam::000000000000:role/load\","
        + "\"BucketARN\":\"arn:aws:s3:::" + STREAM + "\",\"BufferingHints\":{\"SizeInMBs\":" + SIZE_IN_MBS
        + ",\"IntervalInSeconds\":1}}}");
    startCpu = ServerProcess.cpuSeconds();
    startNanos = System.nanoTime();
    METER.start();
  }

  @Override
  public void after() {
    METER.report();
    if (DESTINATION_DOWN) {
      reportMemory();
    } else {
      reportDelivery();
    }
  }

  private static void reportDelivery() {
    long accepted = ACCEPTED.sum();
    if (REFUSED.sum() > 0) {
      System.out.printf(">>> %,d records were refused (the delivery stream's disk budget was full: delivery fell "
          + "behind)%n", REFUSED.sum());
    }
    long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
    long delivered = (long) metric("firehose_DeliveryToS3_Records_total{DeliveryStreamName=\"" + STREAM + "\"");
    double loadSeconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf(">>> delivered while producing: %,d records = %,.0f per second; %.0f MiB waiting when the load "
        + "stopped%n", delivered, delivered / loadSeconds,
        metric("firehose_BufferedBytes{DeliveryStreamName=\"" + STREAM + "\"") / (1 << 20));
    while (delivered < accepted && System.nanoTime() < deadline) {
      pause();
      delivered = (long) metric("firehose_DeliveryToS3_Records_total{DeliveryStreamName=\"" + STREAM + "\"");
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double cpu = ServerProcess.cpuSeconds() - startCpu;
    System.out.printf(">>> records delivered to S3: %,d of %,d accepted, in %.1f s = %,.0f per second%n",
        delivered, accepted, seconds, delivered / seconds);
    if (ServerProcess.known()) {
      System.out.printf(">>> server CPU: %.1f s = %.2f ms per 1,000 records (%,.0f records per CPU-second)%n%n",
          cpu, cpu * 1e6 / delivered, delivered / cpu);
    }
    if (delivered != accepted) {
      throw new IllegalStateException(delivered + " records were delivered of " + accepted + " accepted, after "
          + "waiting at most " + DRAIN_LIMIT);
    }
  }

  private static void reportMemory() {
    double buffered = metric("firehose_BufferedBytes{DeliveryStreamName=\"" + STREAM + "\"");
    System.out.printf(">>> destination down: %,d records accepted, %,d refused; %.1f MiB waiting on disk%n",
        ACCEPTED.sum(), REFUSED.sum(), buffered / (1 << 20));
    if (ServerProcess.known()) {
      long rss = ServerProcess.rssBytes();
      ServerProcess.fullGc();
      double heap = metric("jvm_memory_used_bytes{area=\"heap\"");
      System.out.printf(">>> server memory: resident %.0f MiB; heap after a full GC %.1f MiB%n%n",
          rss / (double) (1 << 20), heap / (1 << 20));
    }
  }

  /** The sum of the values of the /metrics lines that start with {@code prefix}. */
  private static double metric(String prefix) {
    double sum = 0;
    for (String line : Kinesis.metrics().split("\n")) {
      if (line.startsWith(prefix)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static void pause() {
    try {
      Thread.sleep(200); // polling another process's counter; there is no event to await across processes
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  {
    setUp(producers.injectOpen(atOnceUsers(USERS)))
        .protocols(Kinesis.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}
