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
import java.math.BigInteger;
import java.time.Duration;

/**
 * Many shards: {@code streams} x {@code shards} shards (default 4 x 500 = 2,000), every PutRecords request writing
 * one 1 KiB record to each shard of a stream (explicit hash keys). Run it with {@code many-shards.sh}, which starts
 * the server with a 512 MiB heap and records its peak heap and RSS.
 */
public class ManyShardsSimulation extends Simulation {

  private static final int STREAMS = Kinesis.intProperty("streams", 4);
  private static final int SHARDS = Kinesis.intProperty("shards", 500);
  private static final int USERS = Kinesis.intProperty("users", 8);
  private static final int SECONDS = Kinesis.intProperty("seconds", 30);
  private static final Meter METER = new Meter("records acknowledged");
  private static final String[] BODIES = new String[STREAMS];

  private final ScenarioBuilder producers = scenario("PutRecords to every shard")
      .during(Duration.ofSeconds(SECONDS)).on(
          http("PutRecords").post("/")
              .header("X-Amz-Target", "Kinesis_20131202.PutRecords")
              .body(StringBody(session -> BODIES[(int) (session.userId() % STREAMS)]))
              .check(status().is(200), jmesPath("FailedRecordCount").ofInt().is(0)),
          exec(session -> {
            if (!session.isFailed()) {
              METER.add(Math.min(SHARDS, 500));
            }
            return session;
          }));

  @Override
  public void before() {
    BigInteger space = BigInteger.ONE.shiftLeft(128);
    for (int s = 0; s < STREAMS; s++) {
      String stream = "many-" + s;
      Kinesis.freshStream(stream, SHARDS);
      StringBuilder body = new StringBuilder("{\"StreamName\":\"").append(stream).append("\",\"Records\":[");
      for (int shard = 0; shard < Math.min(SHARDS, 500); shard++) {
        String hash = space.multiply(BigInteger.valueOf(shard)).divide(BigInteger.valueOf(SHARDS)).toString();
        body.append(shard == 0 ? "" : ",").append("{\"Data\":\"").append(Kinesis.randomBase64(1024))
            .append("\",\"PartitionKey\":\"k").append(shard).append("\",\"ExplicitHashKey\":\"").append(hash)
            .append("\"}");
      }
      BODIES[s] = body.append("]}").toString();
    }
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
