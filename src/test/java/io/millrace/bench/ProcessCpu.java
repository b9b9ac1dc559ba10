package io.millrace.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time of processes as {@code /proc/<pid>/stat} counts it (utime + stime), the figure the benchmarks divide
 * their work by (BENCHMARKS.md: records per server CPU-second). Linux only. Stateless.
 */
final class ProcessCpu {

  private static final long CLOCK_TICKS = 100; // USER_HZ, what /proc/<pid>/stat counts in

  private ProcessCpu() {}

  /** utime + stime of a process, in seconds; 0 when it has exited (or for a pid of 0 or less: none given). */
  static double seconds(long pid) {
    return seconds(pid, false);
  }

  /** utime + stime (and, with {@code children}, cutime + cstime: children waited for) of a process, in seconds. */
  static double seconds(long pid, boolean children) {
    if (pid <= 0) {
      return 0;
    }
    String stat;
    try {
      stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    } catch (IOException e) {
      return 0; // it exited meanwhile
    }
    // after the command name, which is in parentheses and may hold spaces: field 3 (state) onwards
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 utime, 15 stime
    if (children) {
      ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]); // fields 16 cutime, 17 cstime
    }
    return ticks / (double) CLOCK_TICKS;
  }

  /** The CPU of this JVM (the benchmark's own driver) so far, in seconds. */
  static double ofThisJvm() {
    return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
  }
}
