package io.millrace.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tests' OpenSearch: a real 2.19 node in its own JVM, in a JUnit temp directory (as root too), that indexes what
 * {@code _bulk} sends it and keeps it across a stop and a start on the same port.
 */
class OpenSearchNodeIT {

  @TempDir
  Path dir;

  private OpenSearchNode node;

  @BeforeEach
  void start() throws Exception {
    long started = System.nanoTime();
    node = OpenSearchNode.start(dir);
    System.out.printf("OpenSearch node laid out and started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void itIsOpenSearch2_19OnLoopbackWithTheNettyModuleOnly() {
    JsonNode root = node.request("GET", "/", null);
    assertEquals("opensearch", root.path("version").path("distribution").asText(), root.toString());
    assertTrue(root.path("version").path("number").asText().startsWith("2.19."), root.toString());
    assertEquals(URI.create("http://127.0.0.1:" + node.port()), node.endpoint());
    JsonNode modules = node.request("GET", "/_nodes/_local/plugins", null).path("nodes").elements().next()
        .path("modules");
    assertEquals(1, modules.size(), modules.toString());
    assertEquals("transport-netty4", modules.get(0).path("name").asText());
    assertEquals(List.of(), node.indices());
    assertEquals(0, node.count("nothing-here"));
  }

  @Test
  void aBulkRequestIsIndexedAndSurvivesARestartOfTheNode() throws Exception {
    JsonNode result = node.bulk("""
        {"index":{"_index":"x","_id":"1"}}
        {"n":1,"text":"one"}
        {"index":{"_index":"x","_id":"2"}}
        {"n":2,"text":"two"}
        {"index":{"_index":"x","_id":"3"}}
        {"n":3,"text":"three"}
        """);
    assertFalse(result.path("errors").asBoolean(), result.toString());
    assertEquals(3, result.path("items").size());
    node.refresh("x");
    assertEquals(3, node.count("x"));
    assertEquals(List.of("x"), node.indices());

    URI endpoint = node.endpoint();
    node.stop();
    assertFalse(node.isRunning());
    assertThrows(UncheckedIOException.class, () -> node.count("x"));

    long started = System.nanoTime();
    node.startAgain();
    System.out.printf("OpenSearch node started again in %d ms%n", (System.nanoTime() - started) / 1_000_000);
    assertTrue(node.isRunning());
    assertEquals(endpoint, node.endpoint());
    assertEquals(List.of("x"), node.indices());
    assertEquals(3, node.count("x"));
    Map<String, String> texts = new TreeMap<>();
    for (JsonNode hit : node.search("x").path("hits").path("hits")) {
      texts.put(hit.path("_id").asText(), hit.path("_source").path("text").asText());
    }
    assertEquals(Map.of("1", "one", "2", "two", "3", "three"), texts);
  }
}
