package io.millrace.api.op;

import io.millrace.error.KinesisException;
import java.util.Map;
import java.util.regex.Pattern;

/** Tag rules AWS applies beyond the shapes' sizes: characters, key and value lengths, 50 per stream. */
final class Tags {

  private static final Pattern VALID = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@%]*");

  private Tags() {}

  static void check(Map<String, String> tags) {
    if (tags == null) {
      return;
    }
    for (Map.Entry<String, String> t : tags.entrySet()) {
      String key = t.getKey();
      String value = t.getValue() == null ? "" : t.getValue();
      if (key.isEmpty() || key.length() > 128 || value.length() > 256) {
        throw new KinesisException.InvalidArgument("Tag keys must be 1 to 128 characters and tag values at most "
            + "256 characters; tag '" + key + "' does not fit.");
      }
      if (!VALID.matcher(key).matches() || !VALID.matcher(value).matches()) {
        throw new KinesisException.InvalidArgument("Some tags contain invalid characters. Valid characters: "
            + "Unicode letters, digits, white space, _ . / = + - % @.");
      }
      if (key.startsWith("aws:")) {
        throw new KinesisException.InvalidArgument("Tag keys must not start with 'aws:', which AWS reserves.");
      }
    }
  }
}
