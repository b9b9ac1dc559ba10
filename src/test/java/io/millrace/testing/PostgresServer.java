package io.millrace.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 15 (Debian's package, {@value #BIN}) for tests: a fresh cluster in a directory, its postmaster a
 * child process listening on a free loopback port, with a login role {@value #USER}/{@value #PASSWORD} owning the
 * database {@value #DATABASE}. {@code try (PostgresServer pg = PostgresServer.start(dir)) { pg.jdbcUrl("millrace")
 * ... }}
 *
 * <p>Layout: {@code <dir>/data} is the cluster, {@code <dir>/run} its Unix socket directory, {@code
 * <dir>/postgres.log} the server's output (appended across restarts) and {@code <dir>/initdb.log} initdb's. TCP
 * connections authenticate with scram-sha-256 passwords, so a wrong password is refused as in production; the
 * superuser is {@code postgres} (password {@value #SUPERUSER_PASSWORD}). The cluster runs with {@code fsync=off}
 * (initdb with {@code --no-sync}): data survives {@link #stop()} and {@link #startAgain()}, not a machine crash.
 *
 * <p>As root (CI, this machine), initdb and postgres refuse to run: both then run as the OS user {@code postgres}
 * through {@code setpriv}, which execs, so the process held here is the postmaster itself. The cluster directories
 * are chowned to that user, and every ancestor of {@code dir} that others cannot traverse (JUnit's 0700 temp
 * directories) gets the others-execute bit, traverse only, no listing. When not root, everything runs as the
 * current user.
 *
 * <p>{@link #stop()} is a fast shutdown (SIGINT through {@code pg_ctl kill}: clients disconnected, a checkpoint,
 * exit), escalating to an immediate one (SIGQUIT) and then SIGKILL after bounded waits; every wait here has a
 * deadline. A JVM shutdown hook stops a server that a test failed to close.
 */
public final class PostgresServer implements AutoCloseable {

  /** Where Debian's PostgreSQL 15 binaries are. */
  public static final String BIN = "/usr/lib/postgresql/15/bin";
  /** The login role tests and the product connect as. */
  public static final String USER = "millrace";
  /** {@link #USER}'s password. */
  public static final String PASSWORD = "millrace-pg";
  /** The database {@link #USER} owns from the start, which {@link #execute(String)} and {@link #query(String)} use. */
  public static final String DATABASE = "millrace";
  /** The superuser's password (the superuser is {@code postgres}). */
  public static final String SUPERUSER_PASSWORD = "millrace-pg-superuser";

  /** How long initdb may take (about 1 s here). */
  static final Duration INITDB_TIMEOUT = Duration.ofSeconds(60);
  /** How long the postmaster may take to accept a login (well under 1 s here). */
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  /** How long each step of {@link #stop()} may take before the next, harsher one. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private static final String SUPERUSER = "postgres";
  private static final String OS_USER = "postgres";

  private final Path dir;
  private final Path data;
  private final Path run;
  private final Path log;
  private final int port;
  private final boolean asRoot;
  private final Thread shutdownHook;
  private volatile Process process;

  private PostgresServer(Path dir, int port, boolean asRoot) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.run = dir.resolve("run");
    this.log = dir.resolve("postgres.log");
    this.port = port;
    this.asRoot = asRoot;
    this.shutdownHook = new Thread(this::stopQuietly, "postgres-server-stop");
  }

  /**
   * Creates a cluster in {@code dir} (which should be empty), starts it on a free port and returns once {@link #USER}
   * can log in to {@link #DATABASE}; fails with the server's output if it exits or does not answer in time.
   */
  public static PostgresServer start(Path dir) throws IOException {
    return start(dir, JarProcess.freePort());
  }

  /** As {@link #start(Path)}, on {@code port} (a README walkthrough names its port). */
  public static PostgresServer start(Path dir, int port) throws IOException {
    requireInstalled(Path.of(BIN));
    Path absolute = Files.createDirectories(dir).toAbsolutePath();
    PostgresServer server = new PostgresServer(absolute, port,
        "root".equals(System.getProperty("user.name")));
    server.initdb();
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    try {
      server.launch();
      server.executeAsSuperuser("postgres", "CREATE ROLE " + USER + " LOGIN CREATEDB PASSWORD '" + PASSWORD + "'");
      server.createDatabase(DATABASE);
    } catch (IOException | RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Fails clearly when PostgreSQL 15 is not installed where Debian puts it. */
  static void requireInstalled(Path bin) {
    for (String program : List.of("initdb", "postgres")) {
      if (!Files.isExecutable(bin.resolve(program))) {
        throw new IllegalStateException("PostgreSQL 15 is not installed: " + bin.resolve(program) + " is missing."
            + " Install it with `apt-get install -y postgresql` (Debian's package; .ci/run does so on a fresh"
            + " machine)");
      }
    }
  }

  /** {@code 127.0.0.1}, where it listens. */
  public String host() {
    return "127.0.0.1";
  }

  /** The TCP port it listens on, the same across {@link #startAgain()}. */
  public int port() {
    return port;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
  }

  /** {@value #USER}. */
  public String user() {
    return USER;
  }

  /** {@value #PASSWORD}. */
  public String password() {
    return PASSWORD;
  }

  /** The cluster's data directory. */
  public Path dataDir() {
    return data;
  }

  /** Whether the postmaster is running (it may still be starting). */
  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** A new connection to {@code database} as {@link #USER}; the caller closes it. */
  public Connection connect(String database) throws SQLException {
    return connect(database, USER, PASSWORD);
  }

  /** Creates a database owned by {@link #USER}. */
  public void createDatabase(String name) {
    executeAsSuperuser("postgres", "CREATE DATABASE " + quote(name) + " OWNER " + USER);
  }

  /** Runs one statement (or several, separated by semicolons) in {@link #DATABASE} as {@link #USER}. */
  public void execute(String sql) {
    execute(DATABASE, sql);
  }

  /** Runs one statement (or several, separated by semicolons) in {@code database} as {@link #USER}. */
  public void execute(String database, String sql) {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed in " + database + ": " + e.getMessage(), e);
    }
  }

  /** Runs a statement in {@code database} as the superuser (to end other sessions, say). */
  public void executeAsSuperuser(String database, String sql) {
    try (Connection c = connect(database, SUPERUSER, SUPERUSER_PASSWORD); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed in " + database + " as superuser: " + e.getMessage(), e);
    }
  }

  /** The rows of a query in {@link #DATABASE} as {@link #USER}, each column as text (SQL NULL as null). */
  public List<List<String>> query(String sql) {
    return query(DATABASE, sql);
  }

  /** The rows of a query in {@code database} as {@link #USER}, each column as text (SQL NULL as null). */
  public List<List<String>> query(String database, String sql) {
    try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      List<List<String>> rows = new ArrayList<>();
      while (rs.next()) {
        List<String> row = new ArrayList<>(columns);
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        rows.add(Collections.unmodifiableList(row));
      }
      return List.copyOf(rows);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed in " + database + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fast shutdown: SIGINT (sessions are ended, a checkpoint is written), then SIGQUIT (immediate, crash recovery at
   * the next start) and SIGKILL if it is still there after {@link #STOP_TIMEOUT} each; returns once it has exited.
   * Clients see their connections closed and new ones refused until {@link #startAgain()}.
   */
  public void stop() {
    Process p = process;
    Processes.stop(p, "postgres", STOP_TIMEOUT, List.of(() -> signal(p, "INT"), () -> signal(p, "QUIT")));
  }


  /**
   * Starts the stopped server again on the same port with the same data (an outage over) and returns once {@link
   * #USER} can log in; fails if it is running.
   */
  public void startAgain() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("postgres is running (pid " + process.pid() + ")");
    }
    launch();
  }

  /** Everything the server has written to its log so far. */
  public String output() {
    return read(log);
  }

  /** {@link #stop()}; the directory is left for the test's own clean-up. */
  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is shutting down, or the hook was never added: nothing to remove
    }
  }

  // ---- the processes

  private void initdb() throws IOException {
    Files.createDirectories(data);
    Files.createDirectories(run);
    Path passwordFile = run.resolve("superuser-password");
    Files.writeString(passwordFile, SUPERUSER_PASSWORD + "\n", StandardCharsets.UTF_8);
    if (asRoot) {
      traversableByOthers(dir);
      chown(data);
      chown(run);
      chown(passwordFile);
    }
    Path initdbLog = dir.resolve("initdb.log");
    List<String> command = command("initdb",
        "-D", data.toString(),
        "-U", SUPERUSER,
        "--pwfile=" + passwordFile,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E", "UTF8",
        "--no-locale",
        "--no-sync");
    Process initdb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(initdbLog.toFile())).start();
    try {
      if (!initdb.waitFor(INITDB_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        initdb.destroyForcibly();
        throw new AssertionError("initdb did not finish within " + INITDB_TIMEOUT + ":\n" + read(initdbLog));
      }
    } catch (InterruptedException e) {
      initdb.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } finally {
      Files.deleteIfExists(passwordFile);
    }
    if (initdb.exitValue() != 0) {
      throw new AssertionError("initdb exited with " + initdb.exitValue() + ":\n" + read(initdbLog));
    }
  }

  private void launch() throws IOException {
    List<String> command = command("postgres",
        "-D", data.toString(),
        "-p", String.valueOf(port),
        "-k", run.toString(),
        "-c", "listen_addresses=" + host(),
        "-c", "fsync=off",
        "-c", "shared_buffers=32MB");
    process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    try {
      awaitLogin(START_TIMEOUT);
    } catch (RuntimeException | Error e) {
      stop();
      throw e;
    }
  }

  /** {@code program args...}, as the OS user postgres when this JVM is root ({@code setpriv} execs it). */
  private List<String> command(String program, String... args) {
    List<String> command = new ArrayList<>();
    if (asRoot) {
      command.addAll(List.of("setpriv", "--reuid=" + OS_USER, "--regid=" + OS_USER, "--init-groups",
          "--reset-env", "--"));
    }
    command.add(Path.of(BIN, program).toString());
    command.addAll(List.of(args));
    return command;
  }

  /** Polls a superuser login until one succeeds; fails if the postmaster exits first or the time is up. */
  private void awaitLogin(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      Process p = process;
      if (!p.isAlive()) {
        throw new AssertionError("postgres exited with " + p.exitValue() + " before accepting connections on port "
            + port + ":\n" + output());
      }
      try {
        connect("postgres", SUPERUSER, SUPERUSER_PASSWORD).close();
        return;
      } catch (SQLException e) {
        last = e; // not listening yet, or "the database system is starting up"
      }
      Processes.pause(25);
    }
    throw new AssertionError("postgres did not accept a login on port " + port + " within " + timeout
        + " (last: " + last + "):\n" + output());
  }

  private Connection connect(String database, String user, String password) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "5");
    properties.setProperty("loginTimeout", "10");
    properties.setProperty("socketTimeout", "60");
    return DriverManager.getConnection(jdbcUrl(database), properties);
  }

  /** Sends a signal Java cannot send (SIGINT, SIGQUIT) with {@code pg_ctl kill}, as the user postgres runs as. */
  private void signal(Process p, String signal) {
    try {
      Process kill = new ProcessBuilder(command("pg_ctl", "kill", signal, String.valueOf(p.pid())))
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!kill.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      p.destroy(); // pg_ctl did not start: SIGTERM (a smart shutdown) is what Java can send
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      // the JVM is exiting: nothing better to do
    }
  }

  // ---- files

  private static void chown(Path path) throws IOException {
    UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
    PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
    view.setOwner(users.lookupPrincipalByName(OS_USER));
    GroupPrincipal group = users.lookupPrincipalByGroupName(OS_USER);
    view.setGroup(group);
  }

  /** Adds the others-execute bit (traverse, not list) to {@code path} and each ancestor lacking it. */
  private static void traversableByOthers(Path path) throws IOException {
    for (Path p = path; p != null; p = p.getParent()) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(p);
      if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        permissions.add(PosixFilePermission.OTHERS_EXECUTE);
        Files.setPosixFilePermissions(p, permissions);
      }
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }
}
