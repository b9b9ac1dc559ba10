package io.millrace.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.millrace.config.ConfigLoader.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  @Test
  void defaults_are_documented_values() {
    MillraceConfig c = ConfigLoader.fromValues(Map.of());
    assertEquals("127.0.0.1", c.host());
    assertEquals(4567, c.port());
    assertEquals(Path.of("data"), c.dataDir());
    assertFalse(c.inMemory());
    assertEquals(Durability.ALWAYS, c.durability());
    assertEquals(1000, c.fsyncIntervalMillis());
    assertEquals(128L * 1024 * 1024, c.segmentMaxBytes());
    assertEquals(4L * 1024 * 1024, c.tailCacheBytesPerShard());
    assertEquals("000000000000", c.defaultAccountId());
    assertEquals("us-east-1", c.defaultRegion());
    assertEquals(1000, c.shardLimit());
    assertEquals(0, c.createStreamMillis());
    assertFalse(c.enforceThroughputLimits());
  }

  @Test
  void the_file_is_overridden_by_the_environment_which_is_overridden_by_flags() throws Exception {
    Path yaml = dir.resolve("millrace.yaml");
    Files.writeString(yaml, "port: 1111\nshardLimit: 7\ndurability: interval\ndefaultRegion: eu-west-1\n");
    Map<String, String> env = Map.of("MILLRACE_PORT", "2222", "MILLRACE_SHARD_LIMIT", "8");
    MillraceConfig c = ConfigLoader.load(new String[] {"--config", yaml.toString(), "--port", "3333"}, env);
    assertEquals(3333, c.port());
    assertEquals(8, c.shardLimit());
    assertEquals(Durability.INTERVAL, c.durability());
    assertEquals("eu-west-1", c.defaultRegion());
    assertEquals(4L * 1024 * 1024, c.tailCacheBytesPerShard());
  }

  @Test
  void streams_to_create_at_start_come_from_the_setting_the_emulators_variable_or_a_list_in_the_file()
      throws Exception {
    assertEquals(List.of(new ConfigLoader.InitialStream("orders", 2, "PROVISIONED", null),
        new ConfigLoader.InitialStream("events", 4, "ON_DEMAND", null),
        new ConfigLoader.InitialStream("west", 4, "PROVISIONED", "us-west-2"),
        new ConfigLoader.InitialStream("one", 1, "PROVISIONED", "eu-west-1")), ConfigLoader.load(new String[0],
        Map.of("INITIALIZE_STREAMS", "orders:2, events::on_demand,west::us-west-2,one:1:eu-west-1"))
        .initializeStreams());
    Path yaml = dir.resolve("streams.yaml");
    Files.writeString(yaml, "streams:\n  - name: orders\n    shards: 3\n  - \"clicks::ON_DEMAND\"\n");
    assertEquals(List.of(new ConfigLoader.InitialStream("orders", 3, "PROVISIONED", null),
        new ConfigLoader.InitialStream("clicks", 4, "ON_DEMAND", null)), ConfigLoader.load(new String[] {"--config",
        yaml.toString()}, Map.of()).initializeStreams());
    for (String bad : List.of("orders:0", "orders:x", "events:4:ON_DEMAND", "a:1:mars", "a:1:b:c:d")) {
      assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.fromValues(Map.of("initializeStreams",
          bad))).getMessage().startsWith("Invalid stream '" + bad + "' in initializeStreams (--initialize-streams): "
          + "expected name:shards[:mode][:region]"), bad);
    }
  }

  @Test
  void help_describes_every_setting_from_the_shipped_file() {
    String help = ConfigLoader.help();
    assertTrue(help.contains("      Address to listen on."), help);
    for (String flag : List.of("--host", "--data-dir", "--shard-limit", "--tls-port", "--analytics-classpath")) {
      assertTrue(help.contains("  " + flag + " VALUE    ("), flag);
    }
  }

  @Test
  void the_file_can_be_named_by_the_environment() throws Exception {
    Path yaml = dir.resolve("other.yaml");
    Files.writeString(yaml, "createStreamMillis: 500\n");
    assertEquals(500, ConfigLoader.load(new String[0], Map.of("MILLRACE_CONFIG", yaml.toString()))
        .createStreamMillis());
  }

  @Test
  void kinesalite_flags_are_understood() {
    MillraceConfig c = ConfigLoader.load(new String[] {"--path", dir.toString(), "--createStreamMs", "50",
        "--deleteStreamMs=60", "--updateStreamMs", "70", "--shardLimit", "20"}, Map.of());
    assertEquals(dir, c.dataDir());
    assertEquals(50, c.createStreamMillis());
    assertEquals(60, c.deleteStreamMillis());
    assertEquals(70, c.updateStreamMillis());
    assertEquals(20, c.shardLimit());
  }

  @Test
  void a_boolean_flag_needs_no_value() {
    assertTrue(ConfigLoader.load(new String[] {"--in-memory"}, Map.of()).inMemory());
    MillraceConfig both = ConfigLoader.load(new String[] {"--in-memory", "--enforce-throughput-limits"}, Map.of());
    assertTrue(both.inMemory());
    assertTrue(both.enforceThroughputLimits());
    assertFalse(ConfigLoader.load(new String[] {"--in-memory", "false"}, Map.of()).inMemory());
  }

  @Test
  void a_bad_value_names_the_setting_and_its_environment_variable() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[0], Map.of("MILLRACE_SEGMENT_MAX_BYTES", "lots")));
    assertTrue(e.getMessage().contains("segmentMaxBytes='lots'"), e.getMessage());
    assertTrue(e.getMessage().contains("MILLRACE_SEGMENT_MAX_BYTES"), e.getMessage());
    assertTrue(e.getMessage().contains("--segment-max-bytes"), e.getMessage());
  }

  @Test
  void out_of_range_values_are_refused() {
    assertRefused("port", "70000", "between 0 and 65535");
    assertRefused("durability", "sometimes", "always, interval, none");
    assertRefused("defaultAccountId", "123", "12-digit");
    assertRefused("shardLimit", "0", "between 1 and");
    assertRefused("inMemory", "yes", "true or false");
    assertRefused("tailCacheBytesPerShard", "-1", "0 or more");
    assertRefused("port", "-2", "or -1 for none");
  }

  @Test
  void the_plain_port_may_be_off_only_when_the_tls_port_is_on() {
    assertEquals(-1, ConfigLoader.fromValues(Map.of("port", "-1", "tlsPort", "4568")).port());
    assertEquals("Setting port is -1 (no plain port) and tlsPort is -1 (no TLS port): the server would listen "
        + "nowhere. Give a tlsPort (e.g. --tls-port 4568) or a port.", assertThrows(ConfigException.class,
        () -> ConfigLoader.fromValues(Map.of("port", "-1"))).getMessage());
  }

  @Test
  void a_bad_value_in_the_file_is_refused_too() throws Exception {
    Path yaml = dir.resolve("millrace.yaml");
    Files.writeString(yaml, "fsyncIntervalMillis: 0\n");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--config", yaml.toString()}, Map.of()));
    assertTrue(e.getMessage().contains("fsyncIntervalMillis='0'"), e.getMessage());
  }

  @Test
  void an_unknown_flag_is_refused() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--prot", "1"}, Map.of()));
    assertTrue(e.getMessage().startsWith("Unknown flag '--prot'"), e.getMessage());
  }

  @Test
  void an_unknown_setting_in_the_file_is_refused() throws Exception {
    Path yaml = dir.resolve("millrace.yaml");
    Files.writeString(yaml, "prot: 1\n");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--config", yaml.toString()}, Map.of()));
    assertTrue(e.getMessage().contains("'prot'"), e.getMessage());
  }

  @Test
  void a_flag_without_its_value_is_refused() {
    assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[] {"--port"}, Map.of()));
  }

  @Test
  void a_missing_config_file_is_refused() {
    assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--config", dir.resolve("absent.yaml").toString()}, Map.of()));
  }

  @Test
  void the_shipped_configuration_file_holds_the_defaults() {
    Path shipped = Path.of("conf", "millrace.yaml");
    assumeTrue(Files.isRegularFile(shipped), "conf/millrace.yaml is not in this checkout");
    assertEquals(ConfigLoader.fromValues(Map.of()),
        ConfigLoader.load(new String[] {"--config", shipped.toString()}, Map.of()));
  }

  private static void assertRefused(String setting, String value, String reason) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromValues(Map.of(setting, value)));
    assertTrue(e.getMessage().contains(setting + "='" + value + "'") && e.getMessage().contains(reason),
        e.getMessage());
    assertTrue(e.getMessage().contains(ConfigLoader.envName(setting)), e.getMessage());
  }
}
