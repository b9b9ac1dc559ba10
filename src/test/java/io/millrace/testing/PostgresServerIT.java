package io.millrace.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tests' PostgreSQL: a fresh PostgreSQL 15 cluster in a JUnit temp directory (as root too), a login role with a
 * password that is really checked, tables that keep their rows across a stop and a start on the same port.
 */
class PostgresServerIT {

  @TempDir
  Path dir;

  private PostgresServer pg;

  @BeforeEach
  void start() throws Exception {
    long started = System.nanoTime();
    pg = PostgresServer.start(dir);
    System.out.printf("PostgreSQL cluster created and started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
  }

  @AfterEach
  void stop() {
    pg.close();
  }

  @Test
  void itIsPostgresql15OnLoopbackAndTheRoleOwnsItsDatabase() {
    assertTrue(pg.query("SHOW server_version").get(0).get(0).startsWith("15."), pg.query("SHOW server_version")
        .toString());
    assertEquals(List.of(List.of(PostgresServer.USER, PostgresServer.DATABASE, "f")),
        pg.query("SELECT current_user, current_database(), current_setting('fsync') = 'on'"));
    assertEquals("jdbc:postgresql://127.0.0.1:" + pg.port() + "/millrace", pg.jdbcUrl("millrace"));
    assertEquals("millrace", pg.user());
    assertEquals("millrace-pg", pg.password());
  }

  @Test
  void aTableTakesRowsAndGivesThemBackAsText() throws Exception {
    pg.execute("CREATE TABLE events (id int PRIMARY KEY, body text, at timestamptz)");
    pg.execute("INSERT INTO events VALUES (1, 'one', '2024-01-02T03:04:05Z'); INSERT INTO events VALUES (2, NULL,"
        + " NULL)");
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("millrace"), pg.user(), pg.password());
        PreparedStatement insert = c.prepareStatement("INSERT INTO events VALUES (?, ?, now())")) {
      insert.setInt(1, 3);
      insert.setString(2, "three, with a comma");
      assertEquals(1, insert.executeUpdate());
    }

    List<List<String>> rows = pg.query("SELECT id, body FROM events ORDER BY id");
    assertEquals(List.of("1", "one"), rows.get(0));
    assertEquals(Arrays.asList("2", null), rows.get(1));
    assertEquals(List.of("3", "three, with a comma"), rows.get(2));
  }

  @Test
  void aWrongPasswordIsRefused() {
    SQLException refused = assertThrows(SQLException.class,
        () -> DriverManager.getConnection(pg.jdbcUrl("millrace"), pg.user(), "not-the-password").close());
    assertEquals("28P01", refused.getSQLState(), refused.getMessage()); // invalid_password
  }

  @Test
  void anotherDatabaseCanBeCreatedForTheRole() {
    pg.createDatabase("firehose_target");
    pg.execute("firehose_target", "CREATE TABLE t (v text); INSERT INTO t VALUES ('x')");

    assertEquals(List.of(List.of("x")), pg.query("firehose_target", "SELECT v FROM t"));
    assertEquals(List.of(List.of("millrace")),
        pg.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'firehose_target'"));
  }

  @Test
  void dataSurvivesAStopAndAStartAgainOnTheSamePort() throws Exception {
    pg.execute("CREATE TABLE kept (n int); INSERT INTO kept SELECT generate_series(1, 1000)");
    int port = pg.port();
    Connection open = pg.connect("millrace");

    long stopping = System.nanoTime();
    pg.stop();
    System.out.printf("fast shutdown took %d ms%n", (System.nanoTime() - stopping) / 1_000_000);
    assertFalse(pg.isRunning());
    assertThrows(SQLException.class, () -> open.createStatement().execute("SELECT 1"));
    open.close();
    assertThrows(IllegalStateException.class, () -> pg.query("SELECT 1"));

    long starting = System.nanoTime();
    pg.startAgain();
    System.out.printf("start again took %d ms%n", (System.nanoTime() - starting) / 1_000_000);
    assertTrue(pg.isRunning());
    assertEquals(port, pg.port());
    assertEquals(List.of(List.of("1000", "500500")), pg.query("SELECT count(*), sum(n) FROM kept"));
    assertThrows(IllegalStateException.class, pg::startAgain);
    assertTrue(pg.output().contains("database system is ready to accept connections"), pg.output());
  }

  @Test
  void aMachineWithoutPostgresqlIsToldHowToInstallIt() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PostgresServer.requireInstalled(dir.resolve("no-such-bin")));
    assertTrue(e.getMessage().contains("apt-get install -y postgresql"), e.getMessage());
  }
}
