package io.millrace.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.millrace.testing.KinesisClients;
import io.millrace.testing.Poll;
import io.millrace.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kinesis.source.KinesisStreamsSource;
import org.apache.flink.connector.kinesis.source.config.KinesisStreamsSourceConfigConstants;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.timestamps.BoundedOutOfOrdernessTimestampExtractor;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.time.Time;
import org.apache.flink.streaming.connectors.kinesis.FlinkKinesisConsumer;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Flink jobs against Millrace through Flink's own Kinesis connector (1.19 with flink-connector-kinesis 4.3.0, CBOR on
 * as users get it): each reads a two-shard stream, counts per key in 10-second event-time windows and writes the
 * counts to another Millrace stream with the connector's KinesisStreamsSink; the counts read back must be exact.
 */
class FlinkConnectorIT {

  private TestServer server;
  private KinesisClient kinesis;
  private String endpoint;

  @BeforeEach
  void start() {
    server = TestServer.start(Map.of());
    endpoint = server.endpoint().toString();
    kinesis = KinesisClients.kinesis(server.endpoint());
  }

  @AfterEach
  void stop() {
    kinesis.close();
    server.close();
  }

  private void createStream(String name, int shards) throws InterruptedException {
    kinesis.createStream(b -> b.streamName(name).shardCount(shards));
    Poll.until(name + " ACTIVE", () -> kinesis.describeStreamSummary(b -> b.streamName(name))
        .streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE);
  }

