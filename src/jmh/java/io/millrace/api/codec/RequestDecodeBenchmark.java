package io.millrace.api.codec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.api.model.Requests.PutRecordsRequest;
import java.io.IOException;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What reading a PutRecords body costs (not a test; compiled only with {@code -Pjmh}, see README "Request decoding
 * benchmark").
 * {@code shapeReader} is the server's path: one streaming read that checks every member's type as Kinesis does
 * ({@link ShapeReader}, base64 included) and builds the record. {@code jacksonOnly} binds the same bytes straight to the record,
 * with none of Kinesis's checks: the floor the checks add to. Bodies of {@code records} entries of
 * {@code recordBytes} random data bytes, in JSON or CBOR. Scores are requests per second.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class RequestDecodeBenchmark {

  @Param({"JSON", "CBOR"})
  public WireFormat format;

  @Param({"500"})
  public int records;

  @Param({"1024"})
  public int recordBytes;

  private byte[] body;

  @Setup
  public void body() throws IOException {
    Random random = new Random(1);
    ObjectNode tree = Mappers.of(format).createObjectNode();
    tree.put("StreamName", "bench");
    ArrayNode entries = tree.putArray("Records");
    for (int i = 0; i < records; i++) {
      byte[] data = new byte[recordBytes];
      random.nextBytes(data);
      ObjectNode e = entries.addObject();
      e.put("PartitionKey", "key-" + i);
      if (format == WireFormat.JSON) {
        e.put("Data", Base64.getEncoder().encodeToString(data));
      } else {
        e.put("Data", data);
      }
    }
    body = Mappers.of(format).writeValueAsBytes(tree);
  }

  @Benchmark
  public PutRecordsRequest shapeReader() {
    return ShapeReader.read(body, format, PutRecordsRequest.class);
  }

  @Benchmark
  public PutRecordsRequest jacksonOnly() throws IOException {
    return Mappers.of(format).readValue(body, PutRecordsRequest.class);
  }
}
