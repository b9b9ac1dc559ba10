package io.millrace.firehose;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names Firehose gives S3 objects: {@code <evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>}.
 * A prefix may hold expressions {@code !{namespace:value}}: {@code timestamp} (a Java DateTimeFormatter pattern,
 * evaluated at the arrival time of the oldest record in the object, every use the same instant), {@code firehose}
 * ({@code random-string}, {@code error-output-type}), {@code partitionKeyFromQuery} and
 * {@code partitionKeyFromLambda} (a record's partition keys). A prefix with no expression at all gets
 * {@code yyyy/MM/dd/HH/} appended as it is (no {@code /} put between: {@code legacy} gives {@code legacy2026/07/13/10/}),
 * as objects Firehose wrote show. Stateless; thread-safe.
 */
public final class ObjectKeys {

  /** An expression in a prefix. */
  private static final Pattern EXPRESSION = Pattern.compile("!\\{([A-Za-z]+):([^}]*)}");
  /** What Firehose appends to a prefix with no timestamp expression. */
  static final String DEFAULT_TIME_PREFIX = "!{timestamp:yyyy/MM/dd/HH/}";
  private static final DateTimeFormatter SUFFIX_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss");
  private static final String RANDOM_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  private static final int RANDOM_STRING_LENGTH = 11;
  private static final Map<String, DateTimeFormatter> FORMATTERS = new ConcurrentHashMap<>();

  private ObjectKeys() {}

  /** The namespaces a prefix may use. */
  public enum Namespace { TIMESTAMP, FIREHOSE, PARTITION_KEY_FROM_QUERY, PARTITION_KEY_FROM_LAMBDA }

  /** One expression of a prefix, as written. */
  public record Expression(Namespace namespace, String value) {}

  /**
   * The expressions of {@code prefix}, in order; IllegalArgumentException (with a message for the user) for one that
   * names no namespace Firehose has, a timestamp pattern Java cannot read, or a {@code firehose} value other than
   * {@code random-string} and {@code error-output-type}.
   */
  public static List<Expression> expressions(String prefix) {
    List<Expression> out = new ArrayList<>();
    if (prefix == null) {
      return out;
    }
    Matcher m = EXPRESSION.matcher(prefix);
    while (m.find()) {
      String value = m.group(2);
      Namespace namespace = switch (m.group(1)) {
        case "timestamp" -> Namespace.TIMESTAMP;
        case "firehose" -> Namespace.FIREHOSE;
        case "partitionKeyFromQuery" -> Namespace.PARTITION_KEY_FROM_QUERY;
        case "partitionKeyFromLambda" -> Namespace.PARTITION_KEY_FROM_LAMBDA;
        default -> throw new IllegalArgumentException("The expression " + m.group() + " uses the unknown namespace "
            + m.group(1) + "; the namespaces are timestamp, firehose, partitionKeyFromQuery and "
            + "partitionKeyFromLambda.");
      };
      if (namespace == Namespace.TIMESTAMP) {
        formatter(value);
      }
      if (namespace == Namespace.FIREHOSE && !value.equals("random-string")
          && !value.equals("error-output-type")) {
        throw new IllegalArgumentException("The expression " + m.group() + " is not valid: the firehose namespace "
            + "takes random-string or error-output-type.");
      }
      if (value.isEmpty()) {
        throw new IllegalArgumentException("The expression " + m.group() + " has no value.");
      }
      out.add(new Expression(namespace, value));
    }
    String rest = EXPRESSION.matcher(prefix).replaceAll("");
    if (rest.contains("!{")) {
      throw new IllegalArgumentException("The prefix " + prefix + " has an expression that is not closed or not of "
          + "the form !{namespace:value}.");
    }
    return out;
  }

  /** The prefix as evaluated for one object: {@code configured} (null: none) with the default time prefix if due. */
  public static String prefix(String configured, Instant oldestArrival, ZoneId zone, String errorOutputType,
                              Map<String, String> partitionKeys, Supplier<String> randomString) {
    String template = configured == null ? "" : configured;
    if (expressions(template).isEmpty()) {
      template = template + DEFAULT_TIME_PREFIX;
    }
    return evaluate(template, oldestArrival, zone, errorOutputType, partitionKeys, randomString);
  }

  /**
   * The prefix of an error object ({@code errorOutputType} such as {@code processing-failed}): the configured
   * ErrorOutputPrefix, or, with none, {@code <Prefix><error-output-type>/yyyy/MM/dd/HH/} (what Firehose's guide
   * describes; a Prefix without expressions only, as Firehose requires an ErrorOutputPrefix otherwise).
   */
  public static String errorPrefix(String errorOutputPrefix, String prefix, Instant oldestArrival, ZoneId zone,
                                   String errorOutputType, Supplier<String> randomString) {
    String template = errorOutputPrefix != null && !errorOutputPrefix.isEmpty() ? errorOutputPrefix
        : (prefix == null ? "" : prefix) + "!{firehose:error-output-type}/" + DEFAULT_TIME_PREFIX;
    return evaluate(template, oldestArrival, zone, errorOutputType, Map.of(), randomString);
  }

  /**
   * Evaluates every expression of {@code template}. A partition key the record lacks, or {@code error-output-type}
   * outside an error prefix ({@code errorOutputType} null), is an IllegalArgumentException.
   */
  public static String evaluate(String template, Instant oldestArrival, ZoneId zone, String errorOutputType,
                                Map<String, String> partitionKeys, Supplier<String> randomString) {
    Matcher m = EXPRESSION.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = m.group(2);
      String replacement = switch (m.group(1)) {
        case "timestamp" -> formatter(value).format(oldestArrival.atZone(zone));
        case "firehose" -> {
          if (value.equals("random-string")) {
            yield randomString.get();
          }
          if (errorOutputType == null) {
            throw new IllegalArgumentException("!{firehose:error-output-type} is only known in an error prefix");
          }
          yield errorOutputType;
        }
        default -> {
          String key = partitionKeys == null ? null : partitionKeys.get(value);
          if (key == null) {
            throw new IllegalArgumentException("The record has no partition key " + value);
          }
          yield key;
        }
      };
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The object name after the prefix: {@code <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>}, the time
   * in {@code zone}.
   */
  public static String objectName(String deliveryStream, long version, Instant time, ZoneId zone, UUID uuid,
                                  String extension) {
    return deliveryStream + "-" + version + "-" + SUFFIX_TIME.format(time.atZone(zone)) + "-" + uuid + extension;
  }

  /** Firehose's {@code !{firehose:random-string}}: 11 letters and digits. */
  public static String randomString(java.util.random.RandomGenerator random) {
    StringBuilder out = new StringBuilder(RANDOM_STRING_LENGTH);
    for (int i = 0; i < RANDOM_STRING_LENGTH; i++) {
      out.append(RANDOM_CHARS.charAt(random.nextInt(RANDOM_CHARS.length())));
    }
    return out.toString();
  }

  private static DateTimeFormatter formatter(String pattern) {
    return FORMATTERS.computeIfAbsent(pattern, p -> {
      try {
        return DateTimeFormatter.ofPattern(p);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("The expression !{timestamp:" + p + "} is not a valid Java "
            + "DateTimeFormatter pattern: " + e.getMessage());
      }
    });
  }
}
