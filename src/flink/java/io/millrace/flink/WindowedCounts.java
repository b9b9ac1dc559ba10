package io.millrace.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.testing.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.kinesis.sink.KinesisStreamsSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * The workload every Flink test computes: events {@code {"key":"k<n>","ts":<epoch ms>}} on a multi-shard stream,
 * counted per key in 10-second event-time tumbling windows, the counts written to an output stream as
 * {@code {"key":...,"windowStart":...,"count":...}}; and what those counts must be. Records go to every shard, and a
 * final tick per shard (an event a minute later) moves every shard's watermark past the last window.
 */
final class WindowedCounts {

  static final ObjectMapper JSON = new ObjectMapper();
  /** The first event's time: a window boundary. */
  static final long BASE = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
  static final long WINDOW_MILLIS = 10_000;

  private WindowedCounts() {}

  /** Event {@code i} of a run: keys k0..k2 in turn, 50 ms apart, from {@link #BASE} plus {@code offsetMillis}. */
  static String event(int i, long offsetMillis) {
    return "{\"key\":\"k" + (i % 3) + "\",\"ts\":" + (BASE + offsetMillis + i * 50L) + "}";
  }

  /** Puts events [from, to) with partition keys spread over the shards. */
  static void put(KinesisClient kinesis, String stream, int from, int to, long offsetMillis) {
    for (int start = from; start < to; start += 500) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (int i = start; i < Math.min(to, start + 500); i++) {
        entries.add(PutRecordsRequestEntry.builder().partitionKey("p" + i)
            .data(SdkBytes.fromUtf8String(event(i, offsetMillis))).build());
      }
      int failed = kinesis.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount();
      if (failed != 0) {
        throw new IllegalStateException(failed + " records refused");
      }
    }
  }

  /** A tick on every open shard: an event {@code afterMillis} after {@link #BASE}, which closes earlier windows. */
  static void tickEveryShard(KinesisClient kinesis, String stream, long afterMillis) {
    kinesis.listShards(b -> b.streamName(stream)).shards().stream()
        .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null)
        .forEach(s -> kinesis.putRecord(b -> b.streamName(stream).partitionKey("tick")
            .explicitHashKey(new BigInteger(s.hashKeyRange().startingHashKey()).toString())
            .data(SdkBytes.fromUtf8String("{\"key\":\"tick\",\"ts\":" + (BASE + afterMillis) + "}"))));
  }

  /** The counts events [from, to) make: "key@windowStart" to count. */
  static Map<String, Long> expected(int from, int to, long offsetMillis) {
    Map<String, Long> counts = new TreeMap<>();
    for (int i = from; i < to; i++) {
      JsonNode e = parse(event(i, offsetMillis));
      long ts = e.get("ts").asLong();
      counts.merge(e.get("key").asText() + "@" + (ts - Math.floorMod(ts, WINDOW_MILLIS)), 1L, Long::sum);
    }
    return counts;
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the output stream's one shard until it holds {@code rows} rows; "key@windowStart" to count. */
  static Map<String, Long> awaitOutput(KinesisClient kinesis, String stream, int rows) throws InterruptedException {
    String shard = kinesis.listShards(b -> b.streamName(stream)).shards().get(0).shardId();
    String[] iterator = {kinesis.getShardIterator(b -> b.streamName(stream).shardId(shard)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator()};
    Map<String, Long> seen = new TreeMap<>();
    List<String> duplicates = new ArrayList<>();
    Poll.until(rows + " windowed counts in " + stream, () -> {
      GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(iterator[0]));
      iterator[0] = r.nextShardIterator();
      r.records().forEach(rec -> {
        JsonNode row = parse(rec.data().asUtf8String());
        String at = row.get("key").asText() + "@" + row.get("windowStart").asLong();
        if (seen.put(at, row.get("count").asLong()) != null) {
          duplicates.add(at);
        }
      });
      return seen.size() >= rows;
    });
    if (!duplicates.isEmpty()) {
      throw new AssertionError("windows written twice: " + duplicates);
    }
    return seen;
  }

  /** The client properties the connector's consumer and sink take, for a server at {@code endpoint}. */
  static Properties clientProperties(String endpoint) {
    Properties p = new Properties();
    p.setProperty("aws.region", "us-east-1");
    p.setProperty("aws.endpoint", endpoint);
    p.setProperty("aws.credentials.provider", "BASIC");
    p.setProperty("aws.credentials.provider.basic.accesskeyid", "flink");
    p.setProperty("aws.credentials.provider.basic.secretkey", "flink");
    return p;
  }

  /** The sink of every DataStream test: the rows to {@code stream}, flushed within 200 ms. */
  static KinesisStreamsSink<String> sink(String endpoint, String stream) {
    return KinesisStreamsSink.<String>builder().setKinesisClientProperties(clientProperties(endpoint))
        .setSerializationSchema(new SimpleStringSchema()).setPartitionKeyGenerator(row -> "out")
        .setStreamName(stream).setMaxTimeInBufferMS(200).build();
  }

  /** An event as the jobs carry it: (key, event time). */
  static Tuple2<String, Long> keyAndTime(String json) {
    JsonNode e = parse(json);
    return Tuple2.of(e.get("key").asText(), e.get("ts").asLong());
  }

  /** Counts a window's events. */
  static final class Count implements AggregateFunction<Tuple2<String, Long>, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Tuple2<String, Long> value, Long acc) {
      return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  /** Writes a window's count as a row. */
  static final class Row extends ProcessWindowFunction<Long, String, String, TimeWindow> {
    @Override
    public void process(String key, Context context, Iterable<Long> counts, Collector<String> out) {
      out.collect("{\"key\":\"" + key + "\",\"windowStart\":" + context.window().getStart() + ",\"count\":"
          + counts.iterator().next() + "}");
    }
  }
}
