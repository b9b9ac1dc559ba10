package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CopyOptionsTest {

  @Test
  void no_options_read_pipe_delimited_text_with_backslashes_as_plain_characters_as_redshift_does() {
    CopyOptions o = CopyOptions.parse(null);
    assertFalse(o.json());
    assertFalse(o.csv());
    assertEquals('|', o.delimiter());
    assertEquals("COPY events (a, b) FROM STDIN WITH (FORMAT csv)", o.copySql("events", List.of("a", "b")),
        "the text goes as CSV rows Millrace writes (RedshiftLoader.textToCsv)");
  }

  @Test
  void format_as_is_read_as_the_format_it_names() {
    assertTrue(CopyOptions.parse("FORMAT AS JSON 'auto'").json());
    assertTrue(CopyOptions.parse("FORMAT CSV").csv());
  }

  @Test
  void json_auto_is_loaded_as_csv_rows_that_millrace_writes() {
    CopyOptions o = CopyOptions.parse("json 'auto'");
    assertTrue(o.json());
    assertFalse(o.ignoreCase());
    assertEquals("COPY t (x) FROM STDIN WITH (FORMAT csv)", o.copySql("t", List.of("x")));
    assertTrue(CopyOptions.parse("JSON AS 'auto ignorecase' GZIP").ignoreCase());
    assertTrue(CopyOptions.parse("JSON AS 'auto ignorecase' GZIP").gzip());
  }

  @Test
  void csv_with_a_delimiter_quote_null_and_header_maps_onto_postgresql_s_csv_options() {
    CopyOptions o = CopyOptions.parse("CSV QUOTE AS '''' DELIMITER ';' NULL AS 'n/a' IGNOREHEADER 1 "
        + "DATEFORMAT 'auto' TIMEFORMAT AS 'auto' COMPUPDATE OFF STATUPDATE OFF");
    assertEquals(1, o.ignoreLines());
    assertEquals("COPY s.t FROM STDIN WITH (FORMAT csv, DELIMITER E';', QUOTE E'\\'', NULL E'n/a')",
        o.copySql("s.t", List.of()));
    assertEquals('\t', CopyOptions.parse("DELIMITER '\\t'").delimiter());
  }

  @Test
  void options_millrace_cannot_honour_are_refused_by_name() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CopyOptions.parse("MAXERROR 10")).getMessage()
        .contains("MAXERROR is not supported"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CopyOptions.parse("JSON 's3://b/paths.json'"))
        .getMessage().contains("JSONPaths files are not read"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CopyOptions.parse("DELIMITER '||'"))
        .getMessage().contains("one character"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CopyOptions.parse("JSON 'auto' CSV"))
        .getMessage().contains("cannot be combined"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CopyOptions.parse("NULL AS 'x"))
        .getMessage().contains("not closed"));
  }
}
