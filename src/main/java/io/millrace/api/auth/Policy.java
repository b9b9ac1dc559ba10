package io.millrace.api.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An IAM policy document: an identity policy (what a configured principal may do) or a resource policy (who may act
 * on a stream or consumer, as PutResourcePolicy stores it). The grammar IAM evaluates for these, less conditions:
 * statements with {@code Effect}, {@code Action}/{@code NotAction} and {@code Resource}/{@code NotResource} (with
 * {@code *} and {@code ?} wildcards; actions compared ignoring case), and in resource policies {@code Principal}
 * ({@code "*"} or {@code {"AWS": ...}} naming user ARNs, account ids or account root ARNs). A document this does not
 * evaluate ({@code Condition}, {@code NotPrincipal}, service principals) is refused when it is read rather than
 * evaluated wrongly. Immutable; equal when read from the same text.
 */
public final class Policy {

  /** Which side of IAM's evaluation a policy is on. */
  public enum Kind { IDENTITY, RESOURCE }

  /** What a policy says about one request. */
  public enum Effect {
    /** A statement denies it. */
    DENY,
    /** A statement allows it, naming the caller (or any caller) as principal; identity policies always do. */
    ALLOW,
    /** A statement allows it for the caller's account as a whole (its id or root ARN as principal). */
    ALLOW_ACCOUNT,
    /** Nothing applies. */
    NONE
  }

  /** Strict: a second document after the first, or a key given twice, would be read as something not written. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  /** The principals a statement may name: anyone, an account (its id or root), or an IAM user. */
  private static final Pattern PRINCIPAL = Pattern.compile("\\*|\\d{12}|arn:aws:iam::\\d{12}:(root|user/[\\w+=,.@-]+)");
  private static final Set<String> DOCUMENT_KEYS = Set.of("Version", "Id", "Statement");
  private static final Set<String> VERSIONS = Set.of("2012-10-17", "2008-10-17");

  private final String text;
  private final List<Statement> statements;

  private Policy(String text, List<Statement> statements) {
    this.text = text;
    this.statements = statements;
  }

  /**
   * One statement. {@code principals} is null in an identity policy.
   */
  private record Statement(boolean allow, List<String> actions, boolean notAction, List<String> resources,
                           boolean notResource, List<String> principals) {

    boolean covers(String action, String resource) {
      boolean actionListed = actions.stream().anyMatch(p -> Wildcard.matches(p.toLowerCase(Locale.ROOT),
          action.toLowerCase(Locale.ROOT)));
      boolean resourceListed = resources.stream().anyMatch(p -> Wildcard.matches(p, resource));
      return actionListed != notAction && resourceListed != notResource;
    }

    /** ALLOW if the statement names the caller, ALLOW_ACCOUNT if only its account, NONE if neither. */
    Effect names(CredentialsFile.Principal caller) {
      if (principals == null) {
        return Effect.ALLOW;
      }
      Effect best = Effect.NONE;
      for (String p : principals) {
        if (p.equals("*") || p.equals(caller.arn())) {
          return Effect.ALLOW;
        }
        if (p.equals(caller.account()) || p.equals("arn:aws:iam::" + caller.account() + ":root")) {
          best = Effect.ALLOW_ACCOUNT;
        }
      }
      return best;
    }
  }

  /**
   * Reads a policy document.
   *
   * @throws IllegalArgumentException saying, in words for the person who wrote it, what is wrong
   */
  public static Policy parse(String text, Kind kind) {
    JsonNode document;
    try {
      document = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the policy is not valid JSON: " + e.getOriginalMessage());
    }
    if (document == null || !document.isObject()) {
      throw new IllegalArgumentException("the policy must be a JSON object with a Statement");
    }
    unexpected(document, DOCUMENT_KEYS, "the policy");
    JsonNode version = document.get("Version");
    if (version != null && !VERSIONS.contains(version.asText())) {
      throw new IllegalArgumentException("Version must be 2012-10-17, not " + version);
    }
    JsonNode statement = document.get("Statement");
    if (statement == null || statement.isArray() && statement.isEmpty()) {
      throw new IllegalArgumentException("the policy has no Statement");
    }
    List<Statement> statements = new ArrayList<>();
    for (JsonNode s : statement.isArray() ? statement : List.of(statement)) {
      statements.add(statement(s, kind, statements.size() + 1));
    }
    return new Policy(text, List.copyOf(statements));
  }

  private static final Set<String> STATEMENT_KEYS = Set.of("Sid", "Effect", "Action", "NotAction", "Resource",
      "NotResource", "Principal");

