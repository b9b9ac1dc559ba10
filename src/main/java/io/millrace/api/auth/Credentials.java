package io.millrace.api.auth;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key pairs from the credentials file ({@link CredentialsFile}), kept current: the file is read on a worker every
 * few seconds (it is small, as are the policy files its profiles name) and taken again when what it says changed,
 * so keys and policies change without a restart, whatever happens to the files' times and sizes. A file that has become
 * unreadable or malformed (say, caught half written) is
 * reported in the log once and the last good keys stay; the next read tries again.
 *
 * <p>Thread-safe: the event loops read the current keys; a worker replaces them.
 */
public final class Credentials {

  private static final Logger LOG = LoggerFactory.getLogger(Credentials.class);

  private final Path file;
  private final String defaultAccount;
  private volatile Map<String, CredentialsFile.Principal> byKey;
  /** The last reload failure reported, so that it is reported once. */
  private String failure;

  private Credentials(Path file, String defaultAccount, Map<String, CredentialsFile.Principal> byKey) {
    this.file = file;
    this.defaultAccount = defaultAccount;
    this.byKey = byKey;
  }

  /**
   * Reads the file. Blocking.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it (so the server refuses to start)
   */
  public static Credentials load(Path file, String defaultAccount) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return new Credentials(file, defaultAccount, parse(file, text, defaultAccount));
    } catch (IOException e) {
      throw new IllegalArgumentException("credentials file " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static Map<String, CredentialsFile.Principal> parse(Path file, String text, String defaultAccount) {
    try {
      Map<String, CredentialsFile.Principal> keys = CredentialsFile.parse(text, defaultAccount,
          file.toAbsolutePath().getParent());
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("no profile with both aws_access_key_id and aws_secret_access_key");
      }
      return keys;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("credentials file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The principal whose access key id this is, or null. */
  public CredentialsFile.Principal find(String accessKeyId) {
    return byKey.get(accessKeyId);
  }

  /** Reads the file every {@code periodMillis} (on a worker, one read at a time) and takes it when it changed. */
  public void watch(Vertx vertx, long periodMillis) {
    vertx.setPeriodic(periodMillis, id -> vertx.executeBlocking(() -> {
      reloadIfChanged();
      return null;
    }, true));
  }

  /** Reads the file (and its policy files) and takes them if they changed since the last good read. Blocking. */
  synchronized void reloadIfChanged() {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      report("cannot be read: " + e.getMessage());
      return;
    }
    try {
      Map<String, CredentialsFile.Principal> read = parse(file, text, defaultAccount);
      failure = null;
      if (read.equals(byKey)) {
        return;
      }
      byKey = read;
      LOG.info("Credentials reloaded from {}: {} key pairs", file, byKey.size());
    } catch (IllegalArgumentException e) {
      report(e.getMessage());
    }
  }

  /** Logs a failed read once until it changes; the keys read before stay. */
  private void report(String why) {
    if (!why.equals(failure)) {
      failure = why;
      LOG.warn("Credentials file {} could not be reloaded ({}); the keys read before stay", file, why);
    }
  }
}
