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

  /**
   * @param authorization the Authorization header, or null
   * @param date          the X-Amz-Date (or Date) header, or null
   * @param queryCredential the X-Amz-Credential query parameter of a presigned request, or null
   * @param queryAlgorithm  the X-Amz-Algorithm query parameter, or null
   */
  RequestScope scope(String authorization, String date, String queryCredential, String queryAlgorithm) {
    if (authorization != null && queryAlgorithm != null) {
      throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE,
          "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
    }
    if (authorization == null && queryAlgorithm == null) {
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
      if (date == null) {
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
      }
      if (missing.length() > 0) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE,
            missing + "Authorization=" + authorization);
      }
    } else {
      credential = queryCredential;
      if (credential == null) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE,
            "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string parameters.");
      }
    }
    String[] parts = credential.split("/");
    String account = parts.length > 0 && parts[0].matches("\\d{12}") ? parts[0] : defaultAccount;
    String region = parts.length >= 5 && parts[2].matches("[a-z0-9-]{1,32}") ? parts[2] : defaultRegion;
    return new RequestScope(account, region);
  }

  /** The value of {@code name=value} in an Authorization header, or null. */
  private static String param(String header, String name) {
    for (String token : header.split("[ ,]+")) {
      int eq = token.indexOf('=');
      if (eq > 0 && token.substring(0, eq).equals(name) && eq + 1 < token.length()) {
        return token.substring(eq + 1);
      }
    }
    return null;
  }
}
