package io.millrace.api.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.millrace.api.codec.Mappers;
import io.millrace.api.codec.WireFormat;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.millrace.fanout.eventstream.EventStreamCodec;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one error exit: turns any failure into the AWS error a client gets, and renders it in every form an answer
 * takes (a JSON or CBOR body, an event-stream exception message, the XML Kinesis answers at the connection level).
 * A {@link KinesisException} is its own error; anything else is a bug or a fault of ours, answered InternalFailure
 * (500) and logged once, with the request id and the stack.
 *
 * <p>Stateless; thread-safe.
 */
public final class ErrorMapper {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  /** What to put on the wire for a failure: the AWS type and the message (null for none). */
  public record WireError(ErrorCode code, String message) {}

  /**
   * The wire error for {@code failure}; an unexpected one is logged with {@code requestId} and {@code operation}. A
   * message that repeats what the client sent has any unpaired UTF-16 surrogate (a malformed string in the request)
   * replaced by U+FFFD, so every encoder can write it.
   */
  public static WireError map(Throwable failure, String operation, String requestId) {
    if (failure instanceof KinesisException k) {
      return new WireError(k.code(), wellFormed(k.getMessage()));
    }
    LOG.error("Internal failure in {} (request {})", operation, requestId, failure);
    return new WireError(ErrorCode.INTERNAL_FAILURE, "Internal service failure while running " + operation
        + "; the server log has the details (request " + requestId + ").");
  }

  /** The body of an error answer, {@code {"__type": ..., "message": ...}} in {@code format}. */
  public static byte[] body(WireError error, WireFormat format) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("__type", error.code().wireType());
    if (error.message() != null) {
      body.put(error.code().messageKey(), error.message());
    }
    return write(body, format);
  }

  /**
   * The event-stream message that ends a SubscribeToShard stream with {@code error}: headers {@code :message-type}
   * {@code exception}, {@code :exception-type} the AWS type, and a JSON body {@code {"message": ...}}.
   */
  public static byte[] eventStreamException(WireError error) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(":message-type", "exception");
    headers.put(":exception-type", error.code().wireType());
    headers.put(":content-type", "application/json");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("message", error.message() == null ? "" : error.message());
    return EventStreamCodec.encode(headers, write(body, WireFormat.JSON));
  }

  /**
   * The XML body Kinesis answers before it knows which operation was meant (a method other than POST, a body in a
   * content type it does not speak): {@code <Type>\n  <Message>...</Message>\n</Type>\n}, or {@code <Type/>\n} when
   * there is no message.
   */
  public static byte[] xml(WireError error) {
    String type = error.code().wireType();
    String text = error.message() == null ? "<" + type + "/>\n"
        : "<" + type + ">\n  <Message>" + escapeXml(error.message()) + "</Message>\n</" + type + ">\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The body Kinesis answers to plain {@code application/json} requests, in the envelope of its internal protocol:
   * {@code {"Output":{"__type":"com.amazon.coral.service#<Type>"},"Version":"1.0"}}.
   */
  public static byte[] coralEnvelope(ErrorCode code) {
    Map<String, Object> output = new LinkedHashMap<>();
    output.put("__type", "com.amazon.coral.service#" + code.wireType());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("Output", output);
    body.put("Version", "1.0");
    return write(body, WireFormat.JSON);
  }

  /** {@code text} with each unpaired surrogate replaced by U+FFFD; null stays null. */
  static String wellFormed(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1));
      if (paired) {
        if (out != null) {
          out.append(c).append(text.charAt(i + 1));
        }
        i++;
      } else if (Character.isSurrogate(c)) {
        if (out == null) {
          out = new StringBuilder(text.length()).append(text, 0, i);
        }
        out.append('\uFFFD');
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }

  private static byte[] write(Map<String, Object> body, WireFormat format) {
    try {
      return Mappers.of(format).writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always encodes", e);
    }
  }

  private static String escapeXml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
