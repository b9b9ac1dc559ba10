package io.millrace.app;

import io.millrace.analytics.Analytics;
import io.millrace.analytics.FlinkRunner;
import io.millrace.api.analytics.AnalyticsOperations;
import io.millrace.api.firehose.FirehoseOperations;
import io.millrace.api.http.ConnectionGuard;
import io.millrace.api.auth.Credentials;
import io.millrace.api.http.HttpApiVerticle;
import io.millrace.api.http.TlsFrontend;
import io.millrace.api.model.Requests;
import io.millrace.api.op.Operation;
import io.millrace.api.op.Operations;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.config.ConfigLoader;
import io.millrace.config.MillraceConfig;
import io.millrace.fanout.Subscription;
import io.millrace.firehose.DeliveryStreamRegistry;
import io.millrace.firehose.DestinationOptions;
import io.millrace.firehose.Firehose;
import io.millrace.firehose.LambdaProcessor;
import io.millrace.firehose.LocalObjectStore;
import io.millrace.firehose.ObjectStore;
import io.millrace.firehose.S3ObjectStore;
import io.millrace.fanout.SubscriptionLeases;
import io.millrace.fanout.SubscriptionStats;
import io.millrace.metrics.DiskUsage;
import io.millrace.metrics.KinesisMetrics;
import io.millrace.metrics.LoopProbes;
import io.millrace.metrics.TimedSegmentIo;
import io.millrace.metrics.ServerMetrics;
import io.millrace.shard.ShardSettings;
import io.millrace.shard.TailCacheBudget;
import io.millrace.shard.TokenSigner;
import io.millrace.storage.DataDirectoryLock;
import io.millrace.storage.SegmentIo;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.ControlPlane;
import io.millrace.stream.DataPlane;
import io.millrace.stream.MetadataStore;
import io.millrace.stream.OnDemandScaler;
import io.millrace.stream.ShardDirectory;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * One running Millrace server: the wiring of configuration, storage, control plane, shards and the HTTP API. Used by
 * {@link Main} and by tests, which start servers in-process.
 */
public final class Millrace {

  private static final Logger LOG = LoggerFactory.getLogger(Millrace.class);
  /** How often the credentials file is checked for changes (rotation without a restart). */
  private static final long CREDENTIALS_CHECK_MILLIS = 2000;

  /** On-demand streams are not merged below this many open shards (what a new on-demand stream starts with). */
  static final int ON_DEMAND_MIN_SHARDS = 4;

  private final MillraceConfig config;
  private final Vertx vertx;
  private final ControlPlane controlPlane;
  private final Firehose firehose;
  private final Analytics analytics;
  private final ServerMetrics metrics;
  /** This server's lock on its data directory (null in memory); released once everything is closed. */
  private final DataDirectoryLock claim;
  private final List<String> apiDeployments = new ArrayList<>();
  private int port;
  /** Where the API listens: the plain port (unless it is off) and the TLS port's private domain socket (if on). */
  private List<SocketAddress> apiAddresses;
  /** The domain socket's directory, removed at close; null when the API listens on a port. */
  private Path socketDir;
  private TlsFrontend tls;

  private Millrace(MillraceConfig config, Vertx vertx, ControlPlane controlPlane, Firehose firehose,
                   Analytics analytics, ServerMetrics metrics, DataDirectoryLock claim) {
    this.config = config;
    this.vertx = vertx;
    this.controlPlane = controlPlane;
    this.firehose = firehose;
    this.analytics = analytics;
    this.metrics = metrics;
    this.claim = claim;
  }

  /** Starts a server; the future completes once it listens. Blocking set-up runs on workers. */
  public static Future<Millrace> start(MillraceConfig config, Clock clock) {
    return start(config, clock, SegmentIo.standard());
  }

