package io.millrace.api.op;

import io.millrace.error.KinesisException;
import java.util.Collection;
import java.util.regex.Pattern;

/**
 * The characters Kinesis allows in tag keys and values, checked after the resource is found (lengths and counts are
 * the shapes' constraints, checked before). Kinesis answers in two wordings: one for characters outside its set, and
 * another for {@code %}, which that first message lists as valid but which is refused all the same.
 */
final class Tags {

  private static final Pattern VALID = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_./=+\\-@%]*");

  private Tags() {}

  /**
   * InvalidArgument unless every text is made of allowed characters; {@code failedTo} completes Kinesis's sentence
   * "Failed to ..." (for example {@code add tags to stream s under account 123456789012}).
   */
  static void checkCharacters(Collection<String> texts, String failedTo) {
    for (String text : texts) {
      if (text != null && !VALID.matcher(text).matches()) {
        throw new KinesisException.InvalidArgument("Some tags contain invalid characters. Valid characters: "
            + "Unicode letters, digits, white space, _ . / = + - % @.");
      }
    }
    for (String text : texts) {
      if (text != null && text.indexOf('%') >= 0) {
        throw new KinesisException.InvalidArgument("Failed to " + failedTo + " because some tags contained illegal "
            + "characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.");
      }
    }
  }
}
