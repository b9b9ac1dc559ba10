package io.millrace.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.millrace.config.MillraceConfig;
import org.slf4j.LoggerFactory;

/**
 * Applies the log settings to logback, configured by {@code logback.xml} (a readable line per event on standard
 * output): {@code logFormat: json} swaps the console appender for one writing a JSON object per line (logback's
 * {@link JsonEncoder}: time, level, logger, thread, message, key-value pairs, exception), and {@code accessLog}
 * opens the access logger ({@code io.millrace.access}) at its level.
 */
final class Logs {

  private Logs() {}

  /** The level access-log lines are written at, or null when the access log is off. */
  static org.slf4j.event.Level accessLevel(MillraceConfig config) {
    return switch (config.accessLog()) {
      case "info" -> org.slf4j.event.Level.INFO;
      case "debug" -> org.slf4j.event.Level.DEBUG;
      default -> null;
    };
  }

  /** Opens (or closes) the access logger at the configured level; every server start does. */
  static void applyAccessLog(MillraceConfig config) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      org.slf4j.event.Level access = accessLevel(config);
      context.getLogger("io.millrace.access").setLevel(access == null ? Level.OFF : Level.toLevel(access.name()));
    }
  }

  /** The log format, for the process (Main): a server in another program logs as that program says. */
  static void applyFormat(MillraceConfig config) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding: its own configuration applies
    }
    if (config.logFormat().equals("json")) {
      Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(context);
      encoder.setWithFormattedMessage(true); // the message with its values, not only its template
      encoder.setWithArguments(false);
      encoder.start();
      ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
      json.setContext(context);
      json.setName("JSON");
      json.setEncoder(encoder);
      json.start();
      root.detachAndStopAllAppenders();
      root.addAppender(json);
    }
  }
}
