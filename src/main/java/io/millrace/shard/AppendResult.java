package io.millrace.shard;

/**
 * The outcome of an {@link AppendRequest}, entry by entry.
 *
 * @param offsets       per entry, the log offset it was stored at, or {@link #THROTTLED} if the shard's write
 *                      throughput limit refused it
 * @param arrivalMillis the arrival time given to every stored entry of the request
 */
public record AppendResult(long[] offsets, long arrivalMillis) {

  public static final long THROTTLED = -1;
}
