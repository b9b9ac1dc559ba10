package io.millrace.analytics;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.concurrent.OnContext;
import io.millrace.error.KinesisException;
import io.millrace.storage.AtomicFile;
import io.millrace.storage.SegmentIo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Analytics applications: Flink SQL over Millrace streams, run by {@link FlinkRunner}. The control plane keeps each
 * application's configuration and status (READY → STARTING → RUNNING → STOPPING → READY), durably in
 * {@code <dataDir>/meta/analytics.json} before any change is answered; a restart starts the applications that were
 * RUNNING (or STARTING) again, from the start positions their SQL names (Flink's checkpoints are not kept).
 *
 * <p>All state belongs to one context; callers from elsewhere hop there ({@link OnContext#call}). Process and file
 * work runs on a worker pool of its own.
 */
public final class Analytics {

  private static final Logger LOG = LoggerFactory.getLogger(Analytics.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Context context;
  private final WorkerExecutor worker;
  private final FlinkRunner runner;
  private final Path metaFile;
  private final SegmentIo io;
  private final Clock clock;
  private final Map<String, ApplicationMeta> apps = new HashMap<>();
  private final Map<String, FlinkRunner.Running> running = new HashMap<>();
  /** Set once the server stops: its applications' JVMs exit then, and their status must stay as it is. */
  private volatile boolean closing;

  /**
   * @param metaFile where the applications are kept, or null (in memory)
   * @param runner   runs their SQL
   */
  public Analytics(Vertx vertx, Path metaFile, SegmentIo io, FlinkRunner runner, Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.worker = vertx.createSharedWorkerExecutor("millrace-analytics", 4, 5, TimeUnit.MINUTES);
    this.runner = runner;
    this.metaFile = metaFile;
    this.io = io;
    this.clock = clock;
  }

  /** Loads the applications and starts again those that were running. */
  public Future<Void> start() {
    return on(() -> worker.executeBlocking(() -> metaFile != null && Files.exists(metaFile)
        ? JSON.readValue(Files.readAllBytes(metaFile), new TypeReference<List<ApplicationMeta>>() { })
        : List.<ApplicationMeta>of(), true).compose(loaded -> {
          loaded.forEach(a -> apps.put(a.key(), a));
          List<ApplicationMeta> resume = new ArrayList<>();
          for (ApplicationMeta a : loaded) {
            if (a.status().equals(ApplicationMeta.RUNNING) || a.status().equals(ApplicationMeta.STARTING)) {
              resume.add(a);
            } else if (!a.status().equals(ApplicationMeta.READY)) {
              apps.put(a.key(), a.withStatus(ApplicationMeta.READY, clock.millis()));
            }
          }
          Future<Void> chain = persist();
          for (ApplicationMeta a : resume) {
            LOG.info("Starting analytics application {} again (it was {} when the server stopped)", a.arn(),
                a.status());
            chain = chain.compose(v -> launch(a.withStatus(ApplicationMeta.STARTING, clock.millis())));
          }
          return chain;
        }));
  }

  /** Stops every application's JVM (the server stops; their status stays, so a restart starts them again). */
  public void close() {
    closing = true;
    List<FlinkRunner.Running> all;
    synchronized (running) {
      all = new ArrayList<>(running.values());
      running.clear();
    }
    all.forEach(FlinkRunner.Running::stop);
    worker.close();
  }

  public Future<ApplicationMeta> create(ApplicationMeta app) {
    return on(() -> {
      if (apps.containsKey(app.key())) {
        throw new KinesisException.ResourceInUse("Application " + app.name() + " already exists.");
      }
      apps.put(app.key(), app);
      return persist().map(app);
    });
  }

  public Future<ApplicationMeta> describe(String account, String region, String name) {
    return on(() -> Future.succeededFuture(require(account, region, name)));
  }

  /** The applications of an account and region, by name. */
  public Future<List<ApplicationMeta>> list(String account, String region) {
    return on(() -> Future.succeededFuture(apps.values().stream()
        .filter(a -> a.account().equals(account) && a.region().equals(region))
        .sorted(Comparator.comparing(ApplicationMeta::name)).toList()));
  }

  /**
   * Checks the SQL with Flink (InvalidApplicationConfiguration with Flink's message if it is refused), then starts
   * the job: STARTING now, RUNNING once Flink runs it.
   */
  public Future<Void> startApplication(String account, String region, String name) {
    return on(() -> {
      ApplicationMeta app = require(account, region, name);
      if (!app.status().equals(ApplicationMeta.READY)) {
        throw new KinesisException.ResourceInUse("Application " + name + " is in " + app.status() + " status; it "
            + "can be started only when READY.");
      }
      ApplicationMeta starting = app.withStatus(ApplicationMeta.STARTING, clock.millis());
      apps.put(app.key(), starting);
      return persist()
          .compose(v -> worker.executeBlocking(() -> runner.validate(starting), false))
          .compose(refused -> {
            if (refused.isPresent()) {
              apps.put(app.key(), app.withStatus(ApplicationMeta.READY, clock.millis()));
              return persist().compose(v -> Future.failedFuture(new KinesisException.InvalidApplicationConfiguration(
                  "Flink refused the application's SQL: " + refused.get())));
            }
            return launch(starting);
          }, e -> {
            apps.put(app.key(), app.withStatus(ApplicationMeta.READY, clock.millis()));
            return persist().compose(v -> Future.failedFuture(new KinesisException.InvalidApplicationConfiguration(
                "The application could not be started: " + e.getMessage())));
          });
    });
  }

  /** STOPPING now, READY once its JVM has exited. */
  public Future<Void> stopApplication(String account, String region, String name) {
    return on(() -> {
      ApplicationMeta app = require(account, region, name);
      if (!app.status().equals(ApplicationMeta.RUNNING) && !app.status().equals(ApplicationMeta.STARTING)) {
        throw new KinesisException.ResourceInUse("Application " + name + " is in " + app.status() + " status; "
            + "only a RUNNING or STARTING application can be stopped.");
      }
      apps.put(app.key(), app.withStatus(ApplicationMeta.STOPPING, clock.millis()));
      return persist().onSuccess(v -> halt(app.key()));
    });
  }

  /** Stops the application if it runs, then forgets it. */
  public Future<Void> delete(String account, String region, String name, long createdMillis) {
    return on(() -> {
      ApplicationMeta app = require(account, region, name);
      if (createdMillis / 1000 != app.createdMillis() / 1000) {
        throw new KinesisException.InvalidArgument("CreateTimestamp does not match application " + name + "'s.");
      }
      apps.remove(app.key());
      return persist().onSuccess(v -> halt(app.key()));
    });
  }

  private void halt(String key) {
    FlinkRunner.Running job;
    synchronized (running) {
      job = running.remove(key);
    }
    if (job == null) {
      settle(key);
      return;
    }
    worker.executeBlocking(() -> {
      job.stop();
      return null;
    }, false).onComplete(ar -> settle(key));
  }

  /** After a stop: a STOPPING application is READY. */
  private void settle(String key) {
    ApplicationMeta app = apps.get(key);
    if (app != null && app.status().equals(ApplicationMeta.STOPPING)) {
      apps.put(key, app.withStatus(ApplicationMeta.READY, clock.millis()));
      persist();
    }
  }

  private Future<Void> launch(ApplicationMeta starting) {
    apps.put(starting.key(), starting);
    String key = starting.key();
    return worker.executeBlocking(() -> runner.run(starting,
        jobId -> onContext(() -> becameRunning(key, jobId)),
        why -> onContext(() -> exited(key, why))), false)
        .compose(job -> {
          synchronized (running) {
            running.put(key, job);
          }
          return persist();
        }, e -> {
          apps.put(key, starting.withStatus(ApplicationMeta.READY, clock.millis()));
          return persist().compose(v -> Future.failedFuture(new KinesisException.InvalidApplicationConfiguration(
              "The application could not be started: " + e.getMessage())));
        });
  }

  private void becameRunning(String key, String jobId) {
    ApplicationMeta app = apps.get(key);
    if (app != null && app.status().equals(ApplicationMeta.STARTING)) {
      LOG.info("Analytics application {} runs as Flink job {}", app.arn(), jobId);
      apps.put(key, app.withStatus(ApplicationMeta.RUNNING, clock.millis()));
      persist();
    }
  }

  private void exited(String key, String why) {
    synchronized (running) {
      running.remove(key);
    }
    if (closing) {
      return; // the server stops: a RUNNING application stays RUNNING, to be started again by the next start
    }
    ApplicationMeta app = apps.get(key);
    if (app == null) {
      return;
    }
    if (!app.status().equals(ApplicationMeta.STOPPING)) {
      LOG.warn("Analytics application {} stopped on its own: {}", app.arn(), why);
    }
    apps.put(key, app.withStatus(ApplicationMeta.READY, clock.millis()));
    persist();
  }

  private ApplicationMeta require(String account, String region, String name) {
    ApplicationMeta app = apps.get(ApplicationMeta.key(account, region, name));
    if (app == null) {
      throw new KinesisException.ResourceNotFound("Application " + name + " is not found in account " + account
          + ".");
    }
    return app;
  }

  /** Writes every application durably (nothing to write in memory). */
  /** Runs {@code action} on this context, unless the server stops (its JVMs' exits then change nothing). */
  private void onContext(Runnable action) {
    if (!closing) {
      context.runOnContext(v -> action.run());
    }
  }

  private Future<Void> persist() {
    if (metaFile == null || closing) {
      return Future.succeededFuture(); // nothing to keep in memory; nothing changes while the server stops
    }
    List<ApplicationMeta> snapshot = List.copyOf(apps.values());
    return worker.executeBlocking(() -> {
      Files.createDirectories(metaFile.getParent());
      AtomicFile.write(io, metaFile, JSON.writeValueAsBytes(snapshot));
      return null;
    }, true);
  }

  private <T> Future<T> on(Supplier<Future<T>> action) {
    return OnContext.call(context, action);
  }
}
