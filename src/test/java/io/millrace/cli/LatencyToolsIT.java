package io.millrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.LocalLambda;
import io.millrace.testing.ReadmeShell;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke run of the latency tools BENCHMARKS.md quotes (load-tests/put-latency.mjs and fsync-probe.mjs), so that
 * they keep working: a second of each against a server started as the README starts it. Only what they print is
 * checked, never how fast anything was.
 */
class LatencyToolsIT {

  private static final Pattern PERCENTILES = Pattern.compile("n=(\\d+) p50 [\\d.]+ ms, p99 [\\d.]+ ms, "
      + "p99\\.9 [\\d.]+ ms, max [\\d.]+ ms");

  @TempDir
  Path tmp;

  @Test
  @Timeout(120)
  void put_latency_measures_every_put_and_every_record_seen_and_the_disk_probe_runs() throws Exception {
    assumeTrue(LocalLambda.available(), "node is not installed (.ci/run installs it)");
    int port = JarProcess.freePort();
    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), ReadmeShell.checkout(tmp),
        "bin/millrace --data-dir " + tmp.resolve("data") + " --port " + port)) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      String out = node("load-tests/put-latency.mjs", "--endpoint", "http://127.0.0.1:" + port, "--rate", "200",
          "--seconds", "1", "--warmup", "0", "--pid", String.valueOf(server.process().pid()));
      assertTrue(out.contains(" measured, 0 failed"), out);
      int puts = measured(out, ">>> put latency: ");
      assertTrue(puts > 150 && puts <= 200, out); // 200 issued in the second; the last may fall just after it
      assertEquals(puts, measured(out, ">>> put -> seen by GetRecords: "), out);
      assertTrue(out.contains(">>> server CPU while measuring: "), out);
    }
    String probe = node("load-tests/fsync-probe.mjs", "1", tmp.toString());
    assertTrue(measured(probe, ">>> 4 KiB write + fdatasync: ") > 0, probe);
  }

  private static int measured(String out, String prefix) {
    int at = out.indexOf(prefix);
    assertTrue(at >= 0, out);
    Matcher m = PERCENTILES.matcher(out.substring(at + prefix.length()));
    assertTrue(m.lookingAt(), out);
    return Integer.parseInt(m.group(1));
  }

  private static String node(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("node"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node " + String.join(" ", args) + " did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
