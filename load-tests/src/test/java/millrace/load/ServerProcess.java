package millrace.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The server process as the operating system sees it (Linux {@code /proc}), when a simulation is given its pid
 * ({@code -Dmillrace.pid=...}): CPU time used so far, resident memory, and a full GC on request (through
 * {@code jcmd}). Lets a run report server CPU per unit of work, which a shared machine's noise disturbs less than a
 * rate, and memory while records pile up.
 */
final class ServerProcess {

  private static final String PID = System.getProperty("millrace.pid", "");
  /** Clock ticks per second of utime and stime ({@code getconf CLK_TCK}; 100 on Linux almost everywhere). */
  private static final int TICKS_PER_SECOND = Integer.getInteger("clkTck", 100);

  private ServerProcess() {}

  static boolean known() {
    return !PID.isEmpty();
  }

  /** Seconds of user plus system CPU the server has used, or NaN when no pid was given. */
  static double cpuSeconds() {
    if (!known()) {
      return Double.NaN;
    }
    String stat = read("stat");
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields[0] is the file's field 3 (state); utime is field 14, stime field 15
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) TICKS_PER_SECOND;
  }

  /** Resident set size in bytes ({@code VmRSS}), or -1 when no pid was given. */
  static long rssBytes() {
    if (!known()) {
      return -1;
    }
    for (String line : read("status").split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/" + PID + "/status");
  }

  /** Asks the server's JVM for a full GC ({@code jcmd <pid> GC.run}) and waits (bounded) until it is done. */
  static void fullGc() {
    try {
      Process jcmd = new ProcessBuilder("jcmd", PID, "GC.run").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
        jcmd.destroyForcibly();
        throw new IllegalStateException("jcmd " + PID + " GC.run did not succeed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run jcmd: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of("/proc", PID, file));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + PID + "/" + file + ": " + e, e);
    }
  }
}
