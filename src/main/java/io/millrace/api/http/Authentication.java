package io.millrace.api.http;

import io.millrace.api.op.RequestScope;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;

/**
 * Checks that a request carries SigV4-shaped authentication, as AWS and the popular emulators require, and reads the
 * account and region from its credential scope. Signatures are not verified (a later issue).
 *
 * <p>The account is the access key id when that is 12 digits (kinesis-mock's convention, handy for multi-account
 * tests), else the configured default; the region is the credential scope's.
 */
final class Authentication {

  private final String defaultAccount;
  private final String defaultRegion;

  Authentication(String defaultAccount, String defaultRegion) {
    this.defaultAccount = defaultAccount;
    this.defaultRegion = defaultRegion;
  }

  /** The query-string parameters of a presigned request, in the order Kinesis names the missing ones. */
  private static final String[] QUERY_PARAMETERS = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
      "X-Amz-SignedHeaders", "X-Amz-Date"};

  /** A request's authentication material: the headers and the presigned query string's parameters. */
  interface Material {
    String header(String name);

    /** The query-string parameter's value ("" when present without one), or null when absent. */
    String query(String name);
  }

  /**
   * The request's account and region, or the authentication error Kinesis gives, in its order: both a header and a
   * presigned query ({@code X-Amz-Algorithm} present), then none at all, then each part that is missing.
   */
  RequestScope scope(Material request) {
    String authorization = request.header("Authorization");
    boolean presigned = request.query("X-Amz-Algorithm") != null;
    if (authorization != null && presigned) {
      throw new KinesisException.Authentication(ErrorCode.INVALID_SIGNATURE,
          "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
    }
    if (authorization == null && !presigned) {
      throw new KinesisException.Authentication(ErrorCode.MISSING_AUTHENTICATION_TOKEN,
          "Missing Authentication Token");
    }
    String credential;
    if (authorization != null) {
      credential = param(authorization, "Credential");
      StringBuilder missing = new StringBuilder();
      for (String p : new String[] {"Credential", "Signature", "SignedHeaders"}) {
        if (param(authorization, p) == null) {
          missing.append("Authorization header requires '").append(p).append("' parameter. ");
        }
      }
      if (request.header("X-Amz-Date") == null && request.header("Date") == null) {
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
      }
      if (missing.length() > 0) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE,
            missing + "Authorization=" + authorization);
      }
    } else {
      StringBuilder missing = new StringBuilder();
      for (String p : QUERY_PARAMETERS) {
        String value = request.query(p);
        if (value == null || value.isEmpty()) {
          missing.append("AWS query-string parameters must include '").append(p).append("'. ");
        }
      }
      if (missing.length() > 0) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE,
            missing + "Re-examine the query-string parameters.");
      }
      credential = request.query("X-Amz-Credential");
    }
    // Credential = <access key id>/<date>/<region>/<service>/aws4_request
    int first = credential.indexOf('/');
    int second = first < 0 ? -1 : credential.indexOf('/', first + 1);
    int third = second < 0 ? -1 : credential.indexOf('/', second + 1);
    String accessKey = first < 0 ? credential : credential.substring(0, first);
    String scopeRegion = third < 0 ? "" : credential.substring(second + 1, third);
    String account = accessKey.length() == 12 && allMatch(accessKey, "0123456789") ? accessKey : defaultAccount;
    String region = !scopeRegion.isEmpty() && scopeRegion.length() <= 32
        && allMatch(scopeRegion, "abcdefghijklmnopqrstuvwxyz0123456789-") ? scopeRegion : defaultRegion;
    return new RequestScope(account, region);
  }

  private static boolean allMatch(String s, String alphabet) {
    for (int i = 0; i < s.length(); i++) {
      if (alphabet.indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The value of {@code name=value} in an Authorization header ({@code AWS4-HMAC-SHA256 Credential=..,
   * SignedHeaders=.., Signature=..}), or null. Hand-parsed: this runs on every request.
   */
  private static String param(String header, String name) {
    int from = 0;
    while (from < header.length()) {
      int at = header.indexOf(name, from);
      if (at < 0) {
        return null;
      }
      int eq = at + name.length();
      boolean startsToken = at == 0 || header.charAt(at - 1) == ' ' || header.charAt(at - 1) == ',';
      if (startsToken && eq < header.length() && header.charAt(eq) == '=') {
        int end = eq + 1;
        while (end < header.length() && header.charAt(end) != ',' && header.charAt(end) != ' ') {
          end++;
        }
        return end > eq + 1 ? header.substring(eq + 1, end) : null;
      }
      from = eq;
    }
    return null;
  }
}
