package io.millrace.firehose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.Expression;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.PathOutput;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.path.Path;

/**
 * A MetadataExtractionQuery: a jq 1.6 program (Firehose runs jq 1.6 itself; here jackson-jq runs it) that builds an
 * object of partition keys from a JSON record, such as {@code {customer_id: .customer_id, year: .ts|strftime("%Y")}}.
 * jackson-jq lacks jq's time functions; {@code strftime} is added here for what partitioning uses: epoch seconds
 * formatted in UTC.
 *
 * <p>Immutable and thread-safe once compiled.
 */
public final class JqQuery {

  private static final Scope ROOT = rootScope();

  private final String source;
  private final JsonQuery query;

  private JqQuery(String source, JsonQuery query) {
    this.source = source;
    this.query = query;
  }

  /** Compiles {@code source}; IllegalArgumentException with jq's complaint if it is not a jq program. */
  public static JqQuery compile(String source) {
    try {
      return new JqQuery(source, JsonQuery.compile(source, Versions.JQ_1_6));
    } catch (JsonQueryException | RuntimeException e) {
      throw new IllegalArgumentException("The MetadataExtractionQuery " + source + " is not a valid jq 1.6 program: "
          + e.getMessage());
    }
  }

  public String source() {
    return source;
  }

  /**
   * The partition keys the query gives for {@code record}: its one output must be an object of scalars, each a key's
   * value as text. IllegalArgumentException (with why) when the query fails, gives anything else, or a key is null.
   */
  public Map<String, String> partitionKeys(JsonNode record) {
    List<JsonNode> out = new ArrayList<>(1);
    try {
      query.apply(Scope.newChildScope(ROOT), record, out::add);
    } catch (JsonQueryException | RuntimeException e) {
      throw new IllegalArgumentException("jq: error: " + e.getMessage());
    }
    if (out.size() != 1 || !out.get(0).isObject()) {
      throw new IllegalArgumentException("The query did not give one object of partition keys");
    }
    Map<String, String> keys = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) out.get(0)::fields) {
      JsonNode v = e.getValue();
      if (v == null || v.isNull() || v.isContainerNode()) {
        throw new IllegalArgumentException("The partition key " + e.getKey() + " is " + (v == null || v.isNull()
            ? "null" : "not a scalar"));
      }
      keys.put(e.getKey(), v.asText());
    }
    return keys;
  }

  private static Scope rootScope() {
    Scope scope = Scope.newEmptyScope();
    BuiltinFunctionLoader.getInstance().loadFunctions(Versions.JQ_1_6, scope);
    scope.addFunction("strftime", 1, new Strftime());
    return scope;
  }

  /** jq's {@code strftime(fmt)} of epoch seconds, in UTC. */
  private static final class Strftime implements Function {
    @Override
    public void apply(Scope scope, List<Expression> args, JsonNode in, Path path, PathOutput output,
                      Version version) throws JsonQueryException {
      if (!in.isNumber()) {
        throw new JsonQueryException("strftime/1 requires parsed datetime inputs");
      }
      ZonedDateTime t = Instant.ofEpochMilli((long) Math.floor(in.asDouble() * 1000)).atZone(ZoneOffset.UTC);
      List<JsonNode> formats = new ArrayList<>(1);
      args.get(0).apply(scope, in, formats::add);
      for (JsonNode f : formats) {
        if (!f.isTextual()) {
          throw new JsonQueryException("strftime/1 requires a string format");
        }
        output.emit(TextNode.valueOf(format(f.asText(), t)), null);
      }
    }

    static String format(String fmt, ZonedDateTime t) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < fmt.length(); i++) {
        char c = fmt.charAt(i);
        if (c != '%' || i + 1 == fmt.length()) {
          out.append(c);
          continue;
        }
        char spec = fmt.charAt(++i);
        switch (spec) {
          case 'Y' -> out.append(t.getYear());
          case 'y' -> out.append(pad(t.getYear() % 100));
          case 'm' -> out.append(pad(t.getMonthValue()));
          case 'd' -> out.append(pad(t.getDayOfMonth()));
          case 'e' -> out.append(String.format("%2d", t.getDayOfMonth()));
          case 'H' -> out.append(pad(t.getHour()));
          case 'M' -> out.append(pad(t.getMinute()));
          case 'S' -> out.append(pad(t.getSecond()));
          case 'j' -> out.append(String.format("%03d", t.getDayOfYear()));
          case 'b', 'h' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT));
          case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT));
          case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT));
          case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT));
          case 'F' -> out.append(t.getYear()).append('-').append(pad(t.getMonthValue())).append('-')
              .append(pad(t.getDayOfMonth()));
          case 'T' -> out.append(pad(t.getHour())).append(':').append(pad(t.getMinute())).append(':')
              .append(pad(t.getSecond()));
          case 's' -> out.append(t.toEpochSecond());
          case 'Z' -> out.append("UTC");
          case 'z' -> out.append("+0000");
          case '%' -> out.append('%');
          default -> out.append('%').append(spec);
        }
      }
      return out.toString();
    }

    private static String pad(int n) {
      return n < 10 ? "0" + n : String.valueOf(n);
    }
  }
}
