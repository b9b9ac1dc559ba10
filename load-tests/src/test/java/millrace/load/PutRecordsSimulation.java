package millrace.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * PutRecords of 500 x 1 KiB records by {@code users} concurrent producers for {@code seconds}.
 * Records/s = the reported requests/s x 500. Every request must succeed with FailedRecordCount 0.
 *
 * <pre>mvn -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.PutRecordsSimulation
 *   -Dusers=16 -Dseconds=30 -Dshards=4</pre>
 */
public class PutRecordsSimulation extends Simulation {

  private static final String STREAM = "load-put-records";
  private static final int USERS = Kinesis.intProperty("users", 16);
  private static final int SECONDS = Kinesis.intProperty("seconds", 30);
  private static final int SHARDS = Kinesis.intProperty("shards", 4);
  private static final int RECORDS = Kinesis.intProperty("records", 500);
  private static final int RECORD_BYTES = Kinesis.intProperty("recordBytes", 1024);

  private static final Meter METER = new Meter("records acknowledged");

  /** A few distinct bodies, so partition keys vary between requests without building bodies under load. */
  private static final String[] BODIES = new String[8];

  static {
    for (int i = 0; i < BODIES.length; i++) {
      BODIES[i] = Kinesis.putRecordsBody(STREAM, RECORDS, RECORD_BYTES);
    }
  }

  private final ScenarioBuilder producers = scenario("PutRecords " + RECORDS + " x " + RECORD_BYTES + " B")
      .during(Duration.ofSeconds(SECONDS)).on(
          http("PutRecords").post("/")
              .header("X-Amz-Target", "Kinesis_20131202.PutRecords")
              .body(StringBody(session -> BODIES[(int) (session.userId() % BODIES.length)]))
              .check(status().is(200), jmesPath("FailedRecordCount").ofInt().is(0)),
          exec(session -> {
            if (!session.isFailed()) {
              METER.add(RECORDS);
            }
            return session;
          }));

  @Override
  public void before() {
    Kinesis.freshStream(STREAM, SHARDS);
    METER.start();
  }

  @Override
  public void after() {
    METER.report();
  }

  {
    setUp(producers.injectOpen(atOnceUsers(USERS)))
        .protocols(Kinesis.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}
