package io.millrace.api.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.error.ErrorCode;
import io.millrace.error.KinesisException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/** SigV4 checked against requests the AWS SDK's own signer signed. */
class SigV4Test {

  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final CredentialsFile.Principal ONE = new CredentialsFile.Principal("default", "AKIDONE",
      "secret/one+", null, "000000000000");

  /** A request as a face hands it to SigV4, from what the SDK would send. */
  private record Sent(SdkHttpRequest request, byte[] body) implements SigV4.Request {
    @Override
    public String method() {
      return request.method().name();
    }

    @Override
    public String rawPath() {
      return request.getUri().getRawPath();
    }

    @Override
    public String rawQuery() {
      return request.getUri().getRawQuery() == null ? "" : request.getUri().getRawQuery();
    }

    @Override
    public List<String> headers(String name) {
      if (name.equals("host")) {
        URI uri = request.getUri();
        return List.of(uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : ""));
      }
      List<String> values = new ArrayList<>();
      request.forEachHeader((n, v) -> {
        if (n.equalsIgnoreCase(name)) {
          values.addAll(v);
        }
      });
      return values;
    }
  }

  private static Sent sign(SdkHttpFullRequest request, byte[] body, Instant at, Duration presignedFor) {
    SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(AwsCredentialsIdentity.create(ONE.accessKeyId(), ONE.secretKey())).request(request)
          .payload(ContentStreamProvider.fromByteArray(body))
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kinesis")
          .putProperty(AwsV4HttpSigner.REGION_NAME, "eu-west-1")
          .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC));
      if (presignedFor != null) {
        r.putProperty(AwsV4HttpSigner.AUTH_LOCATION, AwsV4HttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, presignedFor);
      }
    }).request();
    return new Sent(signed, body);
  }

  private static SdkHttpFullRequest post(String pathAndQuery) {
    return SdkHttpFullRequest.builder().method(SdkHttpMethod.POST)
        .uri(URI.create("http://127.0.0.1:4567" + pathAndQuery))
        .putHeader("Content-Type", "application/x-amz-json-1.1")
        .putHeader("X-Amz-Target", "Kinesis_20131202.ListStreams")
        .putHeader("X-Custom", List.of("  spaced   out  ", "second"))
        .build();
  }

  /** The parts SigV4 checks, read from the signed request as the Authentication step reads them. */
  private static SigV4.Signed parts(Sent sent) {
    Map<String, List<String>> headers = sent.request().headers();
    List<String> authorization = headers.get("Authorization");
    if (authorization == null) {
      Map<String, List<String>> query = sent.request().rawQueryParameters();
      String[] scope = query.get("X-Amz-Credential").get(0).split("/");
      return new SigV4.Signed(scope[0], scope[1], scope[2], scope[3],
          SigV4.signedHeaders(query.get("X-Amz-SignedHeaders").get(0)), query.get("X-Amz-Signature").get(0),
          query.get("X-Amz-Date").get(0), true, Long.parseLong(query.get("X-Amz-Expires").get(0)), null);
    }
    String header = authorization.get(0);
    String credential = between(header, "Credential=", ",");
    String[] scope = credential.split("/");
    return new SigV4.Signed(scope[0], scope[1], scope[2], scope[3],
        SigV4.signedHeaders(between(header, "SignedHeaders=", ",")), header.substring(header.indexOf("Signature=")
            + "Signature=".length()), headers.get("X-Amz-Date").get(0), false, null, null);
  }

  private static String between(String text, String from, String to) {
    int start = text.indexOf(from) + from.length();
    return text.substring(start, text.indexOf(to, start));
  }

  private static void verify(Sent sent, Instant now) {
    new SigV4(Clock.fixed(now, ZoneOffset.UTC)).verify(sent, parts(sent), ONE, "kinesis");
  }

  @Test
  void a_request_the_sdk_signed_verifies_with_its_query_body_and_spaced_multi_valued_headers() {
    byte[] body = "{\"Limit\":5}".getBytes(StandardCharsets.UTF_8);
    Sent sent = sign(post("/a%20path/x?b=2&a=1&a=0&c=%2F%20+"), body, NOW, null);
    assertDoesNotThrow(() -> verify(sent, NOW));
  }

  @Test
  void a_body_changed_after_signing_is_refused() {
    Sent sent = sign(post("/"), "{}".getBytes(StandardCharsets.UTF_8), NOW, null);
    KinesisException e = assertThrows(KinesisException.class,
        () -> verify(new Sent(sent.request(), "{ }".getBytes(StandardCharsets.UTF_8)), NOW));
    assertEquals(ErrorCode.INVALID_SIGNATURE, e.code());
    assertEquals("The provided 'x-amz-content-sha256' header does not match what was computed.", e.getMessage());

    SdkHttpRequest withoutHash = sent.request().toBuilder().removeHeader("x-amz-content-sha256").build();
    Sent undeclared = sign(SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(withoutHash.getUri())
        .headers(withoutHash.headers()).removeHeader("Authorization").removeHeader("X-Amz-Date").build(),
        "{}".getBytes(StandardCharsets.UTF_8), NOW, Duration.ofSeconds(60));
    KinesisException changed = assertThrows(KinesisException.class,
        () -> verify(new Sent(undeclared.request(), "{ }".getBytes(StandardCharsets.UTF_8)), NOW));
    assertTrue(changed.getMessage().startsWith("The request signature we calculated does not match"),
        changed.getMessage());
  }

  @Test
  void the_request_time_may_be_five_minutes_off_and_no_more() {
    Sent sent = sign(post("/"), new byte[0], NOW, null);
    assertDoesNotThrow(() -> verify(sent, NOW.plus(Duration.ofMinutes(5))));
    assertDoesNotThrow(() -> verify(sent, NOW.minus(Duration.ofMinutes(5))));
    KinesisException late = assertThrows(KinesisException.class,
        () -> verify(sent, NOW.plus(Duration.ofMinutes(5)).plusSeconds(1)));
    assertEquals("Signature expired: 20261201T120000Z is now earlier than 20261201T120001Z (20261201T120501Z - 5 "
        + "min.)", late.getMessage());
    KinesisException early = assertThrows(KinesisException.class,
        () -> verify(sent, NOW.minus(Duration.ofMinutes(5)).minusSeconds(1)));
    assertTrue(early.getMessage().startsWith("Signature not yet current: 20261201T120000Z is still later than "),
        early.getMessage());
  }

  @Test
  void a_presigned_request_verifies_until_it_expires() {
    Sent sent = sign(post("/?Action=x"), "{}".getBytes(StandardCharsets.UTF_8), NOW, Duration.ofSeconds(60));
    assertDoesNotThrow(() -> verify(sent, NOW.plusSeconds(60)));
    KinesisException expired = assertThrows(KinesisException.class, () -> verify(sent, NOW.plusSeconds(61)));
    assertEquals(ErrorCode.INVALID_SIGNATURE, expired.code());
    assertTrue(expired.getMessage().toLowerCase(Locale.ROOT).contains("expired"), expired.getMessage());
  }

  @Test
  void a_presigned_request_must_expire_within_a_week_and_not_start_in_the_future() {
    Sent week = sign(post("/"), new byte[0], NOW, Duration.ofDays(7));
    assertDoesNotThrow(() -> verify(week, NOW));
    SigV4.Signed endless = parts(week);
    for (Long expires : new Long[] {null, 0L, -5L, 604_801L, Long.MAX_VALUE}) {
      SigV4.Signed bad = new SigV4.Signed(endless.accessKeyId(), endless.date(), endless.region(),
          endless.service(), endless.signedHeaders(), endless.signature(), endless.amzDate(), true, expires, null);
      KinesisException e = assertThrows(KinesisException.class,
          () -> new SigV4(Clock.fixed(NOW, ZoneOffset.UTC)).verify(week, bad, ONE, "kinesis"));
      assertEquals(ErrorCode.INCOMPLETE_SIGNATURE, e.code(), String.valueOf(expires));
    }
    Sent future = sign(post("/"), new byte[0], NOW.plus(Duration.ofHours(1)), Duration.ofDays(7));
    assertTrue(assertThrows(KinesisException.class, () -> verify(future, NOW)).getMessage()
        .startsWith("Signature not yet current"));
  }

  @Test
  void the_host_must_be_signed_and_the_payload_hash_must_be_the_body_s() {
    Sent sent = sign(post("/"), "{}".getBytes(StandardCharsets.UTF_8), NOW, null);
    SigV4.Signed parts = parts(sent);
    List<String> withoutHost = parts.signedHeaders().stream().filter(h -> !h.equals("host")).toList();
    SigV4.Signed hostless = new SigV4.Signed(parts.accessKeyId(), parts.date(), parts.region(), parts.service(),
        withoutHost, parts.signature(), parts.amzDate(), false, null, null);
    assertThrows(KinesisException.class,
        () -> new SigV4(Clock.fixed(NOW, ZoneOffset.UTC)).verify(sent, hostless, ONE, "kinesis"));

    SdkHttpRequest unsigned = sent.request().toBuilder().putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .build();
    KinesisException e = assertThrows(KinesisException.class, () -> verify(new Sent(unsigned, sent.body()), NOW));
    assertEquals("X-Amz-Content-SHA256 must be the SHA-256 of the payload in hex; 'UNSIGNED-PAYLOAD' is not "
        + "accepted.", e.getMessage());
  }

  @Test
  void whitespace_inside_a_signed_header_value_is_one_space_as_the_sdk_signs_it() {
    SdkHttpFullRequest tabbed = post("/").toBuilder().putHeader("X-Custom", "a\t\t b \t c").build();
    Sent sent = sign(tabbed, new byte[0], NOW, null);
    assertDoesNotThrow(() -> verify(sent, NOW));
  }
}
