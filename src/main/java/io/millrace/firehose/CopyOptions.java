package io.millrace.firehose;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The COPY options of a Redshift destination, as Millrace runs them on PostgreSQL. Redshift reads its intermediate
 * object with {@code COPY table (columns) FROM 's3://...' <options>}; PostgreSQL has COPY too but not every option,
 * so the common ones are read here and the load is built from them:
 * <ul>
 *   <li>{@code JSON 'auto'} (or {@code 'auto ignorecase'}): the object is a sequence of JSON objects (delimiters
 *       between them optional, as Redshift reads them); each member goes into the column of its name (in any case
 *       with {@code ignorecase}); missing members are NULL; nested objects and arrays go in as JSON text;</li>
 *   <li>{@code CSV} [{@code QUOTE [AS] 'c'}], {@code DELIMITER [AS] 'c'}, {@code NULL [AS] 's'},
 *       {@code IGNOREHEADER [AS] n}: CSV goes to PostgreSQL's CSV format with the same settings; Redshift's default
 *       delimited text (delimiter {@code |}, {@code \N} for NULL, no escapes) is turned into CSV rows by
 *       {@link RedshiftLoader#textToCsv}, since PostgreSQL's text format would read backslash escapes;</li>
 *   <li>{@code GZIP}: the object is gzip-compressed;</li>
 *   <li>{@code DATEFORMAT 'auto'}, {@code TIMEFORMAT 'auto'}, {@code COMPUPDATE}, {@code STATUPDATE}: accepted;
 *       PostgreSQL reads dates and times in the formats 'auto' recognises, and the last two only tune Redshift's
 *       storage.</li>
 * </ul>
 * Anything else (a JSONPaths file, AVRO, FIXEDWIDTH, MAXERROR, ...) is refused when the destination is created, with
 * IllegalArgumentException naming the option: a load that silently read data otherwise than Redshift would is worse
 * than none.
 *
 * @param json        JSON 'auto' (else delimited text)
 * @param ignoreCase  JSON 'auto ignorecase'
 * @param csv         CSV format (else PostgreSQL's text format)
 * @param delimiter   the field delimiter
 * @param quote       CSV's quote character, or null for the default {@code "}
 * @param nullAs      the text that stands for NULL, or null for the format's default
 * @param ignoreLines header lines to skip
 * @param gzip        the object is gzip-compressed
 */
record CopyOptions(boolean json, boolean ignoreCase, boolean csv, char delimiter, Character quote, String nullAs,
                   int ignoreLines, boolean gzip) {

  /** Reads CopyOptions (null or blank: Redshift's defaults, pipe-delimited text). */
  static CopyOptions parse(String options) {
    boolean json = false;
    boolean ignoreCase = false;
    boolean csv = false;
    Character delimiter = null;
    Character quote = null;
    String nullAs = null;
    int ignoreLines = 0;
    boolean gzip = false;
    List<String> t = tokens(options == null ? "" : options);
    for (int i = 0; i < t.size(); i++) {
      String word = t.get(i).toUpperCase(Locale.ROOT);
      switch (word) {
        case "JSON" -> {
          String arg = argument(t, ++i, "JSON");
          i = skipAs(t, i, arg);
          String mode = unquote(t.get(i), "JSON").toLowerCase(Locale.ROOT).trim();
          if (!mode.equals("auto") && !mode.equals("auto ignorecase")) {
            throw new IllegalArgumentException("CopyOptions: JSON '" + unquote(t.get(i), "JSON") + "' is not "
                + "supported by Millrace; use JSON 'auto' or JSON 'auto ignorecase' (JSONPaths files are not read).");
          }
          json = true;
          ignoreCase = mode.endsWith("ignorecase");
        }
        case "CSV" -> {
          csv = true;
          if (i + 1 < t.size() && t.get(i + 1).equalsIgnoreCase("QUOTE")) {
            i = skipAs(t, i + 2, argument(t, i + 2, "QUOTE"));
            quote = oneChar(unquote(t.get(i), "QUOTE"), "QUOTE");
          }
        }
        case "DELIMITER" -> {
          i = skipAs(t, i + 1, argument(t, i + 1, "DELIMITER"));
          delimiter = oneChar(unquote(t.get(i), "DELIMITER"), "DELIMITER");
        }
        case "NULL" -> {
          i = skipAs(t, i + 1, argument(t, i + 1, "NULL"));
          nullAs = unquote(t.get(i), "NULL");
        }
        case "IGNOREHEADER" -> {
          i = skipAs(t, i + 1, argument(t, i + 1, "IGNOREHEADER"));
          try {
            ignoreLines = Integer.parseInt(t.get(i));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CopyOptions: IGNOREHEADER takes a number of lines, not " + t.get(i));
          }
        }
        case "GZIP" -> gzip = true;
        case "FORMAT" -> { // FORMAT [AS] JSON ... / FORMAT [AS] CSV: the word is optional in Redshift
          if (i + 1 < t.size() && t.get(i + 1).equalsIgnoreCase("AS")) {
            i++;
          }
        }
        case "DATEFORMAT", "TIMEFORMAT" -> {
          i = skipAs(t, i + 1, argument(t, i + 1, word));
          if (!unquote(t.get(i), word).equalsIgnoreCase("auto")) {
            throw new IllegalArgumentException("CopyOptions: " + word + " '" + unquote(t.get(i), word) + "' is not "
                + "supported by Millrace; use " + word + " 'auto' (PostgreSQL reads ISO dates and times).");
          }
        }
        case "COMPUPDATE", "STATUPDATE" -> {
          if (i + 1 < t.size() && t.get(i + 1).toUpperCase(Locale.ROOT).matches("ON|OFF|TRUE|FALSE|PRESET")) {
            i++;
          }
        }
        default -> throw new IllegalArgumentException("CopyOptions: " + t.get(i) + " is not supported by "
            + "Millrace's load into PostgreSQL; it reads JSON 'auto', CSV, DELIMITER, QUOTE, NULL AS, IGNOREHEADER, "
            + "GZIP, DATEFORMAT/TIMEFORMAT 'auto', COMPUPDATE and STATUPDATE.");
      }
    }
    if (json && (csv || delimiter != null)) {
      throw new IllegalArgumentException("CopyOptions: JSON cannot be combined with CSV or DELIMITER.");
    }
    char d = delimiter != null ? delimiter : csv ? ',' : '|';
    return new CopyOptions(json, ignoreCase, csv, d, quote, nullAs, ignoreLines, gzip);
  }

  /**
   * The PostgreSQL statement that reads the rows Millrace sends: CSV for JSON loads (Millrace writes the rows),
   * else the object's own format.
   */
  String copySql(String table, List<String> columns) {
    StringBuilder sql = new StringBuilder("COPY ").append(table);
    if (!columns.isEmpty()) {
      sql.append(" (").append(String.join(", ", columns)).append(')');
    }
    sql.append(" FROM STDIN WITH (FORMAT csv");
    if (!csv) {
      // JSON 'auto' and delimited text arrive as CSV rows Millrace writes (RedshiftLoader): every value quoted, NULL
      // an unquoted empty field.
      return sql.append(')').toString();
    }
    sql.append(", DELIMITER ").append(literal(String.valueOf(delimiter)));
    if (quote != null) {
      sql.append(", QUOTE ").append(literal(String.valueOf(quote)));
    }
    if (nullAs != null) {
      sql.append(", NULL ").append(literal(nullAs));
    }
    return sql.append(')').toString();
  }

  private static String literal(String s) {
    return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String argument(List<String> t, int i, String option) {
    if (i >= t.size()) {
      throw new IllegalArgumentException("CopyOptions: " + option + " needs a value.");
    }
    return t.get(i);
  }

  /** Steps over an optional AS; the index of the value. */
  private static int skipAs(List<String> t, int i, String token) {
    if (token.equalsIgnoreCase("AS")) {
      argument(t, i + 1, "AS");
      return i + 1;
    }
    return i;
  }

  private static String unquote(String token, String option) {
    if (token.length() >= 2 && token.startsWith("'") && token.endsWith("'")) {
      return token.substring(1, token.length() - 1).replace("''", "'");
    }
    throw new IllegalArgumentException("CopyOptions: " + option + " takes a quoted value such as '|', not " + token);
  }

  private static char oneChar(String value, String option) {
    String v = value.equals("\\t") ? "\t" : value;
    if (v.length() != 1) {
      throw new IllegalArgumentException("CopyOptions: " + option + " must be one character, not '" + value + "'.");
    }
    return v.charAt(0);
  }

  /** Words and single-quoted strings ('' inside a string is a quote). */
  private static List<String> tokens(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '\'') {
        int j = i + 1;
        while (true) {
          if (j >= s.length()) {
            throw new IllegalArgumentException("CopyOptions: a quoted value is not closed: " + s.substring(i));
          }
          if (s.charAt(j) == '\'' && j + 1 < s.length() && s.charAt(j + 1) == '\'') {
            j += 2;
          } else if (s.charAt(j) == '\'') {
            break;
          } else {
            j++;
          }
        }
        out.add(s.substring(i, j + 1));
        i = j + 1;
      } else {
        int j = i;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '\'') {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
    }
    return out;
  }
}
