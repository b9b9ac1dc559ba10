package io.millrace.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Reads what a server running as a child JVM ({@link JarProcess}) uses: heap after a full GC, resident memory. */
public final class ServerProbe {

  private ServerProbe() {}

  /** Asks the server JVM for a full GC (jcmd), then reads its heap use from /metrics, in bytes. */
  public static double heapAfterGc(JarProcess server, URI endpoint) throws Exception {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        String.valueOf(server.process().pid()), "GC.run").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("jcmd GC.run did not finish");
    }
    return PrometheusText.scrape(endpoint).lines()
        .filter(l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** The server process's resident memory (VmRSS), in bytes. */
  public static long rssBytes(JarProcess server) throws IOException {
    return Files.readAllLines(Path.of("/proc", String.valueOf(server.process().pid()), "status")).stream()
        .filter(l -> l.startsWith("VmRSS:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024)
        .findFirst().orElse(-1);
  }
}