  /**
   * Starts a server whose shard logs and metadata do their file I/O through {@code segmentIo} (fault-injection tests
   * pass one that fails on demand; everything else uses {@link SegmentIo#standard()}).
   */
  public static Future<Millrace> start(MillraceConfig config, Clock clock, SegmentIo segmentIo) {
    Logs.applyAccessLog(config);
    ConnectionGuard connections = new ConnectionGuard(new ConnectionGuard.Limits(config.maxConnections(),
        config.connectionIdleTimeoutMillis(), config.requestReadTimeoutMillis(), config.maxReceivingBytes()));
    SubscriptionStats subscriptions = new SubscriptionStats();
    ServerMetrics metrics = new ServerMetrics(subscriptions);
    // Vert.x reports its worker pools and event loops into the server's registry (ServerMetrics.vertxMetrics).
    final Vertx vertx;
    try {
      vertx = Vertx.builder().with(vertxOptions(config).setMetricsOptions(metrics.vertxMetricsOptions()))
          .withTransport(connections.transport()).withMetrics(metrics.vertxMetrics()).build();
    } catch (RuntimeException e) {
      metrics.close();
      return Future.failedFuture(e);
    }
    Path dataDir = config.inMemory() ? null : config.dataDir().toAbsolutePath();
    DataDirectoryLock[] claim = new DataDirectoryLock[1];
    Credentials[] credentials = new Credentials[1];
    return vertx.executeBlocking(() -> {
      credentials[0] = loadCredentials(config);
      // Before anything in the directory is read: a second server on the same data would corrupt it.
      claim[0] = dataDir == null ? null : Startup.claim(dataDir, config.port());
      Startup.requirePortFree(config);
      return TokenSigner.forDeployment(config.iteratorSecret(),
          dataDir == null ? null : dataDir.resolve("meta").resolve("iterator.key"), segmentIo);
    }).compose(signer -> {
      measure(connections, metrics);
      ShardSettings settings = new ShardSettings(config.durability(), config.fsyncIntervalMillis(),
          config.tailCacheBytesPerShard(), config.enforceThroughputLimits(), clock, metrics,
          new TailCacheBudget(config.tailCacheBytesTotal()), config.retentionCheckMillis());
      SegmentIo timedIo = new TimedSegmentIo(segmentIo, metrics.registry());
      ShardDirectory shards = new ShardDirectory(vertx, dataDir, config.segmentMaxBytes(), settings, timedIo);
      MetadataStore store = dataDir == null ? MetadataStore.inMemory()
          : new MetadataStore(dataDir.resolve("meta"), timedIo);
      ControlPlane controlPlane = ControlPlane.create(vertx, store, shards, new ControlPlane.Limits(
          config.shardLimit(), config.onDemandStreamLimit(), config.createStreamMillis(),
          config.deleteStreamMillis(), config.updateStreamMillis(), config.consumerCreateMillis(),
          config.consumerDeleteMillis(), config.scalingsPerDay()), clock);
      DataPlane data = new DataPlane(controlPlane.streams(), controlPlane.resharder(), signer);
      SubscriptionLeases leases = new SubscriptionLeases(config.subscriptionTakeoverMillis());
      // A deregistered consumer's subscriptions end at once, with the error a new SubscribeToShard would now get.
      controlPlane.consumers().onConsumerGone(c -> leases.endConsumer(c.arn(), ConsumerRegistry.notFound(c.arn())));
      HttpApiVerticle.Fanout fanout = new HttpApiVerticle.Fanout(controlPlane, data, leases,
          new Subscription.Timing(config.subscriptionHeartbeatMillis(), config.subscriptionLifetimeMillis(),
              config.subscriptionMaxBytesPerSecond(), config.subscriptionMaxInFlightBytes()), subscriptions);
      OnDemandScaler scaler = new OnDemandScaler(vertx, controlPlane.streams(), controlPlane.resharder(),
          new OnDemandScaler.Policy(config.onDemandCheckMillis(), config.onDemandQuietMillis(),
              ON_DEMAND_MIN_SHARDS, config.onDemandMaxShards()), clock);
      Firehose firehose = firehose(config, vertx, dataDir, timedIo, settings, controlPlane, metrics, clock);
      Analytics analytics = new Analytics(vertx, dataDir == null ? null : dataDir.resolve("meta")
          .resolve("analytics.json"), timedIo, new FlinkRunner(Path.of(config.analyticsClasspath()),
          config.analyticsFlinkRestUrl(), analyticsWorkDir(dataDir)), clock);
      Millrace millrace = new Millrace(config, vertx, controlPlane, firehose, analytics, metrics, claim[0]);
      KinesisMetrics kinesisMetrics = new KinesisMetrics(metrics.registry(), key -> controlPlane.streams().find(key)
          .map(StreamMeta::shardLevelMetrics).orElse(List.of()));
      subscriptions.reportTo(kinesisMetrics);
      controlPlane.consumers().onConsumerGone(c -> kinesisMetrics.forgetConsumer(c.stream(), c.name()));
      metrics.beforeScrape(() -> kinesisMetrics.retain(key -> controlPlane.streams().find(key).isPresent(),
          (key, consumer) -> controlPlane.consumers().consumer(key, consumer).isPresent()));
      Operations kinesis = new Operations(controlPlane, data, signer, kinesisMetrics);
      List<Service> services = List.of(kinesis, new FirehoseOperations(firehose, kinesis.authorizer()),
          new AnalyticsOperations(analytics));
      // The port first, so that liveness and readiness answer while shard logs are recovered; API requests are
      // answered 503 until the server has started.
      return millrace.deployApi(() -> new HttpApiVerticle(services, millrace.apiSettings(), metrics::scrape,
              metrics.health(), fanout, connections, credentials[0], clock))
          .compose(v -> controlPlane.start())
          .compose(v -> firehose.start())
          .compose(v -> analytics.start())
          .onSuccess(v -> metrics.recoveryFinished())
          .compose(v -> initializeStreams(vertx, config, kinesis, controlPlane.streams()))
          .onSuccess(v -> {
            if (credentials[0] != null) {
              credentials[0].watch(vertx, CREDENTIALS_CHECK_MILLIS);
            }
            metrics.health().started();
            LoopProbes.start(vertx, config.eventLoops(), metrics.registry());
            if (dataDir != null) {
              DiskUsage.start(vertx, dataDir, metrics.registry());
            }
            // A deleted stream's meters go at the next scrape, or within a minute when nobody scrapes: on a context of
            // its own (this callback may run on any context the start finished on, a shard's among them).
            vertx.deployVerticle(new io.vertx.core.VerticleBase() {
              @Override
              public Future<?> start() {
                vertx.setPeriodic(60_000, id -> kinesisMetrics.retain(key -> controlPlane.streams().find(key)
                    .isPresent(), (key, consumer) -> controlPlane.consumers().consumer(key, consumer).isPresent()));
                return Future.succeededFuture();
              }
            });
          })
          .onSuccess(v -> scaler.start())
          .compose(v -> millrace.describeClaim()).map(millrace)
          .onFailure(e -> millrace.removeSocketDir());
    }).onFailure(e -> vertx.close().onComplete(v -> {
      release(claim[0]);
      metrics.close();
    }));
  }

