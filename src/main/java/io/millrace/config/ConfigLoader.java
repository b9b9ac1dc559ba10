package io.millrace.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a {@link MillraceConfig} from, in rising precedence: built-in defaults, a YAML file
 * ({@code conf/millrace.yaml} or {@code --config FILE}), environment variables ({@code MILLRACE_<UPPER_SNAKE>}) and
 * command-line flags ({@code --kebab-name value}, {@code --flag} for booleans, plus kinesalite's spellings).
 *
 * <p>Each setting is declared once in {@link #SETTINGS}; a bad value stops the start with a message naming it.
 */
public final class ConfigLoader {

  /** A setting's name (as in the YAML file), its default, and its check. */
  private record Setting(String name, String defaultValue, Check check) {}

  private enum Check {
    HOST, PORT, PATH, BOOL, DURABILITY, NON_NEGATIVE_LONG, POSITIVE_LONG, POSITIVE_INT, ACCOUNT, REGION, TEXT,
    URL_OR_EMPTY, LOG_FORMAT, ACCESS_LOG
  }

  /**
   * A quarter of the JVM's maximum heap, at least 64 MiB: request bodies being received never crowd out the rest, and
   * a few of the largest (16 MiB) fit at once.
   */
  private static long defaultMaxReceivingBytes() {
    return Math.max(64L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
  }

  /** A quarter of the JVM's maximum heap, at most 256 MiB: the records kept in memory never crowd out the rest. */
  private static long defaultTailCacheBytesTotal() {
    return Math.min(256L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
  }

  private static final List<Setting> SETTINGS = List.of(
      new Setting("host", "127.0.0.1", Check.HOST),
      new Setting("port", "4567", Check.PORT),
      new Setting("dataDir", "data", Check.PATH),
      new Setting("inMemory", "false", Check.BOOL),
      new Setting("durability", "always", Check.DURABILITY),
      new Setting("fsyncIntervalMillis", "1000", Check.POSITIVE_LONG),
      new Setting("segmentMaxBytes", String.valueOf(128L * 1024 * 1024), Check.POSITIVE_LONG),
      new Setting("tailCacheBytesPerShard", String.valueOf(4L * 1024 * 1024), Check.NON_NEGATIVE_LONG),
      new Setting("tailCacheBytesTotal", String.valueOf(defaultTailCacheBytesTotal()), Check.NON_NEGATIVE_LONG),
      new Setting("retentionCheckMillis", "60000", Check.POSITIVE_LONG),
      new Setting("maxRequestBytes", String.valueOf(16L * 1024 * 1024), Check.POSITIVE_LONG),
      new Setting("maxConnections", "4096", Check.POSITIVE_INT),
      new Setting("connectionIdleTimeoutMillis", "120000", Check.POSITIVE_LONG),
      new Setting("requestReadTimeoutMillis", "60000", Check.POSITIVE_LONG),
      new Setting("maxReceivingBytes", String.valueOf(defaultMaxReceivingBytes()), Check.POSITIVE_LONG),
      new Setting("defaultAccountId", "000000000000", Check.ACCOUNT),
      new Setting("defaultRegion", "us-east-1", Check.REGION),
      new Setting("shardLimit", "1000", Check.POSITIVE_INT),
      new Setting("onDemandStreamLimit", "50", Check.POSITIVE_INT),
      new Setting("createStreamMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("deleteStreamMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("updateStreamMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("scalingsPerDay", "10", Check.POSITIVE_INT),
      new Setting("onDemandCheckMillis", "1000", Check.NON_NEGATIVE_LONG),
      new Setting("onDemandQuietMillis", "600000", Check.NON_NEGATIVE_LONG),
      new Setting("onDemandMaxShards", "200", Check.POSITIVE_INT),
      new Setting("consumerCreateMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("consumerDeleteMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("subscriptionLifetimeMillis", "300000", Check.POSITIVE_LONG),
      new Setting("subscriptionHeartbeatMillis", "3000", Check.POSITIVE_LONG),
      new Setting("subscriptionTakeoverMillis", "5000", Check.NON_NEGATIVE_LONG),
      new Setting("subscriptionMaxBytesPerSecond", "0", Check.NON_NEGATIVE_LONG),
      new Setting("subscriptionMaxInFlightBytes", String.valueOf(512 * 1024), Check.POSITIVE_LONG),
      new Setting("enforceThroughputLimits", "false", Check.BOOL),
      new Setting("iteratorSecret", "", Check.TEXT),
      new Setting("eventLoops", String.valueOf(Math.max(2, 2 * Runtime.getRuntime().availableProcessors())),
          Check.POSITIVE_INT),
      new Setting("blockedThreadWarnMillis", "2000", Check.POSITIVE_LONG),
      new Setting("deliveryStreamLimit", "50", Check.POSITIVE_INT),
      new Setting("deliveryStreamCreateMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("deliveryStreamDeleteMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("deliveryStreamMaxBufferedBytes", String.valueOf(1024L * 1024 * 1024), Check.POSITIVE_LONG),
      new Setting("directPutLimits", "false", Check.BOOL),
      new Setting("s3Endpoint", "", Check.URL_OR_EMPTY),
      new Setting("lambdaEndpoint", "", Check.URL_OR_EMPTY),
      new Setting("outboundAccessKeyId", "", Check.TEXT),
      new Setting("outboundSecretAccessKey", "", Check.TEXT),
      new Setting("outboundRegion", "us-east-1", Check.REGION),
      new Setting("httpEndpointTimeoutMillis", "180000", Check.POSITIVE_LONG),
      new Setting("openSearchDomainEndpoints", "", Check.TEXT),
      new Setting("hecAckTimeoutMaxMillis", "0", Check.NON_NEGATIVE_LONG),
      new Setting("analyticsClasspath", "target/analytics/classpath.txt", Check.TEXT),
      new Setting("analyticsFlinkRestUrl", "", Check.URL_OR_EMPTY),
      new Setting("credentialsFile", "", Check.TEXT),
      new Setting("tlsPort", "-1", Check.TEXT),
      new Setting("tlsCertFile", "", Check.TEXT),
      new Setting("tlsKeyFile", "", Check.TEXT),
      new Setting("tlsHandshakeTimeoutMillis", "10000", Check.POSITIVE_LONG),
      new Setting("initializeStreams", "", Check.TEXT),
      new Setting("logFormat", "text", Check.LOG_FORMAT),
      new Setting("accessLog", "off", Check.ACCESS_LOG),
      new Setting("console", "true", Check.BOOL));

  /** kinesalite's flag names, for people moving over. */
  private static final Map<String, String> FLAG_ALIASES = Map.of(
      "path", "dataDir",
      "createStreamMs", "createStreamMillis",
      "deleteStreamMs", "deleteStreamMillis",
      "updateStreamMs", "updateStreamMillis",
      "shardLimit", "shardLimit");

  private ConfigLoader() {}

  /** Thrown for any bad setting or flag; its message names the setting and the value. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }

  /**
   * Loads the configuration for a server started with {@code args}, reading {@code env} for
   * {@code MILLRACE_*} variables. The YAML file is {@code --config FILE} if given, else {@code conf/millrace.yaml}
   * if it exists.
   */
  public static MillraceConfig load(String[] args, Map<String, String> env) {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      throw new HelpRequested(help());
    }
    Map<String, String> flags = parseFlags(args);
    Map<String, String> values = new LinkedHashMap<>();
    String file = flags.remove("config");
    if (file == null) {
      file = env.get("MILLRACE_CONFIG");
    }
    Path yaml = file != null ? Path.of(file) : Path.of("conf", "millrace.yaml");
    if (file != null || Files.isRegularFile(yaml)) {
      values.putAll(readYaml(yaml));
    }
    if (env.get("INITIALIZE_STREAMS") != null) {
      values.put("initializeStreams", env.get("INITIALIZE_STREAMS")); // the popular emulators' variable
    }
    for (Setting s : SETTINGS) {
      String fromEnv = env.get(envName(s.name()));
      if (fromEnv != null) {
        values.put(s.name(), fromEnv);
      }
    }
    values.putAll(flags);
    return fromValues(values);
  }

  /** Builds a configuration from defaults overridden by {@code overrides} (setting name to value); used by tests. */
  public static MillraceConfig fromValues(Map<String, String> overrides) {
    Map<String, String> v = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      v.put(s.name(), s.defaultValue());
    }
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      if (!v.containsKey(e.getKey())) {
        throw new ConfigException("Unknown setting '" + e.getKey() + "'. Known settings: " + names());
      }
      v.put(e.getKey(), e.getValue());
    }
    for (Setting s : SETTINGS) {
      check(s, v.get(s.name()).trim());
    }
    if (Integer.parseInt(v.get("port").trim()) == -1 && tlsPort(v.get("tlsPort").trim()) == -1) {
      throw new ConfigException("Setting port is -1 (no plain port) and tlsPort is -1 (no TLS port): the server "
          + "would listen nowhere. Give a tlsPort (e.g. --tls-port 4568) or a port.");
    }
    return new MillraceConfig(
        v.get("host").trim(),
        Integer.parseInt(v.get("port").trim()),
        Path.of(v.get("dataDir").trim()),
        Boolean.parseBoolean(v.get("inMemory").trim()),
        Durability.valueOf(v.get("durability").trim().toUpperCase(Locale.ROOT)),
        longOf(v, "fsyncIntervalMillis"),
        longOf(v, "segmentMaxBytes"),
        longOf(v, "tailCacheBytesPerShard"),
        longOf(v, "tailCacheBytesTotal"),
        longOf(v, "retentionCheckMillis"),
        longOf(v, "maxRequestBytes"),
        (int) longOf(v, "maxConnections"),
        longOf(v, "connectionIdleTimeoutMillis"),
        longOf(v, "requestReadTimeoutMillis"),
        longOf(v, "maxReceivingBytes"),
        v.get("defaultAccountId").trim(),
        v.get("defaultRegion").trim(),
        (int) longOf(v, "shardLimit"),
        (int) longOf(v, "onDemandStreamLimit"),
        longOf(v, "createStreamMillis"),
        longOf(v, "deleteStreamMillis"),
        longOf(v, "updateStreamMillis"),
        (int) longOf(v, "scalingsPerDay"),
        longOf(v, "onDemandCheckMillis"),
        longOf(v, "onDemandQuietMillis"),
        (int) longOf(v, "onDemandMaxShards"),
        longOf(v, "consumerCreateMillis"),
        longOf(v, "consumerDeleteMillis"),
        longOf(v, "subscriptionLifetimeMillis"),
        longOf(v, "subscriptionHeartbeatMillis"),
        longOf(v, "subscriptionTakeoverMillis"),
        longOf(v, "subscriptionMaxBytesPerSecond"),
        longOf(v, "subscriptionMaxInFlightBytes"),
        Boolean.parseBoolean(v.get("enforceThroughputLimits").trim()),
        v.get("iteratorSecret"),
        (int) longOf(v, "eventLoops"),
        longOf(v, "blockedThreadWarnMillis"),
        new MillraceConfig.Firehose(
            (int) longOf(v, "deliveryStreamLimit"),
            longOf(v, "deliveryStreamCreateMillis"),
            longOf(v, "deliveryStreamDeleteMillis"),
            longOf(v, "deliveryStreamMaxBufferedBytes"),
            Boolean.parseBoolean(v.get("directPutLimits").trim()),
            v.get("s3Endpoint").trim(),
            v.get("lambdaEndpoint").trim(),
            v.get("outboundAccessKeyId").trim(),
            v.get("outboundSecretAccessKey").trim(),
            v.get("outboundRegion").trim(),
            longOf(v, "httpEndpointTimeoutMillis"),
            v.get("openSearchDomainEndpoints").trim(),
            longOf(v, "hecAckTimeoutMaxMillis")),
        v.get("analyticsClasspath").trim(),
        v.get("analyticsFlinkRestUrl").trim(),
        v.get("credentialsFile").trim(),
        tlsPort(v.get("tlsPort").trim()),
        v.get("tlsCertFile").trim(),
        v.get("tlsKeyFile").trim(),
        longOf(v, "tlsHandshakeTimeoutMillis"),
        initialStreams(v.get("initializeStreams")),
        v.get("logFormat").trim().toLowerCase(Locale.ROOT),
        v.get("accessLog").trim().toLowerCase(Locale.ROOT).replace("false", "off"),
        Boolean.parseBoolean(v.get("console").trim()));
  }

  /** The TLS port: -1 (off), 0 (any free port) or a port number. */
  private static int tlsPort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= -1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException("Invalid value '" + value + "' for setting tlsPort: expected -1 (off) or a port "
        + "number from 0 to 65535.");
  }

  /** {@code --help} was given: the message is the help text, and nothing starts. */
  public static final class HelpRequested extends RuntimeException {
    public HelpRequested(String help) {
      super(help, null, false, false);
    }
  }

  /**
   * Every flag with its setting, environment variable, default and description: the shipped configuration file
   * (in the jar), whose comments describe each setting, read section by section.
   */
  public static String help() {
    String shipped;
    try (var in = ConfigLoader.class.getResourceAsStream("millrace.yaml")) {
      shipped = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      shipped = "";
    }
    StringBuilder out = new StringBuilder("""
        Usage: bin/millrace [--<flag> VALUE ...] [--config FILE]     (or: java -jar target/millrace.jar ...)

        Each setting comes from, lowest to highest: its default; the YAML file given by --config FILE (or
        MILLRACE_CONFIG), else conf/millrace.yaml under the working directory if there is one; its environment
        variable; its flag. A boolean flag needs no value (--in-memory).
        """);
    java.util.Set<String> described = new java.util.HashSet<>();
    StringBuilder comment = new StringBuilder();
    for (String line : shipped.split("\n")) {
      if (line.startsWith("# ---")) {
        out.append('\n').append(line.replaceAll("^# -+ *", "").replaceAll(" *-+$", "")).append('\n');
        comment.setLength(0);
      } else if (line.startsWith("#")) {
        comment.append("      ").append(line.replaceFirst("^# ?", "")).append('\n');
      } else if (line.isBlank()) {
        comment.setLength(0);
      } else if (line.contains(":") && !line.startsWith(" ")) {
        String name = line.substring(0, line.indexOf(':')).trim();
        SETTINGS.stream().filter(s -> s.name().equals(name)).findFirst().ifPresent(s -> {
          described.add(name);
          out.append(flagLine(s)).append('\n').append(comment);
        });
        comment.setLength(0);
      }
    }
    for (Setting s : SETTINGS) {
      if (!described.contains(s.name())) {
        out.append(flagLine(s)).append('\n');
      }
    }
    return out.toString();
  }

  private static String flagLine(Setting s) {
    return "  --" + flagName(s.name()) + (s.check() == Check.BOOL ? "" : " VALUE") + "    (" + s.name() + ", "
        + envName(s.name()) + "; default " + (s.defaultValue().isEmpty() ? "empty" : s.defaultValue()) + ")";
  }

  /** {@code createStreamMillis} becomes {@code MILLRACE_CREATE_STREAM_MILLIS}. */
  static String envName(String setting) {
    return "MILLRACE_" + setting.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  /** {@code createStreamMillis} becomes {@code create-stream-millis}. */
  static String flagName(String setting) {
    return setting.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  private static long longOf(Map<String, String> v, String name) {
    return Long.parseLong(v.get(name).trim());
  }

  private static List<String> names() {
    return SETTINGS.stream().map(Setting::name).toList();
  }

  private static Map<String, String> parseFlags(String[] args) {
    Map<String, String> byFlag = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      byFlag.put(flagName(s.name()), s.name());
    }
    byFlag.putAll(FLAG_ALIASES);
    byFlag.put("config", "config");
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new ConfigException("Unexpected argument '" + arg + "'. Flags look like --port 4567.");
      }
      String flag = arg.substring(2);
      String inline = null;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        inline = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      String name = byFlag.get(flag);
      if (name == null) {
        throw new ConfigException("Unknown flag '--" + flag + "'. Known flags: --"
            + String.join(", --", byFlag.keySet()));
      }
      boolean isBool = SETTINGS.stream().anyMatch(s -> s.name().equals(name) && s.check() == Check.BOOL);
      if (inline != null) {
        out.put(name, inline);
      } else if (isBool && (i + 1 >= args.length || args[i + 1].startsWith("--"))) {
        out.put(name, "true");
      } else if (i + 1 < args.length) {
        out.put(name, args[++i]);
      } else {
        throw new ConfigException("Flag '--" + flag + "' needs a value.");
      }
    }
    return out;
  }

  private static Map<String, String> readYaml(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new ConfigException("Cannot read configuration file " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out;
    }
    if (!root.isObject()) {
      throw new ConfigException("Configuration file " + file + " must hold a map of settings.");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("streams") && e.getValue().isArray()) {
        out.put("initializeStreams", streamsList(e.getValue(), file));
        continue;
      }
      if (!e.getValue().isValueNode()) {
        throw new ConfigException("Setting '" + e.getKey() + "' in " + file + " must be a single value.");
      }
      out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
    }
    return out;
  }

  /**
   * A {@code streams:} list (items {@code {name: orders, shards: 2, mode: PROVISIONED, region: eu-west-1}}, or
   * {@code "orders:2"}) as
   * the initializeStreams setting's {@code name:shards[:mode],...}.
   */
  private static String streamsList(JsonNode list, Path file) {
    List<String> streams = new ArrayList<>();
    for (JsonNode item : list) {
      if (item.isTextual()) {
        streams.add(item.asText());
      } else if (item.isObject() && item.hasNonNull("name")) {
        streams.add(item.get("name").asText() + ":" + (item.hasNonNull("shards") ? item.get("shards").asText() : "")
            + (item.hasNonNull("mode") ? ":" + item.get("mode").asText() : "")
            + (item.hasNonNull("region") ? ":" + item.get("region").asText() : ""));
      } else {
        throw new ConfigException("Each item of 'streams' in " + file + " must be name:shards[:mode] or a map with "
            + "name, shards and mode, not " + item);
      }
    }
    return String.join(",", streams);
  }

  /** A stream to create at start (initializeStreams); {@code region} null for the default region. */
  public record InitialStream(String name, int shards, String mode, String region) {}

  /** Shards of an initial stream whose count is left empty, as kinesis-mock does. */
  private static final int DEFAULT_INITIAL_SHARDS = 4;

  /**
   * The streams of an initializeStreams value, {@code name:shards[:mode][:region],...}: kinesis-mock's
   * {@code name:shards:region} (an empty shard count is 4) with an optional mode (PROVISIONED, the default, or
   * ON_DEMAND, which takes no shard count).
   */
  public static List<InitialStream> initialStreams(String value) {
    List<InitialStream> streams = new ArrayList<>();
    for (String item : value.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String[] parts = item.trim().split(":", -1);
      String mode = "PROVISIONED";
      String region = null;
      boolean valid = parts.length <= 4 && parts[0].matches("[a-zA-Z0-9_.-]{1,128}");
      for (int i = 2; i < parts.length && valid; i++) {
        String p = parts[i].trim();
        if (p.equalsIgnoreCase("PROVISIONED") || p.equalsIgnoreCase("ON_DEMAND")) {
          mode = p.toUpperCase(Locale.ROOT);
        } else if (p.matches("[a-z]{2}(-[a-z]+)+-\\d") && region == null) {
          region = p;
        } else {
          valid = false;
        }
      }
      String count = parts.length > 1 ? parts[1].trim() : "";
      int shards = -1;
      if (count.isEmpty()) {
        shards = DEFAULT_INITIAL_SHARDS;
      } else if (count.matches("\\d{1,6}")) {
        shards = Integer.parseInt(count);
      }
      if (!valid || shards < 1 || mode.equals("ON_DEMAND") && !count.isEmpty()) {
        throw new ConfigException("Invalid stream '" + item.trim() + "' in initializeStreams (--initialize-streams): "
            + "expected name:shards[:mode][:region], e.g. orders:2, events::ON_DEMAND or clicks:1:eu-west-1 (names of "
            + "letters, digits, _ . -; shards 1 or more, or empty for 4; mode PROVISIONED or ON_DEMAND, which takes "
            + "no shard count).");
      }
      streams.add(new InitialStream(parts[0], shards, mode, region));
    }
    return streams;
  }

  private static void check(Setting s, String value) {
    List<String> problems = new ArrayList<>();
    switch (s.check()) {
      case HOST -> { if (value.isEmpty()) problems.add("must not be empty"); }
      case PORT -> {
        long p = parse(s, value);
        if (p < -1 || p > 65535) {
          problems.add("must be a port number between 0 and 65535 (0 picks a free port), or -1 for none");
        }
      }
      case PATH -> { if (value.isEmpty()) problems.add("must be a directory path"); }
      case LOG_FORMAT -> {
        if (!List.of("text", "json").contains(value.toLowerCase(Locale.ROOT))) {
          problems.add("must be text or json");
        }
      }
      case ACCESS_LOG -> {
        // "false": YAML reads an unquoted off as a boolean
        if (!List.of("off", "false", "info", "debug").contains(value.toLowerCase(Locale.ROOT))) {
          problems.add("must be off, info or debug");
        }
      }
      case BOOL -> {
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) problems.add("must be true or false");
      }
      case DURABILITY -> {
        try {
          Durability.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          problems.add("must be one of always, interval, none");
        }
      }
      case NON_NEGATIVE_LONG -> { if (parse(s, value) < 0) problems.add("must be 0 or more"); }
      case POSITIVE_LONG -> { if (parse(s, value) < 1) problems.add("must be 1 or more"); }
      case POSITIVE_INT -> {
        long n = parse(s, value);
        if (n < 1 || n > Integer.MAX_VALUE) problems.add("must be between 1 and " + Integer.MAX_VALUE);
      }
      case ACCOUNT -> { if (!value.matches("\\d{12}")) problems.add("must be a 12-digit AWS account id"); }
      case REGION -> { if (!value.matches("[a-z0-9-]{1,32}")) problems.add("must be a region name like us-east-1"); }
      case TEXT -> { }
      case URL_OR_EMPTY -> {
        if (!value.isEmpty() && !value.matches("https?://[^\\s/]+(/.*)?")) {
          problems.add("must be empty or a URL like http://127.0.0.1:9000");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("Invalid setting " + s.name() + "='" + value + "': " + String.join("; ", problems)
          + " (environment variable " + envName(s.name()) + ", flag --" + flagName(s.name()) + ").");
    }
  }

  private static long parse(Setting s, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new ConfigException("Invalid setting " + s.name() + "='" + value + "': must be a whole number"
          + " (environment variable " + envName(s.name()) + ", flag --" + flagName(s.name()) + ").");
    }
  }
}
