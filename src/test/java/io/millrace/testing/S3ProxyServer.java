package io.millrace.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy (an S3 API over a local directory) started as its own JVM for tests, on a free loopback port, with fixed
 * credentials (AWS signature v2 or v4) and its objects under {@code <dir>/data}. The jar is the one the build copies
 * to {@code target/s3proxy} (failsafe passes its path as system property {@code s3proxy.jar}).
 * {@code try (S3ProxyServer s3 = S3ProxyServer.start(dir)) { s3.createBucket("b"); ... s3.endpoint() ... }}
 *
 * <p>The java process is started directly, so the process this class holds is S3Proxy itself: {@link #close()} sends
 * it SIGTERM (Jetty stops cleanly in 1 to 3 s) and kills it if it is still there after a bounded wait. Every wait here
 * has a deadline. Its output goes to {@code <dir>/s3proxy.log}, at WARN and above.
 */
public final class S3ProxyServer implements AutoCloseable {

  /** How long S3Proxy may take to answer its first request (it takes 1.3 to 2.6 s on this machine). */
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  /** How long a SIGTERM may take before the process is killed. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  public static final String ACCESS_KEY = "millrace-s3proxy";
  public static final String SECRET_KEY = "millrace-s3proxy-secret";

  private final Process process;
  private final Path log;
  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;

  private S3ProxyServer(Process process, Path log, URI endpoint, String accessKey, String secretKey) {
    this.process = process;
    this.log = log;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /** The jar's path; fails clearly when the build did not pass it (run the test through failsafe). */
  public static Path jar() {
    String path = System.getProperty("s3proxy.jar");
    if (path == null || !Files.isRegularFile(Path.of(path))) {
      throw new IllegalStateException("system property s3proxy.jar does not name the S3Proxy jar: " + path
          + " (run the test with `mvn verify`, which copies it to target/s3proxy first)");
    }
    return Path.of(path);
  }

  /**
   * Starts S3Proxy with its properties, data and log in {@code dir} and returns once it answers HTTP; fails with its
   * output if it exits first or does not answer within {@link #START_TIMEOUT}.
   */
  public static S3ProxyServer start(Path dir) throws IOException {
    return start(dir, JarProcess.freePort());
  }

  /** {@link #start(Path)} on a given port (a store that comes up where a client already looks for it). */
  public static S3ProxyServer start(Path dir, int port) throws IOException {
    return start(dir, port, ACCESS_KEY, SECRET_KEY);
  }

  /** {@link #start(Path, int)} accepting another key pair (one a README shows, say). */
  public static S3ProxyServer start(Path dir, int port, String accessKey, String secretKey) throws IOException {
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    Path data = Files.createDirectories(dir.resolve("data"));
    Path properties = dir.resolve("s3proxy.properties");
    Files.write(properties, List.of(
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey,
        "s3proxy.credential=" + secretKey,
        "jclouds.provider=filesystem-nio2",
        "jclouds.filesystem.basedir=" + data), StandardCharsets.UTF_8);
    Path log = dir.resolve("s3proxy.log");
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m",
        "-XX:TieredStopAtLevel=1",
        // logback's ~30 status lines at start (S3Proxy's own configuration) are noise
        "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
        "-jar", jar().toString(),
        "--properties", properties.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("LOG_LEVEL", "warn");
    S3ProxyServer server = new S3ProxyServer(builder.start(), log, endpoint, accessKey, secretKey);
    try {
      server.awaitAnswer(START_TIMEOUT);
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Where S3 clients reach it: {@code http://127.0.0.1:<port>} (path-style requests only). */
  public URI endpoint() {
    return endpoint;
  }

  /** The access key id it accepts. */
  public String accessKey() {
    return accessKey;
  }

  /** The secret access key of {@link #accessKey()}. */
  public String secretKey() {
    return secretKey;
  }

  /** A new S3 client for it (path-style, the JDK's HTTP client, us-east-1); the caller closes it. */
  public S3Client client() {
    return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2))
            .socketTimeout(Duration.ofSeconds(20)).build())
        .build();
  }

  /** Creates a bucket (names have 3 characters or more). */
  public void createBucket(String name) {
    try (S3Client s3 = client()) {
      s3.createBucket(b -> b.bucket(name));
    }
  }

  /** Everything the process has written so far. */
  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Polls until any HTTP answer comes back (403 without credentials is an answer). */
  private void awaitAnswer(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest root = HttpRequest.newBuilder(endpoint.resolve("/")).timeout(Duration.ofSeconds(2)).GET().build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("S3Proxy exited with " + process.exitValue() + " before answering on " + endpoint
            + ":\n" + output());
      }
      try {
        http.send(root, HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      Processes.pause(50);
    }
    throw new AssertionError("S3Proxy did not answer on " + endpoint + " within " + timeout + ":\n" + output());
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@link #STOP_TIMEOUT}; returns once it is gone. */
  @Override
  public void close() {
    Processes.stop(process, "S3Proxy", STOP_TIMEOUT);
  }

}
