package io.millrace.api.http;

import io.millrace.api.auth.Credentials;
import io.millrace.api.auth.CredentialsFile;
import io.millrace.api.auth.SigV4;
import io.millrace.api.op.RequestScope;
import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import io.vertx.core.http.HttpServerRequest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Checks that a request carries SigV4 authentication and reads the account and region from it. Without a credentials
 * file (the local default) only its shape is checked, as AWS's and the popular emulators' clients expect: the account
 * is then the access key id when that is 12 digits (kinesis-mock's convention, handy for multi-account tests), else
 * the configured default. With one ({@link Credentials}), the signature is verified ({@link SigV4}) with the secret
 * of the access key it names, and the account is that key's profile's.
 * The region is the credential scope's either way.
 */
final class Authentication {

  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);

  private final String defaultAccount;
  private final String defaultRegion;
  private final Credentials credentials;
  private final SigV4 sigV4;

  Authentication(String defaultAccount, String defaultRegion) {
    this(defaultAccount, defaultRegion, null, null);
  }

  /** @param credentials the key pairs to verify signatures with, or null to check only their shape */
  Authentication(String defaultAccount, String defaultRegion, Credentials credentials, SigV4 sigV4) {
    this.defaultAccount = defaultAccount;
    this.defaultRegion = defaultRegion;
    this.credentials = credentials;
    this.sigV4 = sigV4;
  }

  /** The query-string parameters of a presigned request, in the order Kinesis names the missing ones. */
  private static final String[] QUERY_PARAMETERS = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
      "X-Amz-SignedHeaders", "X-Amz-Date"};

  /** A request's authentication material: what the signature covers, and the query string's parameters. */
  interface Material extends SigV4.Request {
    String header(String name);

    /** The query-string parameter's value ("" when present without one), or null when absent. */
    String query(String name);
  }

  /**
   * The request's account and region, or the authentication error Kinesis gives, in its order: both a header and a
   * presigned query ({@code X-Amz-Algorithm} present), then none at all, then each part that is missing.
   */
  RequestScope scope(Material request) {
    return scope(request, null);
  }

  /**
   * As {@link #scope(Material)}; with credentials configured, also verifies the signature for {@code service} (its
   * signing name, e.g. {@code kinesis}).
   */
  RequestScope scope(Material request, String service) {
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
    if (credentials != null && service != null) {
      CredentialsFile.Principal principal = credentials.find(accessKey);
      if (principal == null) {
        throw SigV4.unrecognized();
      }
      sigV4.verify(request, signed(request, authorization, credential), principal, service);
      return new RequestScope(principal.account(), region, principal);
    }
    return new RequestScope(account, region);
  }

  /** The signature's parts, from the Authorization header or from a presigned query string. */
  private static SigV4.Signed signed(Material request, String authorization, String credential) {
    String[] scope = credential.split("/", -1);
    if (scope.length != 5 || !scope[4].equals("aws4_request")) {
      throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "Credential should be scoped to a "
          + "valid region. ");
    }
    if (authorization != null) {
      if (!authorization.startsWith("AWS4-HMAC-SHA256 ")) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "Unsupported AWS 'algorithm': "
            + authorization.split(" ", 2)[0]);
      }
      String amzDate = request.header("X-Amz-Date") != null ? request.header("X-Amz-Date")
          : fromHttpDate(request.header("Date"));
      return new SigV4.Signed(scope[0], scope[1], scope[2], scope[3],
          SigV4.signedHeaders(param(authorization, "SignedHeaders")), param(authorization, "Signature"), amzDate,
          false, null, request.header("X-Amz-Security-Token"));
    }
    if (!"AWS4-HMAC-SHA256".equals(request.query("X-Amz-Algorithm"))) {
      throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "Unsupported AWS 'algorithm': "
          + request.query("X-Amz-Algorithm"));
    }
    Long expires;
    try {
      expires = request.query("X-Amz-Expires") == null ? null : Long.parseLong(request.query("X-Amz-Expires"));
    } catch (NumberFormatException e) {
      throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "X-Amz-Expires must be a number "
          + "of seconds.");
    }
    return new SigV4.Signed(scope[0], scope[1], scope[2], scope[3],
        SigV4.signedHeaders(request.query("X-Amz-SignedHeaders")), request.query("X-Amz-Signature"),
        request.query("X-Amz-Date"), true, expires, request.query("X-Amz-Security-Token"));
  }

  /** An HTTP {@code Date} header in SigV4's basic ISO-8601 form. */
  private static String fromHttpDate(String date) {
    try {
      return AMZ_DATE.format(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME));
    } catch (DateTimeParseException e) {
      return date;
    }
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

  /** What authentication reads from {@code request} and its {@code body}. */
  static Material material(HttpServerRequest request, byte[] body) {
    return new Material() {
      @Override
      public String header(String name) {
        return request.getHeader(name);
      }

      @Override
      public String method() {
        return request.method().name();
      }

      @Override
      public String rawPath() {
        return request.path();
      }

      @Override
      public String rawQuery() {
        return request.query() == null ? "" : request.query();
      }

      @Override
      public java.util.List<String> headers(String name) {
        java.util.List<String> values = request.headers().getAll(name);
        if (values.isEmpty() && name.equalsIgnoreCase("host") && request.authority() != null) {
          return java.util.List.of(request.authority().toString()); // HTTP/2: the :authority pseudo-header
        }
        return values;
      }

      @Override
      public byte[] body() {
        return body;
      }

      @Override
      public String query(String name) {
        String query = request.query();
        if (query == null) {
          return null;
        }
        for (String pair : query.split("&")) {
          int eq = pair.indexOf('=');
          String key = SigV4.decode(eq < 0 ? pair : pair.substring(0, eq));
          if (key.equals(name)) {
            return eq < 0 ? "" : SigV4.decode(pair.substring(eq + 1)); // as signed: a '+' stays a '+'
          }
        }
        return null;
      }
    };
  }

  /** Whether signatures are verified (a credentials file is configured). */
  boolean verifies() {
    return credentials != null;
  }
}
