package io.millrace.api.validate;

import io.millrace.error.KinesisException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Collects constraint violations in AWS's exact wording and turns them into one {@code ValidationException}:
 * {@code "2 validation errors detected: Value '...' at 'streamName' failed to satisfy constraint: Member must ...;
 * Value null at 'shardId' failed to satisfy constraint: Member must not be null"}. As AWS does, every failed rule is
 * reported (an empty stream name breaks both its pattern and its minimum length), members in the order the shape
 * declares them; at most 10 are reported (and counted, as AWS does).
 *
 * <p>Shapes call the checks in {@code validate(Validator)}; each rule is declared once, there.
 */
public final class Validator {

  private static final int MAX_REPORTED = 10;
  public static final String NAME_PATTERN = "[a-zA-Z0-9_.-]+";
  public static final String HASH_KEY_PATTERN = "0|([1-9]\\d{0,38})";
  public static final String SEQUENCE_NUMBER_PATTERN = "0|([1-9]\\d{0,128})";
  public static final String STREAM_ARN_PATTERN = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
  public static final String CONSUMER_ARN_PATTERN =
      "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+";
  public static final String RESOURCE_ARN_PATTERN = "arn:aws.*:kinesis:.*:\\d{12}:.+";

  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  private final List<String> errors = new ArrayList<>();
  private final boolean showValues;

  /** A validator whose messages show each offending value, as Kinesis's do ({@code Value 'x' at 'path'}). */
  public Validator() {
    this(true);
  }

  private Validator(boolean showValues) {
    this.showValues = showValues;
  }

  /**
   * A validator whose messages leave the offending value out ({@code Value at 'path' failed to satisfy ...}), as
   * today's Firehose words them; a missing member still reads {@code Value null at 'path'}.
   */
  public static Validator withoutValues() {
    return new Validator(false);
  }

  /** Throws the collected violations, if any. */
  public void throwIfInvalid() {
    if (errors.isEmpty()) {
      return;
    }
    // AWS counts only the errors it reports: 501 bad records read "10 validation errors detected: ..." (kinesalite's
    // suite, run against AWS, expects exactly that).
    List<String> shown = errors.subList(0, Math.min(errors.size(), MAX_REPORTED));
    int n = shown.size();
    throw new KinesisException.Validation(n + " validation error" + (n == 1 ? "" : "s") + " detected: "
        + String.join("; ", shown));
  }

  public List<String> errors() {
    return List.copyOf(errors);
  }

  private void fail(Object value, String path, String rule) {
    failConstraint(value, path, "Member must " + rule);
  }

  private void failConstraint(Object value, String path, String constraint) {
    String shown = value == null ? "Value null" : showValues ? "Value '" + display(value) + "'" : "Value";
    errors.add(shown + " at '" + path + "' failed to satisfy constraint: " + constraint);
  }

  /** Kinesis's words for a length range of a list member, map key or map value: both bounds, whichever failed. */
  private static String lengths(int min, int max) {
    return "[Member must have length less than or equal to " + max + ", Member must have length greater than or "
        + "equal to " + min + "]";
  }

  private static String display(Object value) {
    if (value instanceof byte[] b) {
      return blobShown(b.length);
    }
    if (value instanceof Collection<?> c) {
      // Like AWS: scalars as they are, structures as an object name (AWS prints its Java class and hash).
      StringBuilder out = new StringBuilder("[");
      for (Object item : c) {
        if (out.length() > 1) {
          out.append(", ");
        }
        out.append(item == null || item instanceof CharSequence || item instanceof Number ? String.valueOf(item)
            : item instanceof Shown shown ? shown.shown()
            : SHAPE_PACKAGE + item.getClass().getSimpleName() + "@" + Integer.toHexString(contentHash(item)));
      }
      return out.append(']').toString();
    }
    return String.valueOf(value);
  }

  /**
   * A structure that shows itself in a validation message its own way (Firehose prints a record of a list as
   * {@code Record(data=java.nio.HeapByteBuffer[pos=0 lim=15 cap=15])}, Kinesis by its class and hash).
   */
  public interface Shown {
    String shown();
  }

  /** What AWS prints for a blob of {@code length} bytes: the server-side buffer. */
  public static String blobShown(int length) {
    return "java.nio.HeapByteBuffer[pos=0 lim=" + length + " cap=" + length + "]";
  }

  /** Where Kinesis's own request shapes live; its messages name a structure in a list by that class. */
  private static final String SHAPE_PACKAGE = "com.amazonaws.kinesis.v20131202.";

  /** A hash of a shape's content (equal entries print alike, as in Kinesis's messages); blobs by their bytes. */
  private static int contentHash(Object shape) {
    if (!(shape instanceof Record)) {
      return shape.hashCode();
    }
    int hash = 1;
    for (RecordComponent c : shape.getClass().getRecordComponents()) {
      Object v;
      try {
        v = c.getAccessor().invoke(shape);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("unreadable shape member " + c.getName(), e);
      }
      hash = 31 * hash + (v instanceof byte[] b ? Arrays.hashCode(b) : Objects.hashCode(v));
    }
    return hash;
  }

  /** A member that must be present. Returns whether it is, so callers can skip further checks. */
  public boolean required(String path, Object value) {
    if (value == null) {
      fail(null, path, "not be null");
      return false;
    }
    return true;
  }

  /** A string member with a length range and, optionally, a pattern. Null passes (use {@link #required}). */
  public Validator string(String path, String value, int minLength, int maxLength, String pattern) {
    if (value == null) {
      return this;
    }
    // Like AWS, every failed rule of the member is reported, pattern first (an empty name fails two rules).
    int length = value.codePointCount(0, value.length());
    if (pattern != null && !PATTERNS.computeIfAbsent(pattern, Pattern::compile).matcher(value).matches()) {
      fail(value, path, "satisfy regular expression pattern: " + pattern);
    }
    if (length < minLength) {
      fail(value, path, "have length greater than or equal to " + minLength);
    }
    if (length > maxLength) {
      fail(value, path, "have length less than or equal to " + maxLength);
    }
    return this;
  }

  /** A required string member. */
  public Validator requiredString(String path, String value, int minLength, int maxLength, String pattern) {
    if (required(path, value)) {
      string(path, value, minLength, maxLength, pattern);
    }
    return this;
  }

  /** A stream name member (optional when a StreamARN may stand in for it). */
  public Validator streamName(String path, String value) {
    return string(path, value, 1, 128, NAME_PATTERN);
  }

  public Validator streamArn(String path, String value) {
    return string(path, value, 1, 2048, STREAM_ARN_PATTERN);
  }

  public Validator blob(String path, byte[] value, int maxLength) {
    if (value != null && value.length > maxLength) {
      fail(value, path, "have length less than or equal to " + maxLength);
    }
    return this;
  }

  /** An integer member with a range. Null passes. */
  public Validator range(String path, Integer value, long min, long max) {
    if (value == null) {
      return this;
    }
    if (value < min) {
      fail(value, path, "have value greater than or equal to " + min);
    } else if (value > max) {
      fail(value, path, "have value less than or equal to " + max);
    }
    return this;
  }

  /** An enum member. Null passes. */
  public Validator oneOf(String path, String value, List<String> allowed) {
    if (value != null && !allowed.contains(value)) {
      fail(value, path, "satisfy enum value set: " + allowed);
    }
    return this;
  }

  /**
   * Every key and every value of a string map within its length range; Kinesis reports the whole map once for its
   * keys and once for its values. Null passes.
   */
  public Validator mapLengths(String path, Map<String, String> map, int keyMin, int keyMax, int valueMin,
                              int valueMax) {
    if (map == null) {
      return this;
    }
    if (map.keySet().stream().anyMatch(k -> outside(k, keyMin, keyMax))) {
      failConstraint(map, path, "Map keys must satisfy constraint: " + lengths(keyMin, keyMax));
    }
    if (map.values().stream().anyMatch(v -> v != null && outside(v, valueMin, valueMax))) {
      failConstraint(map, path, "Map value must satisfy constraint: " + lengths(valueMin, valueMax));
    }
    return this;
  }

  /** Every member of a string list within its length range; Kinesis reports the whole list once. Null passes. */
  public Validator memberLengths(String path, List<String> list, int min, int max) {
    if (list != null && list.stream().anyMatch(m -> m != null && outside(m, min, max))) {
      failConstraint(list, path, "Member must satisfy constraint: " + lengths(min, max));
    }
    return this;
  }

  private static boolean outside(String s, int min, int max) {
    int length = s.codePointCount(0, s.length());
    return length < min || length > max;
  }

  /** A list or map member with a size range. Null passes. */
  public Validator size(String path, Object collection, int min, int max) {
    if (collection == null) {
      return this;
    }
    int size = collection instanceof Map<?, ?> m ? m.size() : ((Collection<?>) collection).size();
    if (size < min) {
      fail(collection, path, "have length greater than or equal to " + min);
    } else if (size > max) {
      fail(collection, path, "have length less than or equal to " + max);
    }
    return this;
  }
}
