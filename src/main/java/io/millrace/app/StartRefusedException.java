package io.millrace.app;

/**
 * A start refused for a reason the operator can fix (the data directory or port is taken): {@link Main} prints its
 * message as one line, with no stack trace, and exits.
 */
public final class StartRefusedException extends RuntimeException {

  public StartRefusedException(String message) {
    super(message, null, false, false);
  }
}
