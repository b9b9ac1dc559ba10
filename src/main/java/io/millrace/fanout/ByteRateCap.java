package io.millrace.fanout;

/**
 * A cap on bytes sent per second, over a sliding window: whatever the instant {@code t}, the bytes recorded in
 * {@code (t - 1 s, t]} never exceed {@code maxBytesPerSecond} (AWS gives each consumer 2 MiB/s per shard).
 *
 * <p>The window is kept as a ring of 10 ms slots, so memory is fixed whatever the event rate. Counting whole slots
 * over-counts by at most one slot (10 ms) at the old end of the window, which only makes the cap stricter.
 *
 * <p>One exception keeps a stream moving: a single batch larger than the whole cap (one record bigger than it) may be
 * sent when nothing else was sent in the window, so the cap is then exceeded by that one batch only.
 *
 * <p>Pure and single-threaded: the caller passes the time (epoch or monotonic milliseconds, never going back).
 */
public final class ByteRateCap {

  static final long SLOT_MILLIS = 10;
  /** Slots counted: the current one plus the 100 before it cover every instant of the last second. */
  static final int SLOTS = 101;

  private final long maxBytesPerSecond;
  private final long[] slotIds = new long[SLOTS];
  private final long[] slotBytes = new long[SLOTS];

  /** @param maxBytesPerSecond the cap, in bytes per second; must be at least 1 */
  public ByteRateCap(long maxBytesPerSecond) {
    if (maxBytesPerSecond < 1) {
      throw new IllegalArgumentException("maxBytesPerSecond must be at least 1, was " + maxBytesPerSecond);
    }
    this.maxBytesPerSecond = maxBytesPerSecond;
    java.util.Arrays.fill(slotIds, Long.MIN_VALUE);
  }

  public long maxBytesPerSecond() {
    return maxBytesPerSecond;
  }

  /** Bytes that may be sent at {@code nowMillis} without exceeding the cap (0 if none). */
  public long allowance(long nowMillis) {
    return Math.max(0, maxBytesPerSecond - inWindow(nowMillis));
  }

  /** Whether a batch of {@code bytes} may be sent at {@code nowMillis} (see the exception for oversized batches). */
  public boolean fits(long nowMillis, long bytes) {
    long used = inWindow(nowMillis);
    return used + bytes <= maxBytesPerSecond || used == 0;
  }

  /** Counts {@code bytes} as sent at {@code nowMillis}. */
  public void sent(long nowMillis, long bytes) {
    long id = Math.floorDiv(nowMillis, SLOT_MILLIS);
    int i = (int) Math.floorMod(id, (long) SLOTS);
    if (slotIds[i] != id) {
      slotIds[i] = id;
      slotBytes[i] = 0;
    }
    slotBytes[i] += bytes;
  }

  /**
   * Milliseconds from {@code nowMillis} until a batch of {@code bytes} {@link #fits}: 0 if it fits now, otherwise the
   * time until enough old slots have left the window (at least 1).
   */
  public long waitMillis(long nowMillis, long bytes) {
    long current = Math.floorDiv(nowMillis, SLOT_MILLIS);
    long used = inWindow(nowMillis);
    if (used + bytes <= maxBytesPerSecond || used == 0) {
      return 0;
    }
    // Let slots leave the window oldest first until the rest leaves room (or nothing is left).
    long need = Math.min(bytes, maxBytesPerSecond);
    for (long id = current - (SLOTS - 1); id <= current; id++) {
      int i = (int) Math.floorMod(id, (long) SLOTS);
      if (slotIds[i] != id || slotBytes[i] == 0) {
        continue;
      }
      used -= slotBytes[i];
      if (used + need <= maxBytesPerSecond || used == 0) {
        // Slot `id` is counted while current - id < SLOTS, i.e. until the slot id + SLOTS begins.
        return Math.max(1, (id + SLOTS) * SLOT_MILLIS - nowMillis);
      }
    }
    return Math.max(1, (current + 1) * SLOT_MILLIS - nowMillis); // not reached: the loop empties the window
  }

  private long inWindow(long nowMillis) {
    long current = Math.floorDiv(nowMillis, SLOT_MILLIS);
    long sum = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (slotIds[i] > current - SLOTS && slotIds[i] <= current) {
        sum += slotBytes[i];
      }
    }
    return sum;
  }
}
