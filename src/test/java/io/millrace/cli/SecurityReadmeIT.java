package io.millrace.cli;

import static io.millrace.testing.ReadmeShell.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import io.millrace.testing.Processes;
import io.millrace.testing.ReadmeShell;
import io.millrace.testing.ReadmeShell.Ran;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's secured server, step by step: its credentials and policy files written as shown, the server started
 * with its command (TLS only, signatures verified), and its AWS CLI commands run as written.
 */
class SecurityReadmeIT {

  @TempDir
  Path tmp;

  @Test
  @Timeout(180)
  void the_security_walkthrough_lets_in_what_the_policies_allow_and_refuses_the_rest_in_aws_words()
      throws Exception {
    ReadmeShell.requirePortFree(4568);
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    Path work = ReadmeShell.checkout(tmp);
    Files.createDirectories(work.resolve("secure"));
    Files.writeString(work.resolve("secure/credentials"), ReadmeShell.fenced(readme, "## Security", "ini", 0));
    Files.writeString(work.resolve("secure/writer-policy.json"), ReadmeShell.fenced(readme, "## Security", "json",
        0));
    List<String> start = ReadmeShell.commands(ReadmeShell.block(readme, "## Security", 0));
    assertEquals(1, start.size(), "the start command changed; update this test with it: " + start);
    List<String> commands = ReadmeShell.commands(ReadmeShell.block(readme, "## Security", 1));
    assertEquals(7, commands.size(), "the walkthrough changed; update this test with it: " + commands);

    try (JarProcess server = JarProcess.shell(tmp.resolve("server.log"), work, start.get(0))) {
      awaitTls(server, 4568, Duration.ofSeconds(60));
      List<Ran> ran = ReadmeShell.run(commands, work, tmp);
      ok(ran.get(0), "export AWS_SHARED_CREDENTIALS_FILE=secure/credentials");
      ok(ran.get(1), "K=\"aws kinesis --endpoint-url https://127.0.0.1:4568");
      ok(ran.get(2), "--profile admin create-stream --stream-name orders");
      assertEquals("shardId-000000000000", ok(ran.get(3), "--profile writer put-record").json().get("ShardId")
          .asText());
      refused(ran.get(4), "--profile writer list-streams", "An error occurred (AccessDeniedException) when calling "
          + "the ListStreams operation: User: arn:aws:iam::000000000000:user/writer is not authorized to perform: "
          + "kinesis:ListStreams because no identity-based policy allows the kinesis:ListStreams action");
      refused(ran.get(5), "--profile writer delete-stream", "An error occurred (AccessDeniedException) when calling "
          + "the DeleteStream operation: User: arn:aws:iam::000000000000:user/writer is not authorized to perform: "
          + "kinesis:DeleteStream on resource: arn:aws:kinesis:us-east-1:000000000000:stream/orders because no "
          + "identity-based policy allows the kinesis:DeleteStream action");
      refused(ran.get(6), "AWS_SECRET_ACCESS_KEY=guessed", "An error occurred (InvalidSignatureException) when "
          + "calling the ListStreams operation: The request signature we calculated does not match the signature "
          + "you provided.");
    }
  }

  private static void refused(Ran ran, String command, String message) {
    assertTrue(ran.command().contains(command), ran.command());
    assertEquals(254, ran.exitCode(), ran.stderr());
    assertTrue(ran.stderr().contains(message), ran.stderr());
  }

  /** Waits until the TLS port answers {@code GET /health} (trusting its self-signed certificate). */
  private static void awaitTls(JarProcess server, int port, Duration timeout) throws Exception {
    SSLContext trustAll = SSLContext.getInstance("TLS");
    // Extended, so that the JDK does not add its own check of the host name (the certificate names localhost).
    trustAll.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    HttpClient https = HttpClient.newBuilder().sslContext(trustAll).connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest health = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(server.process().isAlive(), () -> "millrace exited:\n" + server.output());
      try {
        if (https.send(health, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Processes.pause(100);
    }
    throw new AssertionError("the TLS port did not serve /health within " + timeout + ":\n" + server.output());
  }
}
