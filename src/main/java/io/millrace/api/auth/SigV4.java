package io.millrace.api.auth;

import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4, checked as AWS checks it: the canonical request (method, path, sorted query, the signed
 * headers, and the payload's SHA-256, which a declared {@code X-Amz-Content-SHA256} must equal unless it says
 * {@code UNSIGNED-PAYLOAD}), the string to sign over the credential scope, and the HMAC with the key derived from the
 * secret for the scope's day, region and service (derived keys are cached). The request time must be within 5
 * minutes of the server's; a presigned request (the signature in the query string) must not be past its
 * {@code X-Amz-Expires}.
 *
 * <p>Thread-safe; no I/O.
 */
public final class SigV4 {

  /** How far a request's time may be from the server's, as AWS allows. */
  static final long SKEW_MILLIS = 5 * 60 * 1000;
  private static final String ALGORITHM = "AWS4-HMAC-SHA256";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);
  private static final HexFormat HEX = HexFormat.of();
  private static final int MAX_CACHED_KEYS = 1024;

  /** What a request's signature covers, as its face reads it. */
  public interface Request {
    String method();

    /** The path as sent (percent-encoded as on the wire), e.g. {@code /}. */
    String rawPath();

    /** The query string as sent, without the {@code ?}; empty for none. */
    String rawQuery();

    /** Every value of a header (case-insensitive name), in order; empty if absent. */
    List<String> headers(String name);

    /**
     * The body the signature covers, or null when it is read only later (a gRPC call's message): the request must
     * then declare its hash in a signed {@code X-Amz-Content-SHA256}, which the caller checks the body against.
     */
    byte[] body();
  }

  /** The largest {@code X-Amz-Expires} AWS accepts: a week. */
  static final long MAX_EXPIRES_SECONDS = 604_800;

  /** The parts of an Authorization header or of a presigned query string. */
  public record Signed(String accessKeyId, String date, String region, String service, List<String> signedHeaders,
                       String signature, String amzDate, boolean presigned, Long expiresSeconds,
                       String securityToken) {}

  private final Clock clock;
  private final Map<String, byte[]> keys = new ConcurrentHashMap<>();

  public SigV4(Clock clock) {
    this.clock = clock;
  }

  /**
   * Checks {@code request}, signed as {@code signed} says, with {@code principal}'s secret, for {@code service}
   * (the signing name: {@code kinesis}, {@code firehose}, ...).
   *
   * @throws KinesisException.Authentication InvalidSignatureException or UnrecognizedClientException in AWS's words
   */
  public void verify(Request request, Signed signed, CredentialsFile.Principal principal, String service) {
    if (!signed.signedHeaders().contains("host")) {
      throw invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (!request.headers("x-amz-content-sha256").isEmpty()
        && !signed.signedHeaders().contains("x-amz-content-sha256")) {
      throw invalid("'x-amz-content-sha256' must be a 'SignedHeader' in the AWS Authorization when it is sent.");
    }
    if (!service.equals(signed.service())) {
      throw invalid("Credential should be scoped to correct service: '" + service + "'. ");
    }
    Instant at = requestTime(signed.amzDate());
    if (!signed.amzDate().startsWith(signed.date())) {
      throw invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"
          + signed.date() + "' != '" + signed.amzDate().substring(0, Math.min(8, signed.amzDate().length()))
          + "', from '" + signed.amzDate() + "'.");
    }
    long now = clock.millis();
    if (signed.presigned()) {
      Long expires = signed.expiresSeconds();
      if (expires == null || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "X-Amz-Expires must be a number "
            + "of seconds from 1 to " + MAX_EXPIRES_SECONDS + " (a week).");
      }
      if (at.toEpochMilli() > now + SKEW_MILLIS) {
        throw invalid("Signature not yet current: " + signed.amzDate() + " is still later than " + AMZ_DATE.format(
            Instant.ofEpochMilli(now + SKEW_MILLIS)) + " (" + AMZ_DATE.format(Instant.ofEpochMilli(now))
            + " + 5 min.)");
      }
      if (now > at.toEpochMilli() + expires * 1000) {
        throw invalid("Signature expired: " + signed.amzDate() + " is now earlier than "
            + AMZ_DATE.format(Instant.ofEpochMilli(now - expires * 1000)) + " (" + AMZ_DATE.format(
                Instant.ofEpochMilli(now)) + " - " + expires + " sec.)");
      }
    } else if (at.toEpochMilli() < now - SKEW_MILLIS) {
      throw invalid("Signature expired: " + signed.amzDate() + " is now earlier than " + AMZ_DATE.format(
          Instant.ofEpochMilli(now - SKEW_MILLIS)) + " (" + AMZ_DATE.format(Instant.ofEpochMilli(now))
          + " - 5 min.)");
    } else if (at.toEpochMilli() > now + SKEW_MILLIS) {
      throw invalid("Signature not yet current: " + signed.amzDate() + " is still later than " + AMZ_DATE.format(
          Instant.ofEpochMilli(now + SKEW_MILLIS)) + " (" + AMZ_DATE.format(Instant.ofEpochMilli(now))
          + " + 5 min.)");
    }
    if (principal.sessionToken() == null ? signed.securityToken() != null : signed.securityToken() == null
        || !MessageDigest.isEqual(principal.sessionToken().getBytes(StandardCharsets.UTF_8),
            signed.securityToken().getBytes(StandardCharsets.UTF_8))) {
      throw unrecognized();
    }
    String scope = signed.date() + "/" + signed.region() + "/" + signed.service() + "/aws4_request";
    String stringToSign = ALGORITHM + "\n" + signed.amzDate() + "\n" + scope + "\n"
        + HEX.formatHex(sha256(canonicalRequest(request, signed).getBytes(StandardCharsets.UTF_8)));
    byte[] expected = hmac(signingKey(principal.secretKey(), signed), stringToSign);
    byte[] given;
    try {
      given = HEX.parseHex(signed.signature());
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (!MessageDigest.isEqual(expected, given)) {
      throw invalid("The request signature we calculated does not match the signature you provided. Check your "
          + "AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }
    if (principal.expires() != null && now >= principal.expires().toEpochMilli()) {
      throw new KinesisException.Authentication(ErrorCode.EXPIRED_TOKEN, "The security token included in the "
          + "request is expired");
    }
  }

  /** UnrecognizedClientException: the access key (or its session token) is not one the server knows. */
  public static KinesisException unrecognized() {
    return new KinesisException.Authentication(ErrorCode.UNRECOGNIZED_CLIENT,
        "The security token included in the request is invalid.");
  }

  private static KinesisException invalid(String message) {
    return new KinesisException.Authentication(ErrorCode.INVALID_SIGNATURE, message);
  }

  private static Instant requestTime(String amzDate) {
    try {
      return AMZ_DATE.parse(amzDate, Instant::from);
    } catch (DateTimeParseException e) {
      throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "Date must be in ISO-8601 'basic "
          + "format'. Got '" + amzDate + "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
  }

  static String canonicalRequest(Request request, Signed signed) {
    StringBuilder out = new StringBuilder(256);
    out.append(request.method()).append('\n');
    out.append(canonicalPath(request.rawPath())).append('\n');
    out.append(canonicalQuery(request.rawQuery(), signed.presigned())).append('\n');
    for (String name : signed.signedHeaders()) {
      List<String> values = request.headers(name);
      out.append(name).append(':');
      for (int i = 0; i < values.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        appendTrimmed(out, values.get(i));
      }
      out.append('\n');
    }
    out.append('\n').append(String.join(";", signed.signedHeaders())).append('\n');
    out.append(payloadHash(request));
    return out.toString();
  }

  /**
   * The payload's hash as the signature covers it: the body's SHA-256, which a declared
   * {@code X-Amz-Content-SHA256} must equal. Nothing else is taken (no {@code UNSIGNED-PAYLOAD}, no streaming
   * signatures: over plain HTTP the body would not be covered). With the body still to come, the declared hash is
   * required and returned; the caller checks the body against it.
   */
  static String payloadHash(Request request) {
    List<String> declared = request.headers("x-amz-content-sha256");
    String value = declared.isEmpty() ? null : declared.get(0).strip().toLowerCase(Locale.ROOT);
    boolean isHash = value != null && value.length() == 64 && value.chars().allMatch(
        c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (value != null && !isHash) {
      throw invalid("X-Amz-Content-SHA256 must be the SHA-256 of the payload in hex; '" + declared.get(0).strip()
          + "' is not accepted.");
    }
    if (request.body() == null) {
      if (value == null) {
        throw new KinesisException.Authentication(ErrorCode.INCOMPLETE_SIGNATURE, "A signed X-Amz-Content-SHA256 "
            + "header with the SHA-256 of the message is required.");
      }
      return value;
    }
    String actual = HEX.formatHex(sha256(request.body()));
    if (value != null && !value.equals(actual)) {
      throw invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return actual;
  }

  /** The hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    return HEX.formatHex(sha256(bytes));
  }

  /** A header value as SigV4 canonicalizes it: trimmed, each run of whitespace one space. */
  private static void appendTrimmed(StringBuilder out, String value) {
    String v = value.strip();
    boolean space = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (Character.isWhitespace(c)) {
        space = true;
      } else {
        if (space) {
          out.append(' ');
          space = false;
        }
        out.append(c);
      }
    }
  }

  /** Each segment of the (decoded) path encoded again, as the SDKs do for every service but S3. */
  private static String canonicalPath(String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    StringBuilder out = new StringBuilder();
    for (String segment : rawPath.split("/", -1)) {
      if (out.length() > 0 || rawPath.startsWith("/")) {
        out.append('/');
      }
      out.append(encode(encode(decode(segment))));
    }
    String path = out.toString();
    return path.startsWith("//") ? path.substring(1) : path;
  }

  private static String canonicalQuery(String rawQuery, boolean presigned) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    List<String[]> pairs = new ArrayList<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = encode(decode(eq < 0 ? pair : pair.substring(0, eq)));
      String value = eq < 0 ? "" : encode(decode(pair.substring(eq + 1)));
      if (presigned && name.equals("X-Amz-Signature")) {
        continue;
      }
      pairs.add(new String[] {name, value});
    }
    pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    StringBuilder out = new StringBuilder();
    for (String[] p : pairs) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(p[0]).append('=').append(p[1]);
    }
    return out.toString();
  }

  /** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants. */
  static String encode(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.' || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Percent-decoding; {@code +} stays a plus (it is not a space in SigV4's query). */
  public static String decode(String text) {
    if (text.indexOf('%') < 0) {
      return text;
    }
    byte[] out = new byte[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%' && i + 2 < text.length()) {
        int hi = Character.digit(text.charAt(i + 1), 16);
        int lo = Character.digit(text.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out[n++] = (byte) (hi * 16 + lo);
          i += 2;
          continue;
        }
      }
      for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
        if (n == out.length) {
          out = java.util.Arrays.copyOf(out, out.length * 2 + 4);
        }
        out[n++] = b;
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  private byte[] signingKey(String secret, Signed signed) {
    String cacheKey = signed.date() + "/" + signed.region() + "/" + signed.service() + "/"
        + sha256Hex(secret.getBytes(StandardCharsets.UTF_8)); // the secret itself is kept nowhere else
    byte[] key = keys.get(cacheKey);
    if (key == null) {
      key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), signed.date());
      key = hmac(key, signed.region());
      key = hmac(key, signed.service());
      key = hmac(key, "aws4_request");
      if (keys.size() >= MAX_CACHED_KEYS) {
        keys.clear(); // a day's keys come back at once; stale days and rotated secrets go
      }
      keys.put(cacheKey, key);
    }
    return key;
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("every JVM has HmacSHA256", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The lower-case header names of a SignedHeaders list ({@code host;x-amz-date}). */
  public static List<String> signedHeaders(String list) {
    List<String> names = new ArrayList<>();
    for (String name : list.split(";")) {
      if (!name.isBlank()) {
        names.add(name.strip().toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }
}
