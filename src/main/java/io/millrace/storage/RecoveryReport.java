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
 * @param segmentsScanned   segments whose records were all read and checked (always includes the last one)
 * @param indexesWritten    index files recovery wrote because one was missing, stale or corrupt
 */
public record RecoveryReport(long recordsRecovered, long recordsDropped, long bytesDropped, String detail,
                             int segmentsFromIndex, int segmentsScanned, int indexesWritten) {

  /** A report that says nothing about segments (an implementation without segment files). */
  public RecoveryReport(long recordsRecovered, long recordsDropped, long bytesDropped, String detail) {
    this(recordsRecovered, recordsDropped, bytesDropped, detail, 0, 0, 0);
  }

  public static RecoveryReport clean(long recordsRecovered) {
    return new RecoveryReport(recordsRecovered, 0, 0, "");
  }

  public boolean droppedAnything() {
    return bytesDropped > 0 || recordsDropped > 0;
  }
}