  /**
   * Creates the streams of {@code initializeStreams} that do not exist yet, in the default account (and their region,
   * or the default), as CreateStream would (its validation and limits), and waits until each is ACTIVE, so that a
   * ready server serves them; one that exists already is left as it is.
   */
  @SuppressWarnings("unchecked")
  private static Future<Void> initializeStreams(Vertx vertx, MillraceConfig config, Operations kinesis,
                                                StreamRegistry streams) {
    Operation<Requests.CreateStreamRequest, Object> create =
        (Operation<Requests.CreateStreamRequest, Object>) kinesis.find("CreateStream");
    List<Future<Void>> created = new ArrayList<>();
    for (ConfigLoader.InitialStream s : config.initializeStreams()) {
      RequestScope scope = new RequestScope(config.defaultAccountId(), s.region() != null ? s.region()
          : config.defaultRegion());
      StreamKey key = new StreamKey(scope.account(), scope.region(), s.name());
      boolean onDemand = s.mode().equals("ON_DEMAND");
      Future<Object> asked = streams.find(key).isPresent() ? Future.succeededFuture()
          : kinesis.call(create, new Requests.CreateStreamRequest(s.name(), onDemand ? null : s.shards(),
              new Requests.StreamModeDetails(s.mode()), null, null, null), scope);
      created.add(asked.recover(e -> Future.failedFuture(new StartRefusedException("Cannot create stream "
          + s.name() + " of initializeStreams: " + e.getMessage())))
          .compose(v -> active(vertx, streams, key, config.createStreamMillis() + 30_000))
          .onSuccess(v -> LOG.info("Stream {} of initializeStreams is ACTIVE", key.arn())));
    }
    return Future.all(created).mapEmpty();
  }

  /** Completes once stream {@code key} is ACTIVE (checked every 50 ms), or fails after {@code limitMillis}. */
  private static Future<Void> active(Vertx vertx, StreamRegistry streams, StreamKey key, long limitMillis) {
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    long deadline = System.currentTimeMillis() + limitMillis;
    vertx.setPeriodic(1, 50, id -> {
      boolean isActive = streams.find(key).map(m -> m.status() == io.millrace.stream.StreamStatus.ACTIVE)
          .orElse(false);
      if (isActive || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        if (isActive) {
          promise.tryComplete();
        } else {
          promise.tryFail(new StartRefusedException("Stream " + key.arn() + " of initializeStreams did not "
              + "become ACTIVE within " + limitMillis + " ms."));
        }
      }
    });
    return promise.future();
  }