  private static Statement statement(JsonNode s, Kind kind, int number) {
    String where = "statement " + number;
    if (!s.isObject()) {
      throw new IllegalArgumentException(where + " is not a JSON object");
    }
    if (s.has("Condition")) {
      throw new IllegalArgumentException(where + " has a Condition, which Millrace does not evaluate; express the "
          + "rule with Action, Resource and Principal instead");
    }
    if (s.has("NotPrincipal")) {
      throw new IllegalArgumentException(where + " has NotPrincipal, which Millrace does not evaluate; name the "
          + "principals with Principal instead");
    }
    unexpected(s, STATEMENT_KEYS, where);
    String effect = s.path("Effect").asText("");
    if (!effect.equals("Allow") && !effect.equals("Deny")) {
      throw new IllegalArgumentException(where + ": Effect must be Allow or Deny");
    }
    boolean notAction = exactlyOne(s, "Action", "NotAction", where);
    boolean notResource = exactlyOne(s, "Resource", "NotResource", where);
    List<String> actions = strings(s.get(notAction ? "NotAction" : "Action"), where);
    for (String action : actions) {
      if (!action.equals("*") && action.indexOf(':') <= 0) {
        throw new IllegalArgumentException(where + ": action " + action + " is not service:Action, e.g. "
            + "kinesis:PutRecord");
      }
    }
    List<String> resources = strings(s.get(notResource ? "NotResource" : "Resource"), where);
    List<String> principals = null;
    if (kind == Kind.RESOURCE) {
      principals = principals(s.get("Principal"), where);
    } else if (s.has("Principal")) {
      throw new IllegalArgumentException(where + " has a Principal, which an identity policy does not have: "
          + "its principal is the profile it belongs to");
    }
    return new Statement(effect.equals("Allow"), actions, notAction, resources, notResource, principals);
  }

  private static List<String> principals(JsonNode principal, String where) {
    if (principal == null) {
      throw new IllegalArgumentException(where + " has no Principal, which a resource policy needs");
    }
    if (principal.isTextual() && principal.asText().equals("*")) {
      return List.of("*");
    }
    if (!principal.isObject() || principal.size() != 1 || !principal.has("AWS")) {
      throw new IllegalArgumentException(where + ": Principal must be \"*\" or {\"AWS\": ...} naming IAM users, "
          + "account ids or account root ARNs");
    }
    List<String> named = strings(principal.get("AWS"), where);
    for (String p : named) {
      if (!PRINCIPAL.matcher(p).matches()) {
        throw new IllegalArgumentException(where + ": principal " + p + " is not \"*\", a 12-digit account id, "
            + "arn:aws:iam::<account>:root or arn:aws:iam::<account>:user/<name> (no wildcards; roles are not "
            + "principals here)");
      }
    }
    return named;
  }

  /** Whether the statement uses {@code not} rather than {@code key}; exactly one must be there. */
  private static boolean exactlyOne(JsonNode s, String key, String not, String where) {
    if (s.has(key) == s.has(not)) {
      throw new IllegalArgumentException(where + " must have exactly one of " + key + " and " + not);
    }
    return s.has(not);
  }

  private static List<String> strings(JsonNode node, String where) {
    List<String> values = new ArrayList<>();
    for (JsonNode n : node.isArray() ? node : List.of(node)) {
      if (!n.isTextual() || n.asText().isEmpty()) {
        throw new IllegalArgumentException(where + ": " + n + " is not a non-empty string");
      }
      values.add(n.asText());
    }
    if (values.isEmpty()) {
      throw new IllegalArgumentException(where + " has an empty list");
    }
    return List.copyOf(values);
  }

  private static void unexpected(JsonNode object, Set<String> known, String where) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      String key = it.next().getKey();
      if (!known.contains(key)) {
        throw new IllegalArgumentException(where + " has " + key + ", which is not one of " + known);
      }
    }
  }

  /** What this policy says about {@code caller} doing {@code action} (e.g. kinesis:PutRecord) on {@code resource}. */
  public Effect evaluate(CredentialsFile.Principal caller, String action, String resource) {
    Effect result = Effect.NONE;
    for (Statement s : statements) {
      if (!s.covers(action, resource)) {
        continue;
      }
      Effect named = s.names(caller);
      if (named == Effect.NONE) {
        continue;
      }
      if (!s.allow()) {
        return Effect.DENY;
      }
      if (named == Effect.ALLOW || result == Effect.NONE) {
        result = named;
      }
    }
    return result;
  }

  /** The document as written. */
  public String text() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Policy other && other.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** IAM's wildcards: {@code *} any run of characters, {@code ?} one character. */
  static final class Wildcard {
    private Wildcard() {}

    static boolean matches(String pattern, String value) {
      int p = 0;
      int v = 0;
      int star = -1;
      int resume = 0;
      while (v < value.length()) {
        if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == value.charAt(v))) {
          p++;
          v++;
        } else if (p < pattern.length() && pattern.charAt(p) == '*') {
          star = p++;
          resume = v;
        } else if (star >= 0) {
          p = star + 1;
          v = ++resume;
        } else {
          return false;
        }
      }
      while (p < pattern.length() && pattern.charAt(p) == '*') {
        p++;
      }
      return p == pattern.length();
    }
  }
}
