package io.millrace.config;

/**
 * When an appended record counts as acknowledged.
 *
 * <ul>
 *   <li>{@link #ALWAYS}: the producer gets its sequence number only after the record's segment was fsynced (group
 *       commit: every append waiting at that moment shares one fsync). Loss window: none.</li>
 *   <li>{@link #INTERVAL}: acknowledged once written to the OS page cache; a timer fsyncs every
 *       {@code fsyncIntervalMillis}. Loss window: that interval, on power loss or kernel crash (a process crash alone
 *       loses nothing, the page cache survives it).</li>
 *   <li>{@link #NONE}: acknowledged once written to the page cache, fsynced only on segment roll and shutdown.
 *       Loss window: whatever the OS had not written back at a power loss.</li>
 * </ul>
 */
public enum Durability {
  ALWAYS, INTERVAL, NONE
}
