package io.millrace.api.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The key pairs a server accepts, read from a file in the AWS shared-credentials format that users already keep
 * ({@code ~/.aws/credentials}): INI profiles with {@code aws_access_key_id}, {@code aws_secret_access_key}, an
 * optional {@code aws_session_token} (temporary credentials: requests must carry it) and an optional
 * {@code aws_account_id} (the account the caller acts in; the server's default account otherwise), and for temporary
 * credentials an optional {@code x_security_token_expires} (ISO-8601, as saml2aws and similar tools write it), after
 * which requests with the key answer ExpiredTokenException. Comments start
 * with {@code #} or {@code ;}. Profiles without both keys are skipped.
 *
 * <p>A profile may also carry an identity policy ({@link Policy}), inline as {@code millrace_policy = {...}} or as
 * {@code millrace_policy_file = PATH} (relative to the credentials file's directory); the AWS CLI and SDKs ignore
 * both settings. A profile with a policy is the IAM user {@code arn:aws:iam::<account>:user/<profile>}, allowed
 * what its policy allows; one without is its account's root, allowed everything in its account.
 */
public final class CredentialsFile {

  private CredentialsFile() {}

  /** One accepted key pair and who uses it. */
  public record Principal(String profile, String accessKeyId, String secretKey, String sessionToken,
                          String account, Policy policy, Instant expires) {

    public Principal(String profile, String accessKeyId, String secretKey, String sessionToken, String account) {
      this(profile, accessKeyId, secretKey, sessionToken, account, null, null);
    }

    public Principal(String profile, String accessKeyId, String secretKey, String sessionToken, String account,
                     Policy policy) {
      this(profile, accessKeyId, secretKey, sessionToken, account, policy, null);
    }

    /** The principal's ARN, as policies and AccessDeniedException name it. */
    public String arn() {
      return "arn:aws:iam::" + account + (policy == null ? ":root" : ":user/" + profile);
    }

    @Override
    public String toString() {
      return "Principal[" + profile + ", " + accessKeyId + "]"; // never the secret
    }
  }

  /**
   * The principals of {@code text}, by access key id.
   *
   * @throws IllegalArgumentException naming the line, for a line that is neither a section, a setting nor a
   *                                  comment, or for an access key id given in two profiles
   */
  public static Map<String, Principal> parse(String text, String defaultAccount) {
    return parse(text, defaultAccount, Path.of(""));
  }

  /**
   * As {@link #parse(String, String)}, reading policy files relative to {@code directory}. Blocking when a profile
   * names a policy file.
   *
   * @throws IllegalArgumentException also for a policy that cannot be read or is not one {@link Policy} evaluates
   */
  public static Map<String, Principal> parse(String text, String defaultAccount, Path directory) {
    Map<String, Map<String, String>> profiles = new LinkedHashMap<>();
    Map<String, String> current = null;
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        String name = line.substring(1, line.length() - 1).strip();
        current = profiles.computeIfAbsent(name.startsWith("profile ") ? name.substring(8).strip() : name,
            n -> new HashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0 || current == null) {
        throw new IllegalArgumentException("line " + (i + 1) + " is not '[profile]' or 'key = value'");
      }
      current.put(line.substring(0, eq).strip().toLowerCase(Locale.ROOT), line.substring(eq + 1).strip());
    }
    Map<String, Principal> byKey = new HashMap<>();
    profiles.forEach((name, settings) -> {
      String key = settings.get("aws_access_key_id");
      String secret = settings.get("aws_secret_access_key");
      if (key == null || key.isEmpty() || secret == null || secret.isEmpty()) {
        return;
      }
      String token = settings.get("aws_session_token");
      String account = settings.getOrDefault("aws_account_id", defaultAccount);
      if (!account.matches("\\d{12}")) {
        throw new IllegalArgumentException("profile " + name + ": aws_account_id must be 12 digits, not "
            + account);
      }
      Principal before = byKey.put(key, new Principal(name, key, secret, token == null || token.isEmpty() ? null
          : token, account, policy(name, settings, directory), expires(name, settings)));
      if (before != null) {
        throw new IllegalArgumentException("access key " + key + " is in profiles " + before.profile() + " and "
            + name);
      }
    });
    return byKey;
  }

  private static Instant expires(String profile, Map<String, String> settings) {
    String value = settings.get("x_security_token_expires");
    if (value != null && !value.isEmpty() && settings.get("aws_session_token") == null) {
      throw new IllegalArgumentException("profile " + profile + " has x_security_token_expires but no "
          + "aws_session_token: only temporary credentials expire");
    }
    try {
      return value == null || value.isEmpty() ? null : OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("profile " + profile + ": x_security_token_expires must be an ISO-8601 "
          + "time such as 2026-12-01T18:00:00Z, not " + value);
    }
  }

  private static Policy policy(String profile, Map<String, String> settings, Path directory) {
    for (String key : settings.keySet()) {
      if (key.startsWith("millrace_") && !key.equals("millrace_policy") && !key.equals("millrace_policy_file")) {
        // a misspelt policy setting would otherwise make the profile its account's root
        throw new IllegalArgumentException("profile " + profile + ": " + key + " is not a setting; Millrace's are "
            + "millrace_policy and millrace_policy_file");
      }
    }
    String inline = settings.get("millrace_policy");
    String file = settings.get("millrace_policy_file");
    if (inline != null && file != null) {
      throw new IllegalArgumentException("profile " + profile + " has both millrace_policy and millrace_policy_file");
    }
    String text = inline;
    if (file != null) {
      Path path = directory.resolve(file);
      try {
        text = Files.readString(path, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException("profile " + profile + ": policy file " + path + " cannot be read: "
            + e.getMessage());
      }
    }
    try {
      return text == null ? null : Policy.parse(text, Policy.Kind.IDENTITY);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("profile " + profile + ": " + e.getMessage());
    }
  }
}
