package millrace.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * PutRecord of one {@code recordBytes} record (default 100 B) by {@code users} concurrent producers for
 * {@code seconds}; the reported requests/s is the figure.
 *
 * <pre>mvn -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.PutRecordSimulation -Dusers=64</pre>
 */
public class PutRecordSimulation extends Simulation {

  private static final String STREAM = "load-put-record";
  private static final int USERS = Kinesis.intProperty("users", 64);
  private static final int SECONDS = Kinesis.intProperty("seconds", 30);
  private static final int SHARDS = Kinesis.intProperty("shards", 4);
  private static final String DATA = Kinesis.randomBase64(Kinesis.intProperty("recordBytes", 100));
  private static final Meter METER = new Meter("requests acknowledged");

  private final ScenarioBuilder producers = scenario("PutRecord")
      .during(Duration.ofSeconds(SECONDS)).on(
          http("PutRecord").post("/")
              .header("X-Amz-Target", "Kinesis_20131202.PutRecord")
              .body(StringBody(session -> "{\"StreamName\":\"" + STREAM + "\",\"Data\":\"" + DATA
                  + "\",\"PartitionKey\":\"" + session.userId() + "-" + System.nanoTime() + "\"}"))
              .check(status().is(200)),
          exec(session -> {
            if (!session.isFailed()) {
              METER.add(1);
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
