package io.millrace.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the README's shell blocks as a user would: the blocks are read from the README itself, their commands run in
 * order in one bash (variables carry over), with the AWS CLI v2 at {@code /usr/bin/aws} and no configuration or
 * credentials from the machine, and each command's output and status are captured for the test to check.
 */
public final class ReadmeShell {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ReadmeShell() {}

  /** What one command did. */
  public record Ran(String command, int exitCode, String stdout, String stderr) {
    public JsonNode json() {
      try {
        return JSON.readTree(stdout);
      } catch (IOException e) {
        throw new AssertionError(command + " did not print JSON: " + stdout + "\nstderr: " + stderr, e);
      }
    }
  }

  /**
   * A scratch checkout in {@code tmp} to run the README's commands in, as a user would from the repository's root:
   * its {@code target} is the build's and its {@code bin} the repository's (so {@code bin/millrace} starts the jar
   * under test).
   */
  public static Path checkout(Path tmp) throws IOException {
    Path work = Files.createDirectories(tmp.resolve("checkout"));
    Files.createSymbolicLink(work.resolve("target"), JarProcess.jar().toAbsolutePath().getParent());
    Files.createSymbolicLink(work.resolve("bin"), Path.of("bin").toAbsolutePath());
    return work;
  }

  /** The {@code n}th (0-based) ```bash block after {@code heading}. */
  public static String block(String readme, String heading, int n) {
    return fenced(readme, heading, "bash", n);
  }

  /** The {@code n}th (0-based) fenced block of {@code language} (```ini, ```json, ...) after {@code heading}. */
  public static String fenced(String readme, String heading, String language, int n) {
    int at = readme.indexOf(heading);
    assertTrue(at >= 0, "README has no " + heading);
    String fence = "```" + language + "\n";
    int open = at;
    for (int i = 0; i <= n; i++) {
      open = readme.indexOf(fence, open);
      assertTrue(open >= 0, "README has no " + language + " block " + n + " after " + heading);
      open += fence.length();
    }
    return readme.substring(open, readme.indexOf("```", open));
  }

  /** The first ```bash block after {@code heading}. */
  public static String block(String readme, String heading) {
    return block(readme, heading, 0);
  }

  /** The README's start command: what follows {@code &&} in the first bash block of "The two commands". */
  public static String startCommand(String readme) {
    String first = block(readme, "## The two commands");
    return first.substring(first.indexOf("&&") + 2).trim();
  }

  /** A block's commands: continuation lines joined, blank lines dropped. */
  public static List<String> commands(String block) {
    List<String> commands = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : block.split("\n")) {
      current.append(line);
      if (line.endsWith("\\")) {
        current.append('\n');
        continue;
      }
      if (!current.toString().isBlank()) {
        commands.add(current.toString());
      }
      current.setLength(0);
    }
    return commands;
  }

  /**
   * Runs the commands in order in one bash in {@code work} (variables carry over), capturing each one's output and
   * status; {@code scratch} holds the empty CLI configuration.
   */
  public static List<Ran> run(List<String> commands, Path work, Path scratch) throws Exception {
    return run(commands, work, scratch, Duration.ofSeconds(150));
  }

  /** As {@link #run(List, Path, Path)}, for a walkthrough that may take up to {@code limit}. */
  public static List<Ran> run(List<String> commands, Path work, Path scratch, Duration limit) throws Exception {
    StringBuilder script = new StringBuilder();
    for (int i = 0; i < commands.size(); i++) {
      script.append("{ ").append(commands.get(i)).append("\n} > out.").append(i).append(" 2> err.").append(i)
          .append("; echo $? > status.").append(i).append('\n');
    }
    Path driver = work.resolve("walkthrough.sh");
    Files.writeString(driver, script.toString());
    ProcessBuilder bash = new ProcessBuilder("bash", driver.toString()).directory(work.toFile())
        .redirectErrorStream(true).redirectOutput(work.resolve("driver.log").toFile());
    Map<String, String> env = bash.environment();
    env.put("PATH", "/usr/bin:/bin:" + env.getOrDefault("PATH", "")); // the CLI v2 the README names
    env.put("AWS_CONFIG_FILE", scratch.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", scratch.resolve("no-credentials").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_PAGER", "");
    env.remove("AWS_PROFILE");
    env.remove("AWS_SESSION_TOKEN");
    Process process = bash.start();
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the walkthrough did not finish within " + limit + "; its log:\n"
          + Files.readString(work.resolve("driver.log")));
    }
    List<Ran> ran = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      ran.add(new Ran(commands.get(i), Integer.parseInt(Files.readString(work.resolve("status." + i)).trim()),
          Files.readString(work.resolve("out." + i)), Files.readString(work.resolve("err." + i))));
    }
    return ran;
  }

  /** The command (which must contain {@code expected}) ran and exited 0. */
  public static Ran ok(Ran ran, String expected) {
    assertTrue(ran.command().contains(expected), "expected a command with " + expected + ": " + ran.command());
    assertEquals(0, ran.exitCode(), () -> ran.command() + " failed:\n" + ran.stderr());
    return ran;
  }

  /** Fails clearly when {@code port} (one the README uses) is taken. */
  public static void requirePortFree(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      probe.setReuseAddress(true);
    } catch (IOException e) {
      throw new AssertionError("port " + port + " is taken, and the README's walkthrough uses it: stop whatever "
          + "listens there (a Millrace started by hand?) and run the test again", e);
    }
  }
}
