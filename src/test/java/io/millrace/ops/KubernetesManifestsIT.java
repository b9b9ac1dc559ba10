package io.millrace.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.millrace.config.ConfigLoader;
import io.millrace.config.MillraceConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container file and the Kubernetes manifests in {@code k8s/}, checked offline: every manifest against the
 * Kubernetes API schemas and the container file by a linter ({@code k8s/validate}, npm packages installed on first
 * use), the ConfigMap's configuration by Millrace's own loader, and the probes and grace period against the server's
 * endpoints and shutdown.
 */
@Timeout(600)
class KubernetesManifestsIT {

  private static final Path K8S = Path.of("k8s").toAbsolutePath();

  @TempDir
  Path tmp;

  private static List<JsonNode> manifests() throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (var parser = new YAMLFactory().createParser(K8S.resolve("millrace.yaml").toFile())) {
      yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs;
  }

  private static JsonNode kind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " in k8s/millrace.yaml"));
  }

  /** Runs the validator on the {@code k8s} directory at {@code dir}; its output, and its exit code last. */
  private static Map.Entry<Integer, String> validate(Path dir) throws Exception {
    Path validator = K8S.resolve("validate").toAbsolutePath();
    if (!Files.isDirectory(validator.resolve("node_modules"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), validator, 300);
    }
    Path script = dir.resolve("validate").resolve("validate.mjs");
    if (!dir.equals(K8S)) {
      Files.createDirectories(script.getParent());
      Files.copy(validator.resolve("validate.mjs"), script);
      Files.createSymbolicLink(script.getParent().resolve("node_modules"), validator.resolve("node_modules"));
    }
    return run(List.of("node", script.toString()), dir, 60);
  }

  private static Map.Entry<Integer, String> run(List<String> command, Path in, int seconds) throws Exception {
    Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
    String[] out = {""};
    Thread reader = new Thread(() -> {
      try {
        out[0] = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        out[0] = e.toString();
      }
    });
    reader.start();
    assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), command + " did not finish within " + seconds + " s");
    reader.join(10_000);
    return Map.entry(p.exitValue(), out[0]);
  }

  @Test
  void every_manifest_is_valid_against_the_kubernetes_schemas_and_the_container_file_lints_clean() throws Exception {
    Map.Entry<Integer, String> result = validate(K8S);
    assertEquals(0, result.getKey(), result.getValue());
    for (String kind : List.of("ConfigMap", "StatefulSet", "Service", "PodDisruptionBudget")) {
      assertTrue(result.getValue().contains(": " + kind + " "), kind + " was not validated:\n" + result.getValue());
    }
    assertTrue(result.getValue().contains("linted: Dockerfile"), result.getValue());
  }

  @Test
  void the_validator_refuses_a_broken_manifest_and_a_deprecated_instruction() throws Exception {
    Path copy = tmp.resolve("k8s");
    Files.createDirectories(copy);
    Files.writeString(copy.resolve("millrace.yaml"), Files.readString(K8S.resolve("millrace.yaml"))
        .replace("replicas: 1", "replicas: one"));
    Files.writeString(copy.resolve("Dockerfile"), Files.readString(K8S.resolve("Dockerfile")) + "MAINTAINER x\n");
    Map.Entry<Integer, String> result = validate(copy);
    assertEquals(1, result.getKey(), result.getValue());
    assertTrue(result.getValue().contains("data/spec/replicas must be integer"), result.getValue());
    assertTrue(result.getValue().contains("MAINTAINER has been deprecated"), result.getValue());
  }

  @Test
  void the_config_map_is_a_valid_configuration_and_the_pod_fits_the_servers_endpoints_and_shutdown()
      throws Exception {
    List<JsonNode> docs = manifests();
    Path config = tmp.resolve("millrace.yaml");
    Files.writeString(config, kind(docs, "ConfigMap").path("data").path("millrace.yaml").asText());
    MillraceConfig loaded = ConfigLoader.load(new String[] {"--config", config.toString()}, Map.of());
    assertEquals("0.0.0.0", loaded.host());
    assertEquals(Path.of("/var/lib/millrace"), loaded.dataDir());

    JsonNode pod = kind(docs, "StatefulSet").path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertEquals("/health/live", container.path("livenessProbe").path("httpGet").path("path").asText());
    assertEquals("/health/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
    assertTrue(pod.path("terminationGracePeriodSeconds").asInt() > 30, "the server's shutdown may take 30 s");
    assertEquals(loaded.dataDir().toString(), container.path("volumeMounts").findValues("mountPath").stream()
        .map(JsonNode::asText).filter(p -> p.equals("/var/lib/millrace")).findFirst().orElse(""));
    assertTrue(container.path("resources").path("limits").has("memory"), "a memory limit the heap is sized by");
    assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());

    String dockerfile = Files.readString(K8S.resolve("Dockerfile"));
    for (String copied : List.of("bin/millrace", "conf/millrace.yaml")) {
      assertTrue(dockerfile.contains("COPY " + copied) && Files.exists(Path.of(copied)), copied);
    }
    assertTrue(dockerfile.contains("USER 10001"), "a non-root user");
    assertTrue(dockerfile.contains("HEALTHCHECK"), "a health check");
    try (Stream<String> lines = dockerfile.lines()) {
      assertTrue(lines.anyMatch(l -> l.startsWith("VOLUME")), "the data directory a volume");
    }
  }
}
