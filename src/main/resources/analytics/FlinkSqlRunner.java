import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/**
 * Runs one Millrace analytics application: its Flink SQL, in a local Flink inside this JVM, which Millrace starts as
 * a child process with Flink's jars on the class path (Java's source launcher compiles this file against them).
 *
 * <p>{@code validate <file>}: runs the statements that define tables and views and plans the INSERTs, then exits: 0
 * and nothing on standard error if Flink takes the SQL, else 2 and Flink's message. {@code run <file>}: the same,
 * then submits the INSERTs as one job, prints {@code RUNNING <job id>} and waits for the job; if it fails, prints
 * {@code FAILED <message>} and exits 3. {@code SET 'key' = 'value'} statements set Flink options.
 *
 * <p>{@code run <file> <cluster REST URL> <jars>}: the job runs on that Flink cluster instead, the jars (the
 * connectors, separated as class paths are) going with it; when this JVM stops (SIGTERM), it cancels the job.
 * Whatever the mode, this JVM stops when its standard input ends: only Millrace holds it, so a Millrace that dies
 * takes its applications' jobs with it and a restart never runs one twice.
 */
public final class FlinkSqlRunner {

  private static final Pattern SET = Pattern.compile("(?is)SET\\s+'([^']+)'\\s*=\\s*'([^']*)'\\s*");

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    List<String> statements = split(Files.readString(Path.of(args[1]), StandardCharsets.UTF_8));
    exitWhenInputEnds();
    Configuration flink = new Configuration();
    boolean remote = args.length > 2;
    if (remote) {
      URI cluster = URI.create(args[2]);
      flink.setString("execution.target", "remote");
      flink.setString("rest.address", cluster.getHost());
      flink.setString("rest.port", String.valueOf(cluster.getPort() < 0 ? 8081 : cluster.getPort()));
      List<String> jars = new ArrayList<>();
      for (String jar : args.length > 3 ? args[3].split(File.pathSeparator) : new String[0]) {
        if (!jar.isBlank()) {
          jars.add(Path.of(jar).toUri().toString());
        }
      }
      flink.setString("pipeline.jars", String.join(";", jars));
    }
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode()
        .withConfiguration(flink).build());
    StatementSet inserts = sql.createStatementSet();
    int count = 0;
    try {
      for (String statement : statements) {
        Matcher set = SET.matcher(statement);
        if (set.matches()) {
          sql.getConfig().getConfiguration().setString(set.group(1), set.group(2));
        } else if (statement.toUpperCase(Locale.ROOT).startsWith("INSERT")) {
          inserts.addInsertSql(statement);
          count++;
        } else {
          sql.executeSql(statement);
        }
      }
      if (count == 0) {
        throw new IllegalArgumentException("The application has no INSERT INTO statement, so it would write nothing.");
      }
      inserts.explain();
    } catch (Exception e) {
      System.err.println(message(e));
      System.exit(2);
    }
    if (mode.equals("validate")) {
      System.exit(0);
    }
    TableResult running = inserts.execute();
    JobClient job = running.getJobClient().orElseThrow();
    if (remote) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> cancel(job)));
    }
    System.out.println("RUNNING " + job.getJobID());
    System.out.flush();
    try {
      running.await();
      System.out.println("FINISHED");
    } catch (Exception e) {
      System.out.println("FAILED " + message(e).replace('\n', ' '));
      System.exit(3);
    }
  }

  /** A daemon that exits this JVM once standard input ends, which happens when Millrace stops or dies. */
  private static void exitWhenInputEnds() {
    Thread watch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Millrace writes nothing: only the end matters
        }
      } catch (java.io.IOException e) {
        // a broken pipe ends the input too
      }
      System.exit(4);
    }, "millrace-input-watch");
    watch.setDaemon(true);
    watch.start();
  }

  /** Cancels a job on the cluster, waiting a bounded time: the JVM is exiting. */
  private static void cancel(JobClient job) {
    try {
      job.cancel().get(10, TimeUnit.SECONDS);
      System.out.println("CANCELLED " + job.getJobID());
    } catch (Exception e) {
      System.err.println("Could not cancel job " + job.getJobID() + ": " + message(e));
    }
  }

  /** The innermost message worth reading: Flink's own, without Java's class names. */
  private static String message(Throwable e) {
    Throwable t = e;
    String best = e.getMessage();
    while (t != null) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        best = t.getMessage();
        if (t.getClass().getName().startsWith("org.apache.flink.table.api.")) {
          break; // ValidationException, SqlParserException: the message a user can act on
        }
      }
      t = t.getCause();
    }
    // Flink repeats its summary in front of the cause ("SQL validation failed. SQL validation failed. ..."): once.
    return best == null ? e.getClass().getSimpleName() : best.trim().replaceAll("^(.+?\\. )\\1+", "$1");
  }

  /** The statements of a script, split at semicolons outside quotes and comments. */
  static List<String> split(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < script.length(); i++) {
      char c = script.charAt(i);
      if (quote == 0 && c == '-' && i + 1 < script.length() && script.charAt(i + 1) == '-') {
        while (i < script.length() && script.charAt(i) != '\n') {
          i++;
        }
        current.append('\n');
        continue;
      }
      if (quote == 0 && (c == '\'' || c == '"' || c == '`')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      if (c == ';' && quote == 0) {
        add(out, current);
      } else {
        current.append(c);
      }
    }
    add(out, current);
    return out;
  }

  private static void add(List<String> out, StringBuilder statement) {
    String s = statement.toString().trim();
    if (!s.isEmpty()) {
      out.add(s);
    }
    statement.setLength(0);
  }
}
