package io.millrace.storage;

/**
 * What recovery of one shard log found when it was opened.
 *
 * @param recordsRecovered records found intact
 * @param recordsDropped   records (complete or torn) removed from the tail because they failed their CRC or were
 *                         cut short
 * @param bytesDropped     bytes truncated from the tail segment
 * @param detail           a human-readable reason, empty when nothing was dropped
 */
public record RecoveryReport(long recordsRecovered, long recordsDropped, long bytesDropped, String detail) {

  public static RecoveryReport clean(long recordsRecovered) {
    return new RecoveryReport(recordsRecovered, 0, 0, "");
  }

  public boolean droppedAnything() {
    return bytesDropped > 0 || recordsDropped > 0;
  }
}
