package io.millrace.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlinkRunnerTest {

  private static final String M2 = "/home/u/.m2/repository/";
  private static final List<String> CLASSPATH = List.of(
      M2 + "org/apache/flink/flink-runtime/1.19.3/flink-runtime-1.19.3.jar",
      M2 + "org/apache/flink/flink-connector-kinesis/4.3.0-1.19/flink-connector-kinesis-4.3.0-1.19.jar",
      M2 + "org/apache/flink/flink-table-runtime/1.19.3/flink-table-runtime-1.19.3.jar",
      M2 + "org/apache/flink/flink-connector-aws-kinesis-firehose/4.3.0-1.19/"
          + "flink-connector-aws-kinesis-firehose-4.3.0-1.19.jar",
      M2 + "software/amazon/awssdk/firehose/2.57.8/firehose-2.57.8.jar",
      M2 + "io/netty/netty-codec-http2/4.2.9.Final/netty-codec-http2-4.2.9.Final.jar",
      M2 + "com/fasterxml/jackson/core/jackson-databind/2.18.2/jackson-databind-2.18.2.jar",
      M2 + "com/esotericsoftware/kryo/kryo/2.24.0/kryo-2.24.0.jar");

  @Test
  void a_cluster_gets_the_connectors_and_their_libraries_with_each_job_and_has_flink_itself() {
    assertEquals(List.of(CLASSPATH.get(1), CLASSPATH.get(3), CLASSPATH.get(4), CLASSPATH.get(5), CLASSPATH.get(6)),
        FlinkRunner.shipped(CLASSPATH));
    assertEquals(List.of(CLASSPATH.get(0), CLASSPATH.get(2), CLASSPATH.get(7)), FlinkRunner.distribution(CLASSPATH));
  }
}
