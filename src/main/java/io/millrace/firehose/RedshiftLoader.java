package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.firehose.FirehoseConfig.CopyCommand;
import io.millrace.firehose.FirehoseConfig.RedshiftDestinationConfiguration;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;

/**
 * Loads a Redshift destination's batches into PostgreSQL (Redshift speaks its protocol; self-hosted teams run
 * PostgreSQL): each batch's intermediate object, already stored in the S3 configuration's bucket, is read back and
 * sent with one {@code COPY ... FROM STDIN} per object, in one transaction with the row that records the load.
 *
 * <p><b>Exactly once per batch.</b> The table {@value #LOADS_TABLE} in the destination database records every load:
 * the object, the delivery stream (its ARN and creation time, so a stream deleted and made again starts afresh) and
 * the range of buffer offsets the batch covered. A load first takes a transaction-scoped advisory lock on the
 * delivery stream, reads how far its loads reached, and does nothing if the batch is already there: a retry after a
 * lost commit answer, or a batch delivered again after a crash, never adds its rows twice. At start the delivery asks
 * how far the loads reached ({@link #loadedThrough}) and moves its checkpoint there, so a batch staged again after a
 * crash starts where the table ends.
 *
 * <p>Blocking: runs on the Firehose workers. A connection per load: simple, and nothing to go stale while the
 * database is down.
 */
final class RedshiftLoader {

  /** The table that records loads, created in the destination database when missing. */
  static final String LOADS_TABLE = "millrace_firehose_loads";
  /** Redshift's port, for a {@code jdbc:redshift://} URL that names none. */
  static final int REDSHIFT_PORT = 5439;

  private static final Pattern URL = Pattern.compile("jdbc:(redshift|postgresql)://([^/:?#]+)(?::(\\d+))?/([^?#/]+)"
      + "(\\?.*)?");
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");
  private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
  private static final int CONNECT_TIMEOUT_SECONDS = 10;
  private static final int SOCKET_TIMEOUT_SECONDS = 600;

  /**
   * One batch to load.
   *
   * @param streamId the delivery stream's identity in {@value #LOADS_TABLE}: its ARN and creation time
   * @param from     the buffer offset of the batch's first record
   * @param next     the buffer offset after its last record
   */
  record Batch(String streamId, long from, long next) {}

  /** An intermediate object of the batch: where it is, and its name for the loads table and manifests. */
  record IntermediateObject(String bucket, String key) {
    String url() {
      return "s3://" + bucket + "/" + key;
    }
  }

  /** A load that no retry can mend (the table already holds part of the batch). */
  static final class Conflict extends SQLException {
    Conflict(String message) {
      super(message);
    }
  }

  private RedshiftLoader() {}

