package io.millrace.app;

import io.millrace.api.http.ConnectionGuard;
import io.millrace.api.http.HttpApiVerticle;
import io.millrace.api.op.Operations;
import io.millrace.config.MillraceConfig;
import io.millrace.fanout.Subscription;
import io.millrace.fanout.SubscriptionLeases;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.metrics.ServerMetrics;
import io.millrace.shard.ShardSettings;
import io.millrace.shard.TailCacheBudget;
import io.millrace.shard.TokenSigner;
import io.millrace.storage.AtomicFile;
import io.millrace.storage.DataDirectoryLock;
import io.millrace.storage.SegmentIo;
import io.millrace.stream.DataPlane;
import io.millrace.stream.MetadataStore;
import io.millrace.stream.ShardDirectory;
import io.millrace.stream.OnDemandScaler;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.DeploymentOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Millrace server: the wiring of configuration, storage, registry, shards and the HTTP API. Used by
 * {@link Main} and by tests, which start servers in-process.
 */
public final class Millrace {

  private static final Logger LOG = LoggerFactory.getLogger(Millrace.class);

  private final MillraceConfig config;
  private final Vertx vertx;
  private final StreamRegistry registry;
  /** On-demand streams are not merged below this many open shards (what a new on-demand stream starts with). */
  static final int ON_DEMAND_MIN_SHARDS = 4;
  private final ServerMetrics metrics;
  /** This server's lock on its data directory (null in memory); released once everything is closed. */
  private final DataDirectoryLock claim;
  private final List<String> apiDeployments = new ArrayList<>();
  private int port;
  private HttpApiVerticle.Fanout fanout;
  private ConnectionGuard connections;

  private Millrace(MillraceConfig config, Vertx vertx, StreamRegistry registry, ServerMetrics metrics,
                   DataDirectoryLock claim) {
    this.claim = claim;
    this.config = config;
    this.vertx = vertx;
    this.registry = registry;
    this.metrics = metrics;
  }

  /** Starts a server; the future completes once it listens. Blocking set-up runs on workers. */
  public static Future<Millrace> start(MillraceConfig config, Clock clock) {
    return start(config, clock, SegmentIo.standard());
  }

  /**
   * Starts a server whose shard logs do their file I/O through {@code segmentIo} (fault-injection tests pass one
   * that fails on demand; everything else uses {@link SegmentIo#standard()}).
   */
  public static Future<Millrace> start(MillraceConfig config, Clock clock, SegmentIo segmentIo) {
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(config.eventLoops())
        .setMaxEventLoopExecuteTime(config.blockedThreadWarnMillis())
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(config.blockedThreadWarnMillis())
        .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    ConnectionGuard connections = new ConnectionGuard(new ConnectionGuard.Limits(config.maxConnections(),
        config.connectionIdleTimeoutMillis(), config.requestReadTimeoutMillis()));
    Vertx vertx = Vertx.builder().with(options).withTransport(connections.transport()).build();
    Path dataDir = config.inMemory() ? null : config.dataDir().toAbsolutePath();
    DataDirectoryLock[] claim = new DataDirectoryLock[1];
    return vertx.executeBlocking(() -> {
      // Before anything in the directory is read: a second server on the same data would corrupt it.
      claim[0] = dataDir == null ? null : claim(dataDir, config);
      requirePortFree(config);
      return secret(config, dataDir, segmentIo);
    }).compose(secret -> {
      SubscriptionStats subscriptions = new SubscriptionStats();
      ServerMetrics metrics = new ServerMetrics(subscriptions);
      ShardSettings settings = new ShardSettings(config.durability(), config.fsyncIntervalMillis(),
          config.tailCacheBytesPerShard(), config.enforceThroughputLimits(), clock, metrics,
          new TailCacheBudget(config.tailCacheBytesTotal()), config.retentionCheckMillis());
      ShardDirectory shards = new ShardDirectory(vertx, dataDir, config.segmentMaxBytes(), settings, segmentIo);
      MetadataStore store = dataDir == null ? MetadataStore.inMemory() : new MetadataStore(dataDir.resolve("meta"), segmentIo);
      StreamRegistry registry = new StreamRegistry(vertx, store, shards, new StreamRegistry.Limits(
          config.shardLimit(), config.onDemandStreamLimit(), config.createStreamMillis(),
          config.deleteStreamMillis(), config.updateStreamMillis(), config.consumerCreateMillis(),
          config.consumerDeleteMillis(), config.scalingsPerDay()), clock);
      TokenSigner signer = new TokenSigner(secret);
      DataPlane data = new DataPlane(registry, signer);
      Operations operations = new Operations(registry, data, signer);
      Millrace millrace = new Millrace(config, vertx, registry, metrics, claim[0]);
      SubscriptionLeases leases = new SubscriptionLeases(config.subscriptionTakeoverMillis());
      // A deregistered consumer's subscriptions end at once, with the error a new SubscribeToShard would now get.
      registry.onConsumerGone(c -> leases.endConsumer(c.arn(), StreamRegistry.consumerNotFound(c.arn())));
      millrace.connections = connections;
      measure(connections, metrics);
      millrace.fanout = new HttpApiVerticle.Fanout(registry, data, leases,
          new Subscription.Timing(config.subscriptionHeartbeatMillis(), config.subscriptionLifetimeMillis(),
              config.subscriptionMaxBytesPerSecond(), config.subscriptionMaxInFlightBytes()), subscriptions);
      OnDemandScaler scaler = new OnDemandScaler(vertx, registry, new OnDemandScaler.Policy(
          config.onDemandCheckMillis(), config.onDemandQuietMillis(), ON_DEMAND_MIN_SHARDS,
          config.onDemandMaxShards()), clock);
      return registry.start().compose(v -> millrace.deployApi(operations)).onSuccess(v -> scaler.start())
          .compose(v -> millrace.describeClaim()).map(millrace);
    }).onFailure(e -> vertx.close().onComplete(v -> release(claim[0])));
  }

