package millrace.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * GetRecords from one shard holding {@code records} records of {@code recordBytes}: {@code users} readers each read
 * the whole shard from TRIM_HORIZON again and again for {@code seconds}, {@code limit} records per call.
 * Records/s = the reported requests/s x the records per call (a full shard read is records/limit calls).
 *
 * <pre>mvn -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.GetRecordsSimulation
 *   -Dusers=2 -Drecords=200000</pre>
 */
public class GetRecordsSimulation extends Simulation {

  private static final String STREAM = "load-get-records";
  private static final int USERS = Kinesis.intProperty("users", 2);
  private static final int SECONDS = Kinesis.intProperty("seconds", 30);
  private static final int RECORDS = Kinesis.intProperty("records", 200_000);
  private static final int RECORD_BYTES = Kinesis.intProperty("recordBytes", 100);
  private static final int LIMIT = Kinesis.intProperty("limit", 10_000);

  private static final Meter METER = new Meter("records read");

  private static final String ITERATOR = "{\"StreamName\":\"" + STREAM
      + "\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}";

  private final ScenarioBuilder readers = scenario("GetRecords")
      .during(Duration.ofSeconds(SECONDS)).on(
          exec(session -> session.set("returned", -1)),
          http("GetShardIterator").post("/")
              .header("X-Amz-Target", "Kinesis_20131202.GetShardIterator")
              .body(StringBody(ITERATOR))
              .check(status().is(200), jmesPath("ShardIterator").saveAs("iterator")),
          asLongAs(session -> session.getInt("returned") != 0, "pages")
              .on(http("GetRecords").post("/")
                  .header("X-Amz-Target", "Kinesis_20131202.GetRecords")
                  .body(StringBody(session -> "{\"ShardIterator\":\"" + session.getString("iterator")
                      + "\",\"Limit\":" + LIMIT + "}"))
                  .check(status().is(200), jmesPath("NextShardIterator").saveAs("iterator"),
                      jmesPath("length(Records)").ofInt().saveAs("returned")),
                  exec(session -> {
                    METER.add(session.getInt("returned"));
                    return session;
                  })));

  @Override
  public void before() {
    Kinesis.freshStream(STREAM, 1);
    for (int put = 0; put < RECORDS; put += 500) {
      Kinesis.call("PutRecords", Kinesis.putRecordsBody(STREAM, Math.min(500, RECORDS - put), RECORD_BYTES));
    }
    METER.start();
  }

  @Override
  public void after() {
    METER.report();
  }

  {
    setUp(readers.injectOpen(atOnceUsers(USERS)))
        .protocols(Kinesis.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}