  private static StreamExecutionEnvironment environment() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.getConfig().setAutoWatermarkInterval(100);
    return env;
  }

  /** The counting part of every job, from parsed events to the sink. */
  private void countInto(DataStream<Tuple2<String, Long>> events, String output) {
    events.keyBy(e -> e.f0, Types.STRING)
        .window(TumblingEventTimeWindows.of(Time.milliseconds(WindowedCounts.WINDOW_MILLIS)))
        .aggregate(new WindowedCounts.Count(), new WindowedCounts.Row(), Types.LONG, Types.LONG, Types.STRING)
        .sinkTo(WindowedCounts.sink(endpoint, output));
  }

  private Properties consumerProperties() {
    Properties p = WindowedCounts.clientProperties(endpoint);
    p.setProperty("flink.stream.initpos", "TRIM_HORIZON");
    p.setProperty("flink.shard.getrecords.intervalmillis", "100");
    p.setProperty("flink.shard.discovery.intervalmillis", "1000");
    return p;
  }

  /**
   * Puts 600 events on {@code input} and a tick on each shard, checks that {@code job} writes exactly the expected
   * counts to {@code output}, and cancels the job, whatever happens.
   */
  private void countsAreExact(JobClient job, String input, String output) throws Exception {
    try {
      WindowedCounts.put(kinesis, input, 0, 600, 0);
      WindowedCounts.tickEveryShard(kinesis, input, 60_000);
      Map<String, Long> expected = WindowedCounts.expected(0, 600, 0);
      assertEquals(expected, new TreeMap<>(WindowedCounts.awaitOutput(kinesis, output, expected.size())));
    } finally {
      cancel(job);
    }
  }

  /**
   * Cancels the job and waits until it has stopped, so that nothing of it (an EFO consumer deregistering itself)
   * still talks to the server the test closes next.
   */
  private static void cancel(JobClient job) throws Exception {
    job.cancel().get(30, TimeUnit.SECONDS);
    Poll.until("the job stopped", () -> {
      try {
        return job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState();
      } catch (Exception e) {
        return true; // the job's mini cluster is gone with it
      }
    });
  }

  /** Per-shard watermarks: each shard's own event times, none out of order. */
  private static final class EventTime extends BoundedOutOfOrdernessTimestampExtractor<String> {
    EventTime() {
      super(Time.milliseconds(0));
    }

    @Override
    public long extractTimestamp(String json) {
      return WindowedCounts.keyAndTime(json).f1;
    }
  }

  @Test
  @Timeout(180)
  void a_polling_consumer_counts_every_window_exactly_and_keeps_every_record_through_a_split() throws Exception {
    createStream("clicks", 2);
    createStream("click-counts", 1);
    FlinkKinesisConsumer<String> consumer = new FlinkKinesisConsumer<>("clicks", new SimpleStringSchema(),
        consumerProperties());
    consumer.setPeriodicWatermarkAssigner(new EventTime());
    StreamExecutionEnvironment env = environment();
    countInto(env.addSource(consumer).map(WindowedCounts::keyAndTime).returns(Types.TUPLE(Types.STRING, Types.LONG)),
        "click-counts");
    JobClient job = env.executeAsync("polling windowed counts");
    try {
      WindowedCounts.put(kinesis, "clicks", 0, 300, 0);
      String parent = kinesis.listShards(b -> b.streamName("clicks")).shards().get(0).shardId();
      kinesis.splitShard(b -> b.streamName("clicks").shardToSplit(parent)
          .newStartingHashKey("85070591730234615865843651857942052864"));
      Poll.until("the split done", () -> kinesis.describeStreamSummary(b -> b.streamName("clicks"))
          .streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE);
      WindowedCounts.put(kinesis, "clicks", 300, 600, 0);
      WindowedCounts.tickEveryShard(kinesis, "clicks", 60_000);

      Map<String, Long> expected = WindowedCounts.expected(0, 600, 0);
      assertEquals(expected, new TreeMap<>(WindowedCounts.awaitOutput(kinesis, "click-counts", expected.size())));
    } finally {
      cancel(job);
    }
  }

  @Test
  @Timeout(180)
  void an_efo_consumer_registers_itself_subscribes_over_h2c_and_counts_every_window_exactly() throws Exception {
    createStream("views", 2);
    createStream("view-counts", 1);
    Properties p = consumerProperties();
    p.setProperty("flink.stream.recordpublisher", "EFO");
    p.setProperty("flink.stream.efo.consumername", "flink-efo");
    FlinkKinesisConsumer<String> consumer = new FlinkKinesisConsumer<>("views", new SimpleStringSchema(), p);
    consumer.setPeriodicWatermarkAssigner(new EventTime());
    StreamExecutionEnvironment env = environment();
    countInto(env.addSource(consumer).map(WindowedCounts::keyAndTime).returns(Types.TUPLE(Types.STRING, Types.LONG)),
        "view-counts");
    JobClient job = env.executeAsync("EFO windowed counts");
    String streamArn = kinesis.describeStreamSummary(b -> b.streamName("views")).streamDescriptionSummary()
        .streamARN();
    try {
      Poll.until("the connector's consumer registered", () -> kinesis.listStreamConsumers(b -> b.streamARN(streamArn))
          .consumers().stream().anyMatch(c -> c.consumerName().equals("flink-efo")));
    } catch (InterruptedException | AssertionError e) {
      cancel(job);
      throw e;
    }
    countsAreExact(job, "views", "view-counts");
  }

  @Test
  @Timeout(180)
  void the_flip_27_source_by_stream_arn_counts_every_window_exactly() throws Exception {
    createStream("taps", 2);
    createStream("tap-counts", 1);
    Configuration config = new Configuration();
    WindowedCounts.clientProperties(endpoint).forEach((k, v) -> config.setString((String) k, (String) v));
    config.set(KinesisStreamsSourceConfigConstants.STREAM_INITIAL_POSITION,
        KinesisStreamsSourceConfigConstants.InitialPosition.TRIM_HORIZON);
    config.set(KinesisStreamsSourceConfigConstants.SHARD_DISCOVERY_INTERVAL_MILLIS, 1000L);
    String arn = kinesis.describeStreamSummary(b -> b.streamName("taps")).streamDescriptionSummary().streamARN();
    KinesisStreamsSource<String> source = KinesisStreamsSource.<String>builder().setStreamArn(arn)
        .setSourceConfig(config).setDeserializationSchema(new SimpleStringSchema()).build();
    StreamExecutionEnvironment env = environment();
    countInto(env.fromSource(source, WatermarkStrategy.<String>forMonotonousTimestamps()
            .withTimestampAssigner((json, previous) -> WindowedCounts.keyAndTime(json).f1), "taps", Types.STRING)
        .map(WindowedCounts::keyAndTime).returns(Types.TUPLE(Types.STRING, Types.LONG)), "tap-counts");
    JobClient job = env.executeAsync("FLIP-27 windowed counts");
    countsAreExact(job, "taps", "tap-counts");
  }

  @Test
  @Timeout(180)
  void a_flink_sql_job_with_the_kinesis_table_connector_counts_every_window_exactly() throws Exception {
    createStream("sql-clicks", 1);
    createStream("sql-counts", 1);
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    sql.getConfig().set("table.local-time-zone", "UTC");
    sql.getConfig().set("parallelism.default", "1");
    String aws = "'aws.region' = 'us-east-1', 'aws.endpoint' = '" + endpoint + "', 'aws.credentials.provider' = "
        + "'BASIC', 'aws.credentials.basic.accesskeyid' = 'flink', 'aws.credentials.basic.secretkey' = 'flink'";
    sql.executeSql("CREATE TABLE clicks (`key` STRING, ts BIGINT, event_time AS TO_TIMESTAMP_LTZ(ts, 3), "
        + "WATERMARK FOR event_time AS event_time) WITH ('connector' = 'kinesis', 'stream' = 'sql-clicks', "
        + "'format' = 'json', 'scan.stream.initpos' = 'TRIM_HORIZON', "
        + "'scan.shard.getrecords.intervalmillis' = '100', " + aws + ")");
    sql.executeSql("CREATE TABLE counts (`key` STRING, windowStart BIGINT, `count` BIGINT) WITH ('connector' = "
        + "'kinesis', 'stream' = 'sql-counts', 'format' = 'json', 'sink.flush-buffer.timeout' = '200', " + aws + ")");
    TableResult running = sql.executeSql("INSERT INTO counts SELECT `key`, 1000 * UNIX_TIMESTAMP(DATE_FORMAT("
        + "window_start, 'yyyy-MM-dd HH:mm:ss')), COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(event_time), "
        + "INTERVAL '10' SECOND)) GROUP BY `key`, window_start, window_end");
    JobClient job = running.getJobClient().orElseThrow();
    countsAreExact(job, "sql-clicks", "sql-counts");
  }
}
