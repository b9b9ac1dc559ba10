package io.millrace.api.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only place that turns a {@link Throwable} into an AWS error. A {@link KinesisException} maps to its own code;
 * a Jackson failure to read the body is the client's mistake (SerializationException); anything else is a bug or a
 * fault of ours, answered as InternalFailure (500) and logged once with its stack.
 */
public final class ErrorMapper {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  /** What to put on the wire for a failure. */
  public record WireError(ErrorCode code, String message) {}

  public static WireError map(Throwable failure, String operation) {
    if (failure instanceof KinesisException k) {
      return new WireError(k.code(), k.getMessage());
    }
    if (failure instanceof JsonProcessingException j) {
      return new WireError(ErrorCode.SERIALIZATION, describe(j));
    }
    LOG.error("Internal failure in {}", operation, failure);
    return new WireError(ErrorCode.INTERNAL_FAILURE, "Internal service failure while running " + operation
        + "; the server log has the details.");
  }

  /** A Jackson failure in words a client can act on: what was wrong and at which member. */
  static String describe(JsonProcessingException e) {
    String what = e.getOriginalMessage();
    int newline = what.indexOf('\n');
    if (newline >= 0) {
      what = what.substring(0, newline);
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      String path = m.getPath().stream()
          .map(r -> r.getFieldName() != null ? r.getFieldName() : String.valueOf(r.getIndex()))
          .collect(Collectors.joining("."));
      return "Cannot read member '" + path + "': " + what;
    }
    return "The request body is not valid: " + what;
  }
}
