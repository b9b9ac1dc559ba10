package io.millrace.api.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Base64;

/**
 * The one place that builds Jackson mappers for the Kinesis wire formats.
 *
 * <p>Both mappers bind the {@code api.model} records with AWS's member names (PascalCase), omit null members, ignore
 * unknown members (newer SDKs send fields this server does not know), and refuse scalar coercions that AWS refuses
 * (a string where a number belongs is a {@code SerializationException}, not a silent conversion).
 *
 * <p>Encodings that differ between the formats ({@code protocol.md} A.3):
 * <ul>
 *   <li>blobs ({@code byte[]}): base64 text in JSON; a byte string in CBOR (base64 text is accepted too);</li>
 *   <li>timestamps ({@link Instant}): JSON writes epoch seconds with a millisecond fraction ({@code 1459799926.480})
 *       and reads int or float seconds; CBOR writes tag 1 + integer epoch <em>milliseconds</em> (what the AWS SDK
 *       expects) and reads tagged or untagged integer milliseconds, or a float as seconds.</li>
 * </ul>
 * Thread-safe; build once and share.
 */
public final class Mappers {

  private static final ObjectMapper JSON = configure(JsonMapper.builder().build())
      .registerModule(new SimpleModule("millrace-json-blobs").addDeserializer(byte[].class, new Base64Blob())
          .addSerializer(byte[].class, new Base64Text()));
  private static final ObjectMapper CBOR = configure(CBORMapper.builder().build());

  private Mappers() {}

  public static ObjectMapper json() {
    return JSON;
  }

  public static ObjectMapper cbor() {
    return CBOR;
  }

  public static ObjectMapper of(WireFormat format) {
    return format == WireFormat.CBOR ? CBOR : JSON;
  }

  private static ObjectMapper configure(ObjectMapper mapper) {
    SimpleModule module = new SimpleModule("millrace-wire");
    module.addSerializer(Instant.class, new TimestampSerializer());
    module.addDeserializer(Instant.class, new TimestampDeserializer());
    mapper.registerModule(module);
    mapper.setPropertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE);
    mapper.setSerializationInclusion(JsonInclude.Include.NON_NULL);
    mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    mapper.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
    mapper.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
    mapper.configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);
    mapper.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
    mapper.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return mapper;
  }

  /**
   * Reads a JSON blob: the bytes {@link ShapeReader} already decoded (and checked as Kinesis checks base64), or base64
   * text read by the JDK's decoder (much faster than Jackson's for large payloads).
   */
  private static final class Base64Blob extends JsonDeserializer<byte[]> {
    @Override
    public byte[] deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_EMBEDDED_OBJECT && p.getEmbeddedObject() instanceof byte[] bytes) {
        return bytes;
      }
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        return (byte[]) ctxt.handleUnexpectedToken(byte[].class, p);
      }
      try {
        return Base64.getDecoder().decode(p.getText());
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(p, "not base64", e);
      }
    }
  }

  /**
   * Writes a JSON blob as base64 text (standard alphabet, padded, no line breaks: what Jackson's own serializer
   * writes) encoded by the JDK, whose encoder the JIT compiles to vector instructions (several times faster than
   * Jackson's for the records GetRecords returns), and written as it is (base64 needs no escaping).
   */
  private static final class Base64Text extends JsonSerializer<byte[]> {
    @Override
    public void serialize(byte[] value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
      if (gen instanceof UTF8JsonGenerator) {
        byte[] text = Base64.getEncoder().encode(value);
        gen.writeRawUTF8String(text, 0, text.length);
      } else {
        gen.writeBinary(value); // a generator writing characters (writeValueAsString), not the server's path
      }
    }
  }

  /** Writes an {@link Instant} as each wire format expects it. */
  private static final class TimestampSerializer extends JsonSerializer<Instant> {
    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
      long millis = value.toEpochMilli();
      if (gen instanceof CBORGenerator cbor) {
        cbor.writeTag(1);
        cbor.writeNumber(millis);
      } else {
        gen.writeNumber(BigDecimal.valueOf(millis, 3));
      }
    }
  }

  /** Reads an {@link Instant} in any of the shapes the AWS SDKs write. */
  private static final class TimestampDeserializer extends JsonDeserializer<Instant> {
    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken token = p.currentToken();
      boolean cbor = p instanceof CBORParser;
      if (token == JsonToken.VALUE_NUMBER_INT) {
        long n = p.getLongValue();
        return cbor ? Instant.ofEpochMilli(n) : Instant.ofEpochSecond(n);
      }
      if (token == JsonToken.VALUE_NUMBER_FLOAT) {
        BigDecimal seconds = p.getDecimalValue();
        return Instant.ofEpochMilli(seconds.movePointRight(3).longValue());
      }
      return (Instant) ctxt.handleUnexpectedToken(Instant.class, p);
    }
  }
}
