package io.millrace.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Records what one logger (and its children) logs at WARN or above while attached, for tests that check the server
 * says why something failed. {@code try (LogCapture log = LogCapture.of(ShardVerticle.class)) { ... }}
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final Logger logger;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private LogCapture(Logger logger) {
    this.logger = logger;
  }

  /** Starts recording {@code type}'s logger. */
  public static LogCapture of(Class<?> type) {
    Logger logger = (Logger) LoggerFactory.getLogger(type);
    LogCapture capture = new LogCapture(logger);
    capture.setContext(logger.getLoggerContext());
    capture.start();
    logger.addAppender(capture);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
      StringBuilder line = new StringBuilder(event.getLevel() + " " + event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(line.toString());
    }
  }

  /** Every WARN or ERROR line so far, with the messages of its exception chain after {@code |}. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    stop();
  }
}
