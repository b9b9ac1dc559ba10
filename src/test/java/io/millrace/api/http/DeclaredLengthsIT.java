package io.millrace.api.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.testing.JarProcess;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request's declared Content-Length is a claim, not a reason to allocate: 40 clients that each declare the largest
 * body allowed (16 MiB) and send ten bytes of it do not take a server with a 96 MiB heap down, whereas buffers sized
 * by the declarations would need 640 MiB.
 */
class DeclaredLengthsIT {

  @Test
  @Timeout(120)
  void clients_declaring_large_bodies_they_do_not_send_cost_only_what_they_send(@TempDir Path dir) throws Exception {
    int port = JarProcess.freePort();
    List<Socket> sockets = new ArrayList<>();
    try (JarProcess server = JarProcess.start(dir.resolve("server.log"), List.of("-Xmx96m",
        "-XX:+ExitOnOutOfMemoryError"), "--port", String.valueOf(port), "--in-memory", "--event-loops", "2")) {
      server.awaitHealthy(port, Duration.ofSeconds(30));
      for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 10; i++) {
          Socket s = new Socket();
          sockets.add(s);
          s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
          OutputStream out = s.getOutputStream();
          out.write(("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\n"
              + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: " + 16 * 1024 * 1024 + "\r\n\r\n"
              + "{\"Records\"").getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        server.awaitHealthy(port, Duration.ofSeconds(10));
      }
      assertTrue(server.process().isAlive(), server.output());
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