  /** Locks the data directory for this server, or refuses the start naming the server that holds it. Blocking. */
  private static DataDirectoryLock claim(Path dataDir, MillraceConfig config) throws IOException {
    try {
      return DataDirectoryLock.acquire(dataDir, holder(config.port()));
    } catch (DataDirectoryLock.HeldElsewhereException e) {
      throw new StartRefusedException(e.getMessage());
    }
  }

  private static String holder(int port) {
    return "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", port "
        + (port == 0 ? "not yet bound" : String.valueOf(port)) + ", started " + java.time.Instant.now();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "an unnamed host";
    }
  }

  /** Once the port is bound, the lock file names it (it matters when port 0 picked a free one). */
  private Future<Void> describeClaim() {
    if (claim == null || config.port() != 0) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      claim.describe(holder(port));
      return null;
    });
  }

  private static void release(DataDirectoryLock claim) {
    if (claim == null) {
      return;
    }
    try {
      claim.close();
    } catch (IOException e) {
      LOG.warn("Could not release the data directory lock {}: {}", claim.file(), e.toString());
    }
  }

  /**
   * Refuses the start at once when the port is taken, before shards are loaded and checked (which can take a
   * while). The real bind later still reports a port taken meanwhile. Blocking.
   */
  private static void requirePortFree(MillraceConfig config) {
    if (config.port() == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress(config.host(), config.port()));
    } catch (IOException e) {
      throw new StartRefusedException(portInUse(config.host(), config.port(), e));
    }
  }

  private static String portInUse(String host, int port, Throwable cause) {
    return "Cannot listen on " + host + ":" + port + " (" + cause.getMessage() + "). Is another server running "
        + "there? Choose another port with --port.";
  }

  /** The metrics of the connection limits. */
  private static void measure(ConnectionGuard guard, ServerMetrics metrics) {
    metrics.gauge("millrace.connections", "Open client connections", guard::openConnections);
    metrics.counter("millrace.connections.refused", "Requests answered 503 because their connection was beyond "
        + "maxConnections", guard::refusedRequests);
    metrics.counter("millrace.requests.timed.out", "Connections cut off because a request was not read within "
        + "requestReadTimeoutMillis", guard::timedOutRequests);
  }

  private Future<Void> deployApi(Operations operations) {
    port = config.port() == 0 ? freePort() : config.port();
    // The first instance binds the port alone, so a port in use fails once and plainly; the others then share it.
    return deployOneApi(operations).compose(first -> {
      List<Future<String>> rest = new ArrayList<>();
      for (int i = 1; i < config.eventLoops(); i++) {
        rest.add(deployOneApi(operations));
      }
      return Future.all(rest);
    }).recover(e -> Future.failedFuture(e instanceof java.net.BindException
        ? new StartRefusedException(portInUse(config.host(), port, e)) : e))
        .mapEmpty();
  }

  private Future<String> deployOneApi(Operations operations) {
    return vertx.deployVerticle(new HttpApiVerticle(operations, config.host(), port, config.maxRequestBytes(),
        config.defaultAccountId(), config.defaultRegion(), metrics::scrape, fanout, connections),
        new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP)).onSuccess(apiDeployments::add);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /**
   * The token secret: the configured one, else a random one kept in {@code meta/iterator.key} so that iterators
   * survive restarts, else (in memory) a random one. Blocking.
   */
  private static byte[] secret(MillraceConfig config, Path dataDir, SegmentIo segmentIo) throws IOException {
    if (!config.iteratorSecret().isEmpty()) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(config.iteratorSecret().getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    if (dataDir == null) {
      return random;
    }
    Path meta = dataDir.resolve("meta");
    Path key = meta.resolve("iterator.key");
    if (Files.exists(key) && Files.size(key) == 32) {
      return Files.readAllBytes(key);
    }
    Files.createDirectories(meta);
    AtomicFile.write(segmentIo, key, random);
    return random;
  }

  public int port() {
    return port;
  }

  public MillraceConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public StreamRegistry registry() {
    return registry;
  }

  /** The metrics {@code GET /metrics} serves. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /**
   * Shuts down cleanly: stops taking requests (those in flight finish), then stops every shard (flushing, fsyncing
   * and closing its files), then Vert.x.
   */
  public Future<Void> close() {
    List<Future<Void>> apis = new ArrayList<>();
    for (String id : apiDeployments) {
      apis.add(vertx.undeploy(id));
    }
    return Future.join(apis).transform(v -> vertx.close()).andThen(ar -> release(claim));
  }
}