  /**
   * The PostgreSQL JDBC URL a ClusterJDBCURL names: {@code jdbc:postgresql://host:port/db} as it is, and
   * {@code jdbc:redshift://host[:port]/db} as the same place on PostgreSQL (port 5439 if none). Its query parameters
   * of a Redshift URL are dropped (Redshift's driver options mean nothing to PostgreSQL's); a PostgreSQL URL keeps its
   * own ({@code sslmode}, {@code currentSchema}, ...). IllegalArgumentException if it is neither.
   */
  static String jdbcUrl(String clusterJdbcUrl) {
    Matcher m = clusterJdbcUrl == null ? null : URL.matcher(clusterJdbcUrl);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("ClusterJDBCURL " + clusterJdbcUrl + " is not jdbc:postgresql://host:port/"
          + "database or jdbc:redshift://host:port/database.");
    }
    boolean redshift = m.group(1).equals("redshift");
    String port = m.group(3) != null ? m.group(3) : redshift ? String.valueOf(REDSHIFT_PORT) : "5432";
    String query = redshift || m.group(5) == null ? "" : m.group(5); // PostgreSQL's own (sslmode, currentSchema)
    return "jdbc:postgresql://" + m.group(2) + ":" + port + "/" + m.group(4) + query;
  }

  /** Checks the table and column names (plain SQL identifiers, the table optionally schema-qualified). */
  static void checkNames(CopyCommand copy) {
    if (copy == null || copy.dataTableName() == null || !TABLE.matcher(copy.dataTableName()).matches()) {
      throw new IllegalArgumentException("CopyCommand.DataTableName " + (copy == null ? null : copy.dataTableName())
          + " is not a table name such as events or analytics.events.");
    }
    for (String column : columns(copy)) {
      if (!COLUMN.matcher(column).matches()) {
        throw new IllegalArgumentException("CopyCommand.DataTableColumns holds '" + column + "', which is not a "
            + "column name; give names separated by commas, such as id,name,amount.");
      }
    }
  }

  private static List<String> columns(CopyCommand copy) {
    List<String> out = new ArrayList<>();
    if (copy.dataTableColumns() != null) {
      for (String c : copy.dataTableColumns().split(",")) {
        if (!c.isBlank()) {
          out.add(c.trim());
        }
      }
    }
    return out;
  }

  /**
   * An identifier as Redshift reads an unquoted one: folded to lower case; quoted, so a name that is a reserved word
   * in PostgreSQL ({@code user}, {@code order}) still names its column. The names were checked ({@link #checkNames}):
   * no quote can be in them.
   */
  static String quoted(String name) {
    StringBuilder out = new StringBuilder();
    for (String part : name.split("\\.")) {
      if (out.length() > 0) {
        out.append('.');
      }
      out.append('"').append(part.toLowerCase(Locale.ROOT)).append('"');
    }
    return out.toString();
  }

  /** How far the loads of this delivery stream reached in this database: the buffer offset after the last. */
  static long loadedThrough(RedshiftDestinationConfiguration c, String streamId) throws SQLException {
    try (Connection conn = connect(c)) {
      createLoadsTable(conn);
      return loadedThrough(conn, streamId);
    }
  }

  /**
   * Loads the batch's objects into the table in one transaction, with the row recording the load; the rows loaded,
   * or -1 if the batch had been loaded before (nothing is done). {@link Conflict} when the table holds only part of
   * the batch.
   */
  static long load(RedshiftDestinationConfiguration c, Batch batch, List<IntermediateObject> objects,
                   ObjectStore store, Path scratch) throws SQLException, IOException {
    CopyOptions options = CopyOptions.parse(c.copyCommand().copyOptions());
    try (Connection conn = connect(c)) {
      createLoadsTable(conn);
      conn.setAutoCommit(false);
      try {
        try (PreparedStatement lock = conn.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, batch.streamId());
          lock.execute();
        }
        long through = loadedThrough(conn, batch.streamId());
        if (through >= batch.next()) {
          conn.rollback();
          return -1;
        }
        if (through > batch.from()) {
          throw new Conflict("The loads table " + LOADS_TABLE + " says records up to buffer offset " + through
              + " of this delivery stream are loaded, part of the batch [" + batch.from() + ", " + batch.next()
              + ")");
        }
        Map<String, Boolean> table = options.csv() ? Map.of() : tableColumns(conn, c.copyCommand().dataTableName());
        List<String> columns = columns(c.copyCommand());
        if (columns.isEmpty()) {
          columns = new ArrayList<>(table.keySet());
        }
        columns = columns.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
        List<Boolean> textColumns = columns.stream().map(name -> table.getOrDefault(name, true)).toList();
        long rows = 0;
        for (IntermediateObject object : objects) {
          rows += copy(conn, c.copyCommand().dataTableName(), columns, textColumns, options, store, object, scratch);
        }
        try (PreparedStatement record = conn.prepareStatement("INSERT INTO " + LOADS_TABLE + " (object_url, "
            + "delivery_stream, first_offset, next_offset, rows_loaded) VALUES (?, ?, ?, ?, ?)")) {
          record.setString(1, objects.isEmpty() ? "" : objects.get(0).url());
          record.setString(2, batch.streamId());
          record.setLong(3, batch.from());
          record.setLong(4, batch.next());
          record.setLong(5, rows);
          record.executeUpdate();
        }
        conn.commit();
        return rows;
      } catch (SQLException | IOException | RuntimeException e) {
        try {
          conn.rollback();
        } catch (SQLException ignored) {
          // the connection is gone; the transaction with it
        }
        throw e;
      }
    }
  }

  private static long copy(Connection conn, String table, List<String> columns, List<Boolean> textColumns,
                           CopyOptions options, ObjectStore store, IntermediateObject object, Path scratch)
      throws SQLException, IOException {
    String sql = options.copySql(quoted(table), columns.stream().map(RedshiftLoader::quoted).toList());
    try (InputStream raw = new BufferedInputStream(store.open(object.bucket(), object.key()), 64 * 1024);
         InputStream in = options.gzip() ? new GZIPInputStream(raw, 64 * 1024) : raw) {
      if (options.csv()) {
        skipLines(in, options.ignoreLines());
        return conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, in);
      }
      Path csv = Files.createTempFile(scratch, "copy-", ".csv");
      try {
        if (options.json()) {
          jsonToCsv(in, columns, options.ignoreCase(), csv, object);
        } else {
          skipLines(in, options.ignoreLines());
          textToCsv(in, options, textColumns, csv);
        }
        try (InputStream rows = new BufferedInputStream(Files.newInputStream(csv), 64 * 1024)) {
          return conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, rows);
        }
      } finally {
        Files.deleteIfExists(csv);
      }
    }
  }

  /**
   * JSON 'auto': each JSON object of the stream becomes a CSV row of {@code columns}: a member of the column's
   * name (any case with {@code ignoreCase}), NULL where there is none, nested values as JSON text.
   */
  static void jsonToCsv(InputStream in, List<String> columns, boolean ignoreCase, Path csv,
                        IntermediateObject object) throws IOException {
    try (JsonParser parser = JSON.createParser(in);
         Writer out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(csv), StandardCharsets.UTF_8),
             64 * 1024)) {
      long n = 0;
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        n++;
        if (token != JsonToken.START_OBJECT) {
          throw new IOException("Record " + n + " of " + object.url() + " is not a JSON object (JSON 'auto' loads "
              + "objects, one per row)");
        }
        JsonNode row = MAPPER.readTree(parser);
        Map<String, JsonNode> members = new HashMap<>();
        row.fields().forEachRemaining(e -> members.putIfAbsent(ignoreCase ? e.getKey().toLowerCase(Locale.ROOT)
            : e.getKey(), e.getValue()));
        for (int i = 0; i < columns.size(); i++) {
          if (i > 0) {
            out.write(',');
          }
          String column = columns.get(i);
          JsonNode v = members.get(ignoreCase ? column.toLowerCase(Locale.ROOT) : column);
          if (v == null || v.isNull()) {
            continue; // an unquoted empty field is NULL
          }
          String text = v.isValueNode() ? v.asText() : MAPPER.writeValueAsString(v);
          out.write('"');
          out.write(text.replace("\"", "\"\""));
          out.write('"');
        }
        out.write('\n');
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(object.url() + " is not a sequence of JSON objects: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Redshift's delimited text as CSV rows PostgreSQL reads exactly so: every field is data (no escapes, a quote or a
   * carriage return a character like any other, a line holding only {@code \.} a row), quoted; the NULL text
   * ({@code \N} unless NULL AS says otherwise) and, in a column that does not hold text, an empty field are NULL
   * (an unquoted empty field). Records end at a line feed; a last record without one is a record too.
   */
  static void textToCsv(InputStream in, CopyOptions options, List<Boolean> textColumns, Path csv) throws IOException {
    String nullText = options.nullAs() != null ? options.nullAs() : "\\N";
    String delimiter = String.valueOf(options.delimiter());
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 64 * 1024);
         Writer out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(csv), StandardCharsets.UTF_8),
             64 * 1024)) {
      StringBuilder line = new StringBuilder();
      int c;
      boolean any = false;
      while ((c = lines.read()) >= 0) {
        any = true;
        if (c == '\n') {
          writeRow(line.toString(), delimiter, nullText, textColumns, out);
          line.setLength(0);
          any = false;
        } else {
          line.append((char) c);
        }
      }
      if (any) {
        writeRow(line.toString(), delimiter, nullText, textColumns, out);
      }
    }
  }

  private static void writeRow(String line, String delimiter, String nullText, List<Boolean> textColumns,
                               Writer out) throws IOException {
    String[] fields = line.split(java.util.regex.Pattern.quote(delimiter), -1);
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      String f = fields[i];
      boolean text = i >= textColumns.size() || textColumns.get(i);
      if (f.equals(nullText) || f.isEmpty() && !text) {
        continue; // an unquoted empty field: NULL
      }
      out.write('"');
      out.write(f.replace("\"", "\"\""));
      out.write('"');
    }
    out.write('\n');
  }

  private static void skipLines(InputStream in, int lines) throws IOException {
    int left = lines;
    while (left > 0) {
      int b = in.read();
      if (b < 0) {
        return;
      }
      if (b == '\n') {
        left--;
      }
    }
  }

  /**
   * The table's columns in their order, each with whether it holds text (JSON 'auto' with no DataTableColumns fills
   * them all; delimited text loads an empty field as NULL in the others, as Redshift does).
   */
  private static Map<String, Boolean> tableColumns(Connection conn, String table) throws SQLException {
    int dot = table.indexOf('.');
    String schema = dot < 0 ? null : table.substring(0, dot).toLowerCase(Locale.ROOT);
    String name = (dot < 0 ? table : table.substring(dot + 1)).toLowerCase(Locale.ROOT);
    Map<String, Boolean> out = new java.util.LinkedHashMap<>();
    try (PreparedStatement q = conn.prepareStatement("SELECT column_name, data_type FROM information_schema.columns "
        + "WHERE table_schema = coalesce(?, current_schema()) AND table_name = ? ORDER BY ordinal_position")) {
      q.setString(1, schema);
      q.setString(2, name);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          String type = rs.getString(2);
          out.put(rs.getString(1), type.equals("text") || type.startsWith("character"));
        }
      }
    }
    if (out.isEmpty()) {
      throw new SQLException("relation \"" + table + "\" does not exist", "42P01");
    }
    return out;
  }

  private static long loadedThrough(Connection conn, String streamId) throws SQLException {
    try (PreparedStatement q = conn.prepareStatement("SELECT coalesce(max(next_offset), -1) FROM " + LOADS_TABLE
        + " WHERE delivery_stream = ?")) {
      q.setString(1, streamId);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void createLoadsTable(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement();
         ResultSet exists = s.executeQuery("SELECT to_regclass('" + LOADS_TABLE + "') IS NOT NULL")) {
      exists.next();
      if (exists.getBoolean(1)) {
        return; // no CREATE needed, so no CREATE privilege on the schema either
      }
    }
    try (Statement s = conn.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + LOADS_TABLE + " (object_url text NOT NULL, delivery_stream text NOT "
          + "NULL, first_offset bigint NOT NULL, next_offset bigint NOT NULL, rows_loaded bigint NOT NULL, loaded_at "
          + "timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (delivery_stream, next_offset))");
    } catch (SQLException e) {
      if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
        throw e; // else another loader created it at the same moment
      }
    }
  }

  private static Connection connect(RedshiftDestinationConfiguration c) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", c.username());
    p.setProperty("password", c.password());
    p.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
    p.setProperty("loginTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
    p.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    p.setProperty("ApplicationName", "millrace-firehose");
    return DriverManager.getConnection(jdbcUrl(c.clusterJdbcUrl()), p);
  }
}