  /**
   * The key pairs of {@code credentialsFile}, or null when none is configured (signatures are then not verified).
   * Blocking.
   */
  private static Credentials loadCredentials(MillraceConfig config) {
    if (config.credentialsFile().isEmpty()) {
      return null;
    }
    try {
      Credentials loaded = Credentials.load(Path.of(config.credentialsFile()), config.defaultAccountId());
      LOG.info("Verifying SigV4 signatures with the key pairs of {}", config.credentialsFile());
      return loaded;
    } catch (IllegalArgumentException e) {
      throw new StartRefusedException("Cannot start: " + e.getMessage());
    }
  }

  /** Firehose over the server's storage: objects to files under dataDir/s3, or to the configured S3 endpoint. */
  private static Firehose firehose(MillraceConfig config, Vertx vertx, Path dataDir, SegmentIo io,
                                   ShardSettings settings, ControlPlane controlPlane, ServerMetrics metrics,
                                   Clock clock) {
    MillraceConfig.Firehose f = config.firehose();
    ObjectStore objects = f.s3Endpoint().isEmpty() ? new LocalObjectStore(config.dataDir().resolve("s3"))
        : new S3ObjectStore(f.s3Endpoint(), f.outboundRegion(), f.outboundAccessKeyId(), f.outboundSecretAccessKey());
    DeliveryStreamRegistry.Limits limits = new DeliveryStreamRegistry.Limits(f.deliveryStreamLimit(),
        f.deliveryStreamCreateMillis(), f.deliveryStreamDeleteMillis());
    LambdaClient lambda = f.lambdaEndpoint().isEmpty() ? null : LambdaProcessor.client(f.lambdaEndpoint(),
        f.outboundRegion(), f.outboundAccessKeyId(), f.outboundSecretAccessKey());
    return Firehose.create(vertx, dataDir, io, settings, controlPlane.streams(), new Firehose.Settings(limits,
        f.deliveryStreamMaxBufferedBytes(), objects, lambda, f.directPutLimits(), f.httpEndpointTimeoutMillis(),
        destinationOptions(f)),
        metrics.registry(), clock);
  }

  private static DestinationOptions destinationOptions(MillraceConfig.Firehose f) {
    try {
      return DestinationOptions.of(f.openSearchDomainEndpoints(), f.hecAckTimeoutMaxMillis());
    } catch (IllegalArgumentException e) {
      throw new ConfigLoader.ConfigException(e.getMessage());
    }
  }

  private static VertxOptions vertxOptions(MillraceConfig config) {
    return new VertxOptions().setEventLoopPoolSize(config.eventLoops())
        .setMaxEventLoopExecuteTime(config.blockedThreadWarnMillis())
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(config.blockedThreadWarnMillis())
        .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
  }

  /** The metrics of the connection limits. */
  private static void measure(ConnectionGuard guard, ServerMetrics metrics) {
    metrics.gauge("millrace.connections", "Open client connections", guard::openConnections);
    metrics.counter("millrace.connections.refused", "Requests answered 503 because their connection was beyond "
        + "maxConnections", guard::refusedRequests);
    metrics.counter("millrace.requests.timed.out", "Connections cut off, and HTTP/2 streams reset, because a request "
        + "was not read within requestReadTimeoutMillis", guard::timedOutRequests);
    metrics.gauge("millrace.tls.connections", "Open connections to the TLS port (included in "
        + "millrace_connections)", guard::openTlsConnections);
    metrics.gauge("millrace.receiving.bytes", "Bytes of request bodies being received", guard::receivingBytes);
    metrics.counter("millrace.requests.over.receiving.budget", "Requests answered 503 because the server was "
        + "receiving maxReceivingBytes of requests already", guard::overBudgetRequests);
  }

  private HttpApiVerticle.Settings apiSettings() {
    return new HttpApiVerticle.Settings(apiAddresses, config.maxRequestBytes(), config.defaultAccountId(),
        config.defaultRegion(), Logs.accessLevel(config), config.console());
  }

