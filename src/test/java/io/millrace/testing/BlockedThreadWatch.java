package io.millrace.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails any test during which Vert.x warned that an event loop was blocked. Registered for every test through
 * JUnit's extension auto-detection; the appender is wired in {@code logback-test.xml}.
 */
public final class BlockedThreadWatch implements BeforeEachCallback, AfterEachCallback {

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

  /** Logback appender that records Vert.x blocked-thread warnings. */
  public static final class Appender extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getLoggerName().contains("BlockedThreadChecker")) {
        WARNINGS.add(event.getFormattedMessage());
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    WARNINGS.clear();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!WARNINGS.isEmpty()) {
      String first = WARNINGS.get(0);
      WARNINGS.clear();
      throw new AssertionError("An event loop was blocked during this test: " + first);
    }
  }
}
