package io.millrace.stream;

/** A stream's lifecycle state, named as on the wire. */
public enum StreamStatus {
  CREATING, DELETING, ACTIVE, UPDATING;

  /** Whether the data plane (PutRecord(s), GetShardIterator, GetRecords) serves the stream. */
  public boolean readableAndWritable() {
    return this == ACTIVE || this == UPDATING;
  }
}
