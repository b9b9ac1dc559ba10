package io.millrace.storage;

/** UTF-8 length without encoding the string. */
public final class Utf8 {
  private Utf8() {}

  /** Number of bytes {@code s} takes in UTF-8. Unpaired surrogates count as the 3-byte replacement. */
  public static int length(CharSequence s) {
    int bytes = 0;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