  /**
   * One API verticle per event loop. The first binds the port alone, so a port in use fails once and plainly. With
   * TLS on, they also listen on the TLS port's private socket (alone, when the plain port is off).
   */
  private Future<Void> deployApi(java.util.function.Supplier<HttpApiVerticle> verticles) {
    port = config.port() == 0 ? Startup.freePort() : config.port();
    apiAddresses = new ArrayList<>();
    if (port >= 0) {
      apiAddresses.add(SocketAddress.inetSocketAddress(port, config.host()));
    }
    Future<SocketAddress> frontend = config.tlsPort() < 0 ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      socketDir = java.nio.file.Files.createTempDirectory("millrace-api"); // rwx------
      return SocketAddress.domainSocketAddress(socketDir.resolve("api.sock").toString());
    });
    return frontend.compose(socket -> {
      if (socket != null) {
        apiAddresses.add(socket);
      }
      return deployApi(verticles, socket);
    });
  }

  /**
   * Deploys the API verticles on {@link #apiAddresses}, then the TLS port, which forwards to {@code socket}: a Unix
   * domain socket in a directory only this user may enter, so the connections that arrive there are the TLS port's
   * (the connection guard counts each once, as the TLS connection it carries).
   */
  private Future<Void> deployApi(java.util.function.Supplier<HttpApiVerticle> verticles, SocketAddress socket) {
    DeploymentOptions onEventLoop = new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP);
    return vertx.deployVerticle(verticles.get(), onEventLoop).onSuccess(apiDeployments::add).compose(first -> {
      List<Future<String>> rest = new ArrayList<>();
      for (int i = 1; i < config.eventLoops(); i++) {
        rest.add(vertx.deployVerticle(verticles.get(), onEventLoop).onSuccess(apiDeployments::add));
      }
      return Future.all(rest);
    }).recover(e -> Future.failedFuture(!(e instanceof java.net.BindException) ? e : socket == null
        ? Startup.portInUse(config.host(), port, e)
        : new StartRefusedException("Cannot listen on " + (port >= 0 ? config.host() + ":" + port + " or " : "")
            + "the TLS port's socket " + socket.path() + " (" + e.getMessage() + "). The socket is made under "
            + "java.io.tmpdir, whose path must be short (about 100 characters).")))
        .compose(v -> socket == null ? Future.<Void>succeededFuture()
            : TlsFrontend.start(vertx, new TlsFrontend.Settings(config.host(), config.tlsPort(), socket,
                config.tlsCertFile(), config.tlsKeyFile(), config.tlsHandshakeTimeoutMillis(),
                config.connectionIdleTimeoutMillis())).onSuccess(t -> tls = t).recover(e -> Future.failedFuture(
                    e instanceof java.net.BindException ? Startup.portInUse(config.host(), config.tlsPort(), e) : e))
                .mapEmpty());
  }

  /** The TLS port bound, or -1 when TLS is off. */
  public int tlsPort() {
    return tls == null ? -1 : tls.actualPort();
  }

  /** Where analytics applications' SQL and logs go: under the data directory, or a temporary one in memory. */
  private static Path analyticsWorkDir(Path dataDir) {
    try {
      return dataDir != null ? dataDir.resolve("analytics")
          : java.nio.file.Files.createTempDirectory("millrace-analytics");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not make a directory for analytics applications", e);
    }
  }

  /** Once the port is bound, the lock file names it (it matters when port 0 picked a free one). */
  private Future<Void> describeClaim() {
    if (claim == null || config.port() != 0) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      claim.describe(Startup.holder(port));
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

  /** The plain port bound, or -1 when it is off. */
  public int port() {
    return port;
  }

  public MillraceConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public Firehose firehose() {
    return firehose;
  }

  /** The stream registry (the control plane's streams). */
  public StreamRegistry registry() {
    return controlPlane.streams();
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
    return Future.join(apis).transform(v -> vertx.executeBlocking(() -> {
      analytics.close(); // the applications' JVMs stop; their status stays for the next start
      return null;
    })).transform(v -> vertx.close()).andThen(ar -> firehose.close())
        .andThen(ar -> removeSocketDir()).andThen(ar -> metrics.close()).andThen(ar -> release(claim));
  }

  /**
   * Removes the domain socket and its directory. Blocking, but brief and only at a stop or a failed start (after
   * Vert.x has closed, or as the start gives up).
   */
  private void removeSocketDir() {
    if (socketDir != null) {
      try {
        java.nio.file.Files.deleteIfExists(socketDir.resolve("api.sock"));
        java.nio.file.Files.deleteIfExists(socketDir);
      } catch (IOException e) {
        LOG.warn("Could not remove the API's socket directory {}: {}", socketDir, e.getMessage());
      }
    }
  }
}
