package io.millrace.api.codec;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.error.KinesisException;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a request body as Kinesis's own deserializer does, in its order and in its words, before any rule of the
 * shape is checked.
 *
 * <ol>
 *   <li>{@link #parse}: the body must be a JSON (or CBOR) object; anything else, including {@code null} and
 *       {@code true}, is a SerializationException with no message.</li>
 *   <li>{@link #bind}: each member's value must have the member's type, checked in document order; the first one
 *       that does not is the one SerializationException (key {@code Message}) Kinesis reports, worded as its Java
 *       deserializer words it ({@code class java.lang.String can not be converted to an Integer},
 *       {@code Start of structure or map found where not expected.}, {@code Expected list or null}, a blob that is not
 *       base64...). Numbers are then read as Kinesis reads them: an integer member takes any number, truncated and
 *       clamped to the int range ({@code 100000000000} is validated as {@code 2147483647}); a timestamp takes epoch
 *       seconds in JSON and epoch milliseconds in CBOR (what the AWS SDKs write).</li>
 * </ol>
 * Members the shape does not know are ignored, as Kinesis ignores them.
 *
 * <p>Thread-safe: the member tables are built once per request type and cached.
 */
public final class ShapeReader {

  private static final String NUMBER = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
  private static final String BOOLEAN = "class java.lang.Boolean";
  private static final String STRING = "class java.lang.String";
  private static final String START_OF_STRUCTURE = "Start of structure or map found where not expected.";
  private static final String START_OF_LIST = "Start of list found where not expected";
  private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

  /** What a member holds, as far as reading it is concerned. */
  private sealed interface Kind {}

  private enum Scalar implements Kind { STRING, INTEGER, BOOLEAN, BLOB, TIMESTAMP }

  private record ListOf(Kind element) implements Kind {}

  private record MapOf(Kind value) implements Kind {}

  private record Structure(Class<?> type) implements Kind {}

  /** A member kept as a JSON tree, unchecked (a structure Millrace only inspects, to refuse it clearly). */
  private record Any() implements Kind {}

  private static final Map<Class<?>, Map<String, Kind>> MEMBERS = new ConcurrentHashMap<>();

  private ShapeReader() {}

  /** The body as an object tree, or a SerializationException with no message, as Kinesis answers. */
  public static ObjectNode parse(byte[] body, WireFormat format) {
    JsonNode tree;
    try {
      tree = Mappers.of(format).readTree(body);
    } catch (IOException e) {
      throw new KinesisException.Serialization(null);
    }
    if (tree == null || !tree.isObject()) {
      throw new KinesisException.Serialization(null);
    }
    return (ObjectNode) tree;
  }

  /** The request of type {@code type} the tree holds, after Kinesis's type checks (see the class note). */
  public static <T> T bind(ObjectNode tree, Class<T> type, WireFormat format) {
    check(tree, new Structure(type), format);
    try {
      return Mappers.of(format).treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      // The checks above leave nothing Jackson could refuse; should it anyway, answer as Kinesis answers an unreadable
      // body rather than with Jackson's words (which name Java classes).
      throw new KinesisException.Serialization(null);
    }
  }

  /** Checks {@code node} against {@code kind}, normalizing numbers in place. Returns the node to keep. */
  private static JsonNode check(JsonNode node, Kind kind, WireFormat format) {
    if (node.isNull() || kind instanceof Any) {
      return node;
    }
    if (kind instanceof Structure s) {
      if (node.isArray()) {
        throw mismatch(START_OF_LIST);
      }
      if (!node.isObject()) {
        throw mismatch("Expected null");
      }
      Map<String, Kind> members = members(s.type());
      ObjectNode object = (ObjectNode) node;
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> member = it.next();
        Kind memberKind = members.get(member.getKey());
        if (memberKind != null) {
          member.setValue(check(member.getValue(), memberKind, format));
        }
      }
      return node;
    }
    if (kind instanceof ListOf list) {
      if (node.isObject()) {
        throw mismatch(START_OF_STRUCTURE);
      }
      if (!node.isArray()) {
        throw mismatch("Expected list or null");
      }
      ArrayNode array = (ArrayNode) node;
      for (int i = 0; i < array.size(); i++) {
        array.set(i, check(array.get(i), list.element(), format));
      }
      return node;
    }
    if (kind instanceof MapOf map) {
      if (node.isArray()) {
        throw mismatch(START_OF_LIST);
      }
      if (!node.isObject()) {
        throw mismatch("Expected map or null");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        entry.setValue(check(entry.getValue(), map.value(), format));
      }
      return node;
    }
    return scalar(node, (Scalar) kind, format);
  }

  private static JsonNode scalar(JsonNode node, Scalar kind, WireFormat format) {
    if (node.isObject()) {
      throw mismatch(START_OF_STRUCTURE);
    }
    if (node.isArray()) {
      throw mismatch(START_OF_LIST);
    }
    JsonNodeType type = node.getNodeType();
    switch (kind) {
      case STRING -> {
        if (type == JsonNodeType.NUMBER) {
          throw mismatch(NUMBER + " can not be converted to an String");
        }
        if (type == JsonNodeType.BOOLEAN) {
          throw mismatch(BOOLEAN + " can not be converted to an String");
        }
        return node;
      }
      case INTEGER -> {
        if (type == JsonNodeType.STRING) {
          throw mismatch(STRING + " can not be converted to an Integer");
        }
        if (type == JsonNodeType.BOOLEAN) {
          throw mismatch(BOOLEAN + " can not be converted to an Integer");
        }
        return type == JsonNodeType.NUMBER ? IntNode.valueOf(truncatedInt(node)) : node;
      }
      case BOOLEAN -> {
        if (type == JsonNodeType.STRING) {
          throw mismatch("'" + node.asText() + "' can not be converted to an Boolean");
        }
        if (type == JsonNodeType.NUMBER) {
          throw mismatch(NUMBER + " can not be converted to an Boolean");
        }
        return node;
      }
      case BLOB -> {
        if (type == JsonNodeType.NUMBER) {
          throw mismatch(NUMBER + " can not be converted to a Blob");
        }
        if (type == JsonNodeType.BOOLEAN) {
          throw mismatch(BOOLEAN + " can not be converted to a Blob");
        }
        if (type == JsonNodeType.STRING) {
          // Decoded once, here: binding then takes the bytes as they are.
          return BinaryNode.valueOf(Base64Check.decode(node.asText()));
        }
        return node;
      }
      case TIMESTAMP -> {
        if (type == JsonNodeType.STRING) {
          throw mismatch(STRING + " can not be converted to milliseconds since epoch");
        }
        if (type == JsonNodeType.BOOLEAN) {
          throw mismatch(BOOLEAN + " can not be converted to milliseconds since epoch");
        }
        if (type == JsonNodeType.NUMBER) {
          // Kept as epoch seconds: JSON writes seconds, the SDK's CBOR integer milliseconds (a CBOR float is seconds).
          BigDecimal value = node.decimalValue();
          boolean millis = format == WireFormat.CBOR && node.isIntegralNumber();
          return DecimalNode.valueOf(millis ? value.divide(THOUSAND) : value);
        }
        return node;
      }
      default -> throw new IllegalStateException("unknown kind " + kind);
    }
  }

  /** A number as Kinesis's integer members take it: truncated toward zero, clamped to the int range. */
  private static int truncatedInt(JsonNode number) {
    BigInteger whole = number.isIntegralNumber() ? number.bigIntegerValue()
        : number.decimalValue().toBigInteger();
    if (whole.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
      return Integer.MAX_VALUE;
    }
    if (whole.compareTo(BigInteger.valueOf(Integer.MIN_VALUE)) < 0) {
      return Integer.MIN_VALUE;
    }
    return whole.intValue();
  }

  private static KinesisException mismatch(String message) {
    return new KinesisException.Serialization(message);
  }

  /**
   * The members of a request record, by wire name: the component name with a capital first letter, or its
   * {@link JsonProperty} name where the component has one (as for {@code AWSKMSKeyARN}).
   */
  private static Map<String, Kind> members(Class<?> type) {
    return MEMBERS.computeIfAbsent(type, t -> {
      Map<String, Kind> members = new ConcurrentHashMap<>();
      RecordComponent[] components = t.getRecordComponents();
      if (components == null) {
        throw new IllegalArgumentException(t + " is not a record");
      }
      for (RecordComponent c : components) {
        JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
        String name = renamed != null && !renamed.value().isEmpty() ? renamed.value()
            : Character.toUpperCase(c.getName().charAt(0)) + c.getName().substring(1);
        members.put(name, kindOf(c.getGenericType()));
      }
      return members;
    });
  }

  private static Kind kindOf(Type type) {
    if (type instanceof ParameterizedType p) {
      Type raw = p.getRawType();
      Type[] args = p.getActualTypeArguments();
      if (raw == List.class) {
        return new ListOf(kindOf(args[0]));
      }
      if (raw == Map.class) {
        return new MapOf(kindOf(args[1]));
      }
      throw new IllegalArgumentException("no wire kind for " + type);
    }
    if (type == String.class) {
      return Scalar.STRING;
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return Scalar.INTEGER;
    }
    if (type == Boolean.class || type == boolean.class) {
      return Scalar.BOOLEAN;
    }
    if (type == byte[].class) {
      return Scalar.BLOB;
    }
    if (type == Instant.class) {
      return Scalar.TIMESTAMP;
    }
    if (type instanceof Class<?> c && c.isRecord()) {
      return new Structure(c);
    }
    if (type == JsonNode.class) {
      return new Any();
    }
    throw new IllegalArgumentException("no wire kind for " + type);
  }
}
