package io.millrace.firehose;

import java.util.Map;

/**
 * One record on its way to a destination, after the processors ran.
 *
 * @param data          the bytes delivered
 * @param arrivalMillis when the delivery stream accepted it (the original record's time)
 * @param partitionKeys its dynamic-partitioning keys (from a query or a Lambda function), or empty
 */
public record FirehoseRecord(byte[] data, long arrivalMillis, Map<String, String> partitionKeys) {

  public FirehoseRecord {
    partitionKeys = partitionKeys == null ? Map.of() : Map.copyOf(partitionKeys);
  }

  public FirehoseRecord(byte[] data, long arrivalMillis) {
    this(data, arrivalMillis, Map.of());
  }
}
