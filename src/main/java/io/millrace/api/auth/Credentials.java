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
 * The key pairs from the credentials file ({@link CredentialsFile}), kept current: the file is checked on a worker
 * every few seconds and read again when it changed, so keys rotate without a restart. A file that has become
 * unreadable or malformed is reported in the log and the last good keys stay.
 *
 * <p>Thread-safe: the event loops read the current keys; a worker replaces them.
 */
public final class Credentials {

  private static final Logger LOG = LoggerFactory.getLogger(Credentials.class);

  private final Path file;
  private final String defaultAccount;
  private volatile Map<String, CredentialsFile.Principal> byKey;
  private volatile String stamp;

  private Credentials(Path file, String defaultAccount, Map<String, CredentialsFile.Principal> byKey, String stamp) {
    this.file = file;
    this.defaultAccount = defaultAccount;
    this.byKey = byKey;
    this.stamp = stamp;
  }

  /**
   * Reads the file. Blocking.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it (so the server refuses to start)
   */
  public static Credentials load(Path file, String defaultAccount) {
    try {
      String stamp = stamp(file);
      Map<String, CredentialsFile.Principal> keys = CredentialsFile.parse(Files.readString(file,
          StandardCharsets.UTF_8), defaultAccount);
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("no profile with both aws_access_key_id and aws_secret_access_key");
      }
      return new Credentials(file, defaultAccount, keys, stamp);
    } catch (IOException e) {
      throw new IllegalArgumentException("credentials file " + file + " cannot be read: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("credentials file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The principal whose access key id this is, or null. */
  public CredentialsFile.Principal find(String accessKeyId) {
    return byKey.get(accessKeyId);
  }

  /** Checks the file every {@code periodMillis} (on a worker) and reads it again when it changed. */
  public void watch(Vertx vertx, long periodMillis) {
    vertx.setPeriodic(periodMillis, id -> vertx.executeBlocking(() -> {
      reloadIfChanged();
      return null;
    }, false));
  }

  /** Reads the file again if its time or size changed. Blocking. */
  void reloadIfChanged() {
    try {
      String now = stamp(file);
      if (now.equals(stamp)) {
        return;
      }
      Credentials fresh = load(file, defaultAccount);
      byKey = fresh.byKey;
      stamp = now;
      LOG.info("Credentials reloaded from {}: {} key pairs", file, byKey.size());
    } catch (IOException | IllegalArgumentException e) {
      try {
        stamp = stamp(file); // reported once per change, not every period
      } catch (IOException gone) {
        stamp = "";
      }
      LOG.warn("Credentials file {} could not be reloaded ({}); the keys read before stay", file, e.getMessage());
    }
  }

  private static String stamp(Path file) throws IOException {
    return Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file);
  }
}
