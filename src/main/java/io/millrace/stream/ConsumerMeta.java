package io.millrace.stream;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A registered (enhanced fan-out) stream consumer. Immutable; published and persisted by {@link StreamRegistry}.
 * Its ARN is AWS's: {@code <stream ARN>/consumer/<name>:<creation epoch seconds>}.
 *
 * @param stream         the stream it reads
 * @param name           unique among the stream's consumers
 * @param createdSeconds creation time in epoch seconds (the ARN's suffix)
 * @param status         lifecycle state
 * @param tags           tag key to value, sorted by key
 */
public record ConsumerMeta(StreamKey stream, String name, long createdSeconds, ConsumerStatus status,
                           Map<String, String> tags) {

  public ConsumerMeta {
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags == null ? Map.of() : tags));
  }

  public String arn() {
    return arn(stream, name, createdSeconds);
  }

  public static String arn(StreamKey stream, String name, long createdSeconds) {
    return stream.arn() + "/consumer/" + name + ":" + createdSeconds;
  }

  public ConsumerMeta withStatus(ConsumerStatus s) {
    return new ConsumerMeta(stream, name, createdSeconds, s, tags);
  }

  public ConsumerMeta withTags(Map<String, String> t) {
    return new ConsumerMeta(stream, name, createdSeconds, status, t);
  }
}
