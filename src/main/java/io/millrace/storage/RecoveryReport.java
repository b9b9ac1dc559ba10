package io.millrace.storage;

/**
 * What recovery of one shard log found when it was opened.
 *
 * @param recordsRecovered  records found intact (counted from trusted index files for segments opened from them)
 * @param recordsDropped    records (complete or torn) removed from the tail because they failed their CRC or were
 *                          cut short
 * @param bytesDropped      bytes truncated from the tail segment
 * @param detail            a human-readable reason, empty when nothing was dropped
 * @param segmentsFromIndex sealed segments opened from their index file, without reading their records
 * @param segmentsScanned   segments whose records were all read and checked from the first one (includes the last
 *                          segment unless it was opened from its checkpoint)
 * @param indexesWritten    index files recovery wrote because one was missing, stale or corrupt
 * @param activeFromCheckpoint the last (active) segment was opened from its checkpoint: its records up to the
 *                          checkpoint were trusted, only those after it (if any) were scanned
 * @param bytesTrusted      record bytes (segment headers excluded) vouched for by index files and the checkpoint,
 *                          not read
 * @param bytesScanned      record bytes read and checked record by record: whole scanned segments and the part of
 *                          the last segment after its checkpoint, up to the file's end (dropped tail included)
 */
public record RecoveryReport(long recordsRecovered, long recordsDropped, long bytesDropped, String detail,
                             int segmentsFromIndex, int segmentsScanned, int indexesWritten,
                             boolean activeFromCheckpoint, long bytesTrusted, long bytesScanned) {

  /** A report that says nothing about segments (an implementation without segment files). */
  public RecoveryReport(long recordsRecovered, long recordsDropped, long bytesDropped, String detail) {
    this(recordsRecovered, recordsDropped, bytesDropped, detail, 0, 0, 0, false, 0, 0);
  }

  public static RecoveryReport clean(long recordsRecovered) {
    return new RecoveryReport(recordsRecovered, 0, 0, "");
  }

  public boolean droppedAnything() {
    return bytesDropped > 0 || recordsDropped > 0;
  }
}
