package io.millrace.api.codec;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.millrace.error.KinesisException;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a request body as Kinesis's own deserializer does, in its order and in its words, before any rule of the
 * shape is checked.
 *
 * <ol>
 *   <li>the body must be one JSON (or CBOR) object; anything else, including {@code null} and {@code true}, is a
 *       SerializationException with no message ({@link #checkWellFormed});</li>
 *   <li>each member, read in one streaming pass straight into the request record ({@link #read}), must have the
 *       member's type, checked in document order; the first one that does not is the one
 *       SerializationException (key {@code Message}) Kinesis reports, worded as its Java deserializer words it
 *       ({@code class java.lang.String can not be converted to an Integer}, {@code Start of structure or map found
 *       where not expected.}, {@code Expected list or null}, a blob that is not base64...). Numbers are read as
 *       Kinesis reads them: an integer member takes any number, truncated and clamped to the int range
 *       ({@code 100000000000} is validated as {@code 2147483647}); a timestamp takes epoch seconds in JSON and epoch
 *       milliseconds in CBOR (what the AWS SDKs write). Blobs are decoded by the JDK's decoder from the body's own
 *       bytes, without an intermediate string, and no object tree is built (this runs for every record put).</li>
 * </ol>
 * Members the shape does not know are skipped, as Kinesis ignores them; of a member given twice, the last counts.
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
  private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
  private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);

  /** What a member holds, as far as reading it is concerned. */
  private sealed interface Kind {}

  private enum Scalar implements Kind { STRING, INTEGER, LONG, BOOLEAN, BLOB, TIMESTAMP }

  private record ListOf(Kind element) implements Kind {}

  private record MapOf(Kind value) implements Kind {}

  /** A request record, or a structure inside one (itself a record). */
  private record Structure(Class<?> type) implements Kind {}

  /** A member kept as a JSON tree, unchecked (a structure Millrace only inspects, to refuse it clearly). */
  private record Any() implements Kind {}

  private record Member(int index, Kind kind) {}

  /**
   * How to build a record: its members by wire name, its canonical constructor (taking an {@code Object[]}), the
   * defaults of its primitive components (null elsewhere) and which components are primitive.
   */
  private record Shape(Map<String, Member> members, MethodHandle constructor, Object[] defaults,
                       boolean[] primitive) {}

  private static final Map<Class<?>, Shape> SHAPES = new ConcurrentHashMap<>();

  private ShapeReader() {}

  /**
   * Checks that the body is a single well-formed object, scanning tokens only; else a SerializationException with no
   * message. {@link #read} checks this too: call it alone where a request is refused for another reason first
   * (an unknown action...) but a malformed body is what Kinesis would name.
   */
  public static void checkWellFormed(byte[] body, WireFormat format) {
    try (JsonParser p = Mappers.of(format).getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new KinesisException.Serialization(null);
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new KinesisException.Serialization(null);
      }
    } catch (IOException e) {
      throw new KinesisException.Serialization(null);
    }
  }

  /**
   * The request of type {@code type} the body holds, after Kinesis's type checks (see the class note), in one pass.
   * A body that is not one well-formed object is a SerializationException with no message, even where a member
   * before the fault has the wrong type.
   */
  public static <T> T read(byte[] body, WireFormat format, Class<T> type) {
    try (JsonParser p = Mappers.of(format).getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new KinesisException.Serialization(null);
      }
      T request = type.cast(structure(p, shape(type), format, body));
      if (p.nextToken() != null) {
        throw new KinesisException.Serialization(null);
      }
      return request;
    } catch (IOException e) {
      throw new KinesisException.Serialization(null);
    } catch (KinesisException.Serialization e) {
      if (e.getMessage() != null) {
        checkWellFormed(body, format); // a malformed body is named before a type mismatch
      }
      throw e;
    }
  }

  /** Reads the value at the parser's current token as {@code kind}; leaves the parser on the value's last token. */
  private static Object read(JsonParser p, Kind kind, WireFormat format, byte[] body) throws IOException {
    JsonToken token = p.currentToken();
    if (kind instanceof Any) {
      JsonNode tree = Mappers.of(format).readTree(p);
      return tree == null ? NullNode.getInstance() : tree;
    }
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (kind instanceof Structure s) {
      if (token == JsonToken.START_ARRAY) {
        throw mismatch(START_OF_LIST);
      }
      if (token != JsonToken.START_OBJECT) {
        throw mismatch("Expected null");
      }
      return structure(p, shape(s.type()), format, body);
    }
    if (kind instanceof ListOf list) {
      if (token == JsonToken.START_OBJECT) {
        throw mismatch(START_OF_STRUCTURE);
      }
      if (token != JsonToken.START_ARRAY) {
        throw mismatch("Expected list or null");
      }
      List<Object> values = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        values.add(read(p, list.element(), format, body));
      }
      return values;
    }
    if (kind instanceof MapOf map) {
      if (token == JsonToken.START_ARRAY) {
        throw mismatch(START_OF_LIST);
      }
      if (token != JsonToken.START_OBJECT) {
        throw mismatch("Expected map or null");
      }
      Map<String, Object> values = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        values.put(key, read(p, map.value(), format, body));
      }
      return values;
    }
    return scalar(p, token, (Scalar) kind, format, body);
  }

  private static Object structure(JsonParser p, Shape shape, WireFormat format, byte[] body)
      throws IOException {
    Object[] args = shape.defaults().clone();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      Member member = shape.members().get(p.currentName());
      p.nextToken();
      if (member == null) {
        p.skipChildren();
      } else {
        Object value = read(p, member.kind(), format, body);
        if (value != null || !shape.primitive()[member.index()]) {
          args[member.index()] = value;
        }
      }
    }
    try {
      return (Object) shape.constructor().invokeExact(args);
    } catch (Error e) {
      throw e;
    } catch (Throwable e) {
      // A record that refuses what it was given: an unreadable body to Kinesis, as it was when Jackson bound it.
      throw new KinesisException.Serialization(null);
    }
  }

  private static Object scalar(JsonParser p, JsonToken token, Scalar kind, WireFormat format, byte[] body)
      throws IOException {
    if (token == JsonToken.START_OBJECT) {
      throw mismatch(START_OF_STRUCTURE);
    }
    if (token == JsonToken.START_ARRAY) {
      throw mismatch(START_OF_LIST);
    }
    boolean number = token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
    boolean bool = token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE;
    boolean text = token == JsonToken.VALUE_STRING;
    boolean bytes = token == JsonToken.VALUE_EMBEDDED_OBJECT && p.getEmbeddedObject() instanceof byte[];
    switch (kind) {
      case STRING -> {
        if (number) {
          throw mismatch(NUMBER + " can not be converted to an String");
        }
        if (bool) {
          throw mismatch(BOOLEAN + " can not be converted to an String");
        }
        if (bytes) {
          return Base64.getEncoder().encodeToString((byte[]) p.getEmbeddedObject());
        }
        return text ? p.getText() : unreadable();
      }
      case INTEGER, LONG -> {
        if (text) {
          throw mismatch(STRING + " can not be converted to an Integer");
        }
        if (bool) {
          throw mismatch(BOOLEAN + " can not be converted to an Integer");
        }
        if (!number) {
          return unreadable();
        }
        int value = truncatedInt(p, token);
        return kind == Scalar.LONG ? (Object) (long) value : (Object) value;
      }
      case BOOLEAN -> {
        if (text) {
          throw mismatch("'" + p.getText() + "' can not be converted to an Boolean");
        }
        if (number) {
          throw mismatch(NUMBER + " can not be converted to an Boolean");
        }
        return bool ? token == JsonToken.VALUE_TRUE : unreadable();
      }
      case BLOB -> {
        if (number) {
          throw mismatch(NUMBER + " can not be converted to a Blob");
        }
        if (bool) {
          throw mismatch(BOOLEAN + " can not be converted to a Blob");
        }
        if (text) {
          return format == WireFormat.JSON ? jsonBlob(p, body) : Base64Check.decode(p.getText());
        }
        return bytes ? p.getEmbeddedObject() : unreadable();
      }
      case TIMESTAMP -> {
        if (text) {
          throw mismatch(STRING + " can not be converted to milliseconds since epoch");
        }
        if (bool) {
          throw mismatch(BOOLEAN + " can not be converted to milliseconds since epoch");
        }
        if (!number) {
          return unreadable();
        }
        // JSON writes epoch seconds, the SDK's CBOR integer milliseconds (a CBOR float is seconds).
        BigDecimal value = p.getDecimalValue();
        boolean millis = format == WireFormat.CBOR && token == JsonToken.VALUE_NUMBER_INT;
        return Instant.ofEpochMilli((millis ? value : value.movePointRight(3)).longValue());
      }
      default -> throw new IllegalStateException("unknown kind " + kind);
    }
  }

  /**
   * A JSON blob, decoded from the body's own bytes where the string has no escapes (base64 needs none), so that the
   * parser never turns it into characters; else from the parser's text.
   */
  private static byte[] jsonBlob(JsonParser p, byte[] body) throws IOException {
    long quote = p.currentTokenLocation().getByteOffset();
    if (quote >= 0 && quote < body.length && body[(int) quote] == '"') {
      int start = (int) quote + 1;
      int end = start;
      while (end < body.length && body[end] != '"' && body[end] != '\\') {
        end++;
      }
      if (end < body.length && body[end] == '"') {
        return Base64Check.decode(body, start, end - start);
      }
    }
    return Base64Check.decode(p.getText());
  }

  /** A number as Kinesis's integer members take it: truncated toward zero, clamped to the int range. */
  private static int truncatedInt(JsonParser p, JsonToken token) throws IOException {
    if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
      return p.getIntValue();
    }
    BigInteger whole = token == JsonToken.VALUE_NUMBER_INT ? p.getBigIntegerValue()
        : p.getDecimalValue().toBigInteger();
    if (whole.compareTo(INT_MAX) > 0) {
      return Integer.MAX_VALUE;
    }
    if (whole.compareTo(INT_MIN) < 0) {
      return Integer.MIN_VALUE;
    }
    return whole.intValue();
  }

  /** A value of a kind no AWS SDK writes for the member (a CBOR byte string for a number...): refused, no message. */
  private static Object unreadable() {
    throw new KinesisException.Serialization(null);
  }

  private static KinesisException mismatch(String message) {
    return new KinesisException.Serialization(message);
  }

  /**
   * The shape of a request record. Members by wire name: the component name with a capital first letter, or its
   * {@link JsonProperty} name where the component has one (as for {@code AWSKMSKeyARN}).
   */
  private static Shape shape(Class<?> type) {
    return SHAPES.computeIfAbsent(type, t -> {
      RecordComponent[] components = t.getRecordComponents();
      if (components == null) {
        throw new IllegalArgumentException(t + " is not a record");
      }
      Map<String, Member> members = new HashMap<>();
      Class<?>[] types = new Class<?>[components.length];
      Object[] defaults = new Object[components.length];
      boolean[] primitive = new boolean[components.length];
      for (int i = 0; i < components.length; i++) {
        RecordComponent c = components[i];
        JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
        String name = renamed != null && !renamed.value().isEmpty() ? renamed.value()
            : Character.toUpperCase(c.getName().charAt(0)) + c.getName().substring(1);
        members.put(name, new Member(i, kindOf(c.getGenericType())));
        types[i] = c.getType();
        defaults[i] = primitiveDefault(c.getType());
        primitive[i] = c.getType().isPrimitive();
      }
      try {
        MethodHandle constructor = MethodHandles.publicLookup()
            .findConstructor(t, MethodType.methodType(void.class, types))
            .asType(MethodType.genericMethodType(types.length))
            .asSpreader(Object[].class, types.length);
        return new Shape(Map.copyOf(members), constructor, defaults, primitive);
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException(t + " has no public canonical constructor", e);
      }
    });
  }

  private static Object primitiveDefault(Class<?> type) {
    if (type == int.class) {
      return 0;
    }
    if (type == long.class) {
      return 0L;
    }
    if (type == boolean.class) {
      return false;
    }
    return null;
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
    if (type == Integer.class || type == int.class) {
      return Scalar.INTEGER;
    }
    if (type == Long.class || type == long.class) {
      return Scalar.LONG;
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
