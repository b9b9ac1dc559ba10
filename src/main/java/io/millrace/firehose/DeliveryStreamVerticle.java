package io.millrace.firehose;

import io.millrace.error.KinesisException;
import io.millrace.firehose.FirehoseConfig.BufferingHints;
import io.millrace.firehose.FirehoseConfig.HttpEndpointDestinationConfiguration;
import io.millrace.firehose.HttpEndpointWriter.StagedRequest;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import io.millrace.shard.AppendRequest;
import io.millrace.shard.ShardHandle;
import io.millrace.storage.LogRecord;
import io.millrace.storage.SegmentIo;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * One delivery stream's delivery: it owns the stream's buffer (an internal shard log, so an accepted record is on
 * disk before it is acknowledged, at the server's durability) and the loop that takes batches from it to the
 * destination.
 *
 * <p><b>The loop.</b> A batch starts at the checkpoint ({@link DeliveryCheckpoint}) when the undelivered records reach
 * the destination's {@code SizeInMBs}, or when the oldest of them is {@code IntervalInSeconds} old, whichever comes
 * first. Its records are read from the buffer a few megabytes at a time and written to staging files (compressed,
 * one per object), then stored with retries ({@link Retries}: S3 deliveries are retried until they succeed, the
 * records waiting on disk meanwhile). Only then does the checkpoint move past the batch, durably, and the buffer
 * forget the delivered records. A crash anywhere before that makes the batch be delivered again after the restart:
 * at least once, nothing lost.
 *
 * <p><b>Bounded.</b> Memory holds one read chunk at a time, whatever the batch size or the backlog; the backlog waits
 * on disk, up to {@code maxBufferedBytes}, past which puts are refused with ServiceUnavailableException.
 *
 * <p><b>Threading.</b> All state belongs to this verticle's context; file and network work runs on the Firehose
 * worker pool, in order per delivery stream. Other contexts reach it through {@link DeliveryHandle}.
 */
public final class DeliveryStreamVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryStreamVerticle.class);

  /** Records read from the buffer per step of a batch. */
  static final int READ_RECORDS = 10_000;
  /** Bytes read from the buffer per step of a batch. */
  static final long READ_BYTES = 4L * 1024 * 1024;
  /** How often the loop looks at the time (a batch due by its interval starts at most this late). */
  static final long TICK_MILLIS = 1000;
  /** The partition key a Direct PUT record is buffered under (the log requires one; Firehose records have none). */
  static final String DIRECT_PUT_KEY = "-";
  /** The pause before a batch that failed to stage (a full disk, say) is tried again. */
  static final long STAGING_RETRY_MILLIS = 5000;

  /**
   * What every delivery shares.
   *
   * @param maxBufferedBytes undelivered bytes a delivery stream may hold before puts are refused
   * @param objects          where S3 destinations' objects go
   * @param worker           the pool file and network work runs on
   * @param io               the file operations of checkpoints
   * @param streams          the Kinesis streams a KinesisStreamAsSource delivery stream reads
   * @param directPutLimits  whether Firehose's Direct PUT quotas are enforced ({@link DirectPutQuota})
   * @param lambda           the client Lambda processors call, or null when no Lambda endpoint is configured
   * @param httpEndpointTimeoutMillis how long an HTTP endpoint may take to answer one request
   * @param destinations    what the Redshift, OpenSearch and Splunk destinations need from the server
   * @param permits         the server's bound on OpenSearch and Splunk request bodies in memory
   * @param clock            the time source (tests inject their own)
   */
  public record Settings(long maxBufferedBytes, ObjectStore objects, WorkerExecutor worker, SegmentIo io,
                         StreamRegistry streams, boolean directPutLimits, LambdaClient lambda,
                         long httpEndpointTimeoutMillis, DestinationOptions destinations,
                         RequestPermits permits, Clock clock) {}

  private final ShardHandle buffer;
  private final Path dir;
  private final Settings settings;
  private final DeliveryStats stats;
  private DeliveryStreamMeta meta;

  // ---- state: this context only ----
  private DeliveryCheckpoint checkpoint = DeliveryCheckpoint.START;
  private long tip;
  /** Bytes of the records in [checkpoint.delivered, tip), plus those being appended. */
  private long pendingBytes;
  /** Arrival time of the record at checkpoint.delivered, once read (null: not known yet). */
  private Long oldestArrival;
  private boolean delivering;
  private boolean closed;
  private long notBeforeMillis;
  private long tickTimer = -1;
  private long listenerId = -1;
  private Retries.Attempts<?> shipping;
  private KinesisStreamReader source;
  private HttpEndpointSender sender;
  private long senderVersion;
  /** The OpenSearch or Splunk client of the current configuration (a new one after UpdateDestination). */
  private OpenSearchDelivery openSearch;
  private SplunkDelivery splunk;
  private long clientVersion;
  /** Whether the checkpoint has been brought up to what a Redshift destination's loads table holds. */
  private boolean loadsSynced;
  private final DirectPutQuota quota = new DirectPutQuota();

  /**
   * @param dir the delivery stream's directory: its checkpoint and staging files live there
   */
  public DeliveryStreamVerticle(DeliveryStreamMeta meta, ShardHandle buffer, Path dir, Settings settings,
                                DeliveryStats stats) {
    this.meta = meta;
    this.buffer = buffer;
    this.dir = dir;
    this.settings = settings;
    this.stats = stats;
  }

  @Override
  public Future<?> start() {
    return settings.worker().executeBlocking(() -> {
      Files.createDirectories(staging());
      try (Stream<Path> leftovers = Files.list(staging())) {
        for (Path p : (Iterable<Path>) leftovers::iterator) {
          Files.deleteIfExists(p); // a batch a stop or crash interrupted: it is staged again
        }
      }
      return DeliveryCheckpoint.load(dir);
    }, true).compose(loaded -> {
      checkpoint = loaded;
      return buffer.bounds();
    }).compose(bounds -> {
      tip = bounds.tipOffset();
      if (checkpoint.delivered() < bounds.startOffset()) {
        checkpoint = checkpoint.withDelivered(bounds.startOffset());
      }
      return countPending(checkpoint.delivered(), 0);
    }).compose(bytes -> {
      pendingBytes = bytes;
      stats.bufferedBytes.set(pendingBytes);
      return buffer.listen(context, this::onTip);
    }).onSuccess(registration -> {
      listenerId = registration.id();
      tip = Math.max(tip, registration.tipOffset());
      source = sourceReader();
      tickTimer = vertx.setPeriodic(TICK_MILLIS, id -> {
        pump();
        if (source != null) {
          source.poll();
        }
      });
      pump();
      if (source != null) {
        source.poll();
      }
    });
  }

  /** For a KinesisStreamAsSource delivery stream, the reader of its stream; else null. */
  private KinesisStreamReader sourceReader() {
    if (meta.source() == null || settings.streams() == null) {
      return null;
    }
    StreamKey stream = Firehose.streamKey(meta.source().configuration().kinesisStreamArn());
    return new KinesisStreamReader(settings.streams(), stream, meta.source().deliveryStartMillis(),
        checkpoint.sourceShards(), new KinesisStreamReader.Sink() {
          @Override
          public Future<Void> append(List<AppendRequest.Entry> entries) {
            return appendEntries(entries).mapEmpty();
          }

          @Override
          public boolean hasRoom() {
            return !closed && pendingBytes < settings.maxBufferedBytes();
          }

          @Override
          public Future<Void> savePositions(Map<Integer, Long> positions) {
            checkpoint = checkpoint.withSourceShards(positions);
            return saveCheckpoint();
          }
        });
  }

  /** Writes the checkpoint as it is now (on the worker, in order with every other write of this stream). */
  private Future<Void> saveCheckpoint() {
    DeliveryCheckpoint snapshot = checkpoint;
    return settings.worker().executeBlocking(() -> {
      snapshot.save(settings.io(), dir);
      return null;
    }, true);
  }

  /** The bytes of the buffered records from {@code offset} to the tip (a restart's backlog), read in chunks. */
  private Future<Long> countPending(long offset, long sum) {
    if (offset >= tip) {
      return Future.succeededFuture(sum);
    }
    return buffer.read(offset, READ_RECORDS, READ_BYTES, false).compose(r -> {
      long bytes = sum;
      for (LogRecord rec : r.records()) {
        bytes += rec.data().length;
      }
      return r.records().isEmpty() ? Future.succeededFuture(bytes) : countPending(r.nextOffset(), bytes);
    });
  }

  @Override
  public Future<?> stop() {
    closed = true;
    vertx.cancelTimer(tickTimer);
    if (shipping != null) {
      shipping.cancellable().cancel();
    }
    if (sender != null) {
      sender.close();
    }
    closeClients();
    return listenerId < 0 ? Future.succeededFuture() : buffer.unlisten(listenerId);
  }

  Context ownerContext() {
    return context;
  }

  // ---- puts (this context) ----

  /** Outcome of a put: the buffer offsets of the records and the time they were accepted. */
  public record Accepted(long[] offsets, long arrivalMillis) {}

  /**
   * Appends records to the buffer; completes once they are durable (at the server's durability). Refused with
   * ServiceUnavailableException, taking nothing, when they would pass the buffer budget.
   */
  Future<Accepted> put(List<byte[]> records) {
    if (closed) {
      return Future.failedFuture(DeliveryStreamRegistry.notFound(meta.key()));
    }
    long bytes = 0;
    List<AppendRequest.Entry> entries = new ArrayList<>(records.size());
    for (byte[] data : records) {
      bytes += data.length;
      entries.add(new AppendRequest.Entry(DIRECT_PUT_KEY, null, data));
    }
    if (settings.directPutLimits() && !quota.tryTake(settings.clock().millis(), records.size(), bytes)) {
      return Future.failedFuture(new KinesisException.FirehoseServiceUnavailable("Slow down."));
    }
    if (pendingBytes + bytes > settings.maxBufferedBytes()) {
      return Future.failedFuture(new KinesisException.FirehoseServiceUnavailable("Slow down. "
          + meta.key().describe() + " holds " + pendingBytes + " bytes not yet delivered to its destination, the "
          + "most it may buffer (deliveryStreamMaxBufferedBytes " + settings.maxBufferedBytes() + "). Retry once the "
          + "destination has caught up."));
    }
    return appendEntries(entries);
  }

  /** Appends to the buffer, counting the bytes as pending from now on (and no longer if the append fails). */
  private Future<Accepted> appendEntries(List<AppendRequest.Entry> entries) {
    long bytes = 0;
    for (AppendRequest.Entry e : entries) {
      bytes += e.data().length;
    }
    long reserved = bytes;
    pendingBytes += reserved;
    return buffer.append(new AppendRequest(entries, meta.encryption().enabled()))
        .map(r -> {
          if (oldestArrival == null && r.offsets().length > 0 && r.offsets()[0] == checkpoint.delivered()) {
            oldestArrival = r.arrivalMillis(); // the buffer was empty: these are its oldest records
            stats.oldestUndelivered.set(oldestArrival);
          }
          stats.incomingRecords.addAndGet(entries.size());
          stats.incomingBytes.addAndGet(reserved);
          stats.bufferedBytes.set(pendingBytes);
          return new Accepted(r.offsets(), r.arrivalMillis());
        })
        .onFailure(e -> pendingBytes -= reserved);
  }

  /**
   * Looks at the buffer now, as the periodic check does, and starts a batch if one is due; true if a batch is being
   * delivered. (Lets a caller with its own clock see the interval rule at work without waiting for the check.)
   */
  boolean checkNow() {
    pump();
    return delivering;
  }

  /**
   * Takes a new configuration (UpdateDestination, encryption); the next batch uses it. A batch still being retried
   * to a Redshift, OpenSearch or Splunk destination stops at its next attempt and is staged again with the new
   * configuration (the update is most often the cure: a new token, endpoint or password); documents keep their ids,
   * Splunk events may arrive twice, Redshift's loads table keeps loads single.
   */
  void reconfigure(DeliveryStreamMeta next) {
    meta = next;
    loadsSynced = false; // the destination database may have changed
    pump();
  }

  private void onTip(long newTip) {
    tip = Math.max(tip, newTip);
    pump();
  }

  // ---- the loop (this context) ----

  private void pump() {
    if (closed || delivering || tip <= checkpoint.delivered()) {
      return;
    }
    long now = settings.clock().millis();
    if (now < notBeforeMillis) {
      return;
    }
    BufferingHints hints = hints();
    long sizeBytes = hints.sizeInMBs() * 1024L * 1024;
    if (pendingBytes >= sizeBytes) {
      deliver(sizeBytes);
      return;
    }
    if (oldestArrival == null) {
      delivering = true; // while the oldest record is read
      buffer.read(checkpoint.delivered(), 1, READ_BYTES, false).onComplete(ar -> {
        delivering = false;
        if (ar.succeeded() && !ar.result().records().isEmpty()) {
          oldestArrival = ar.result().records().get(0).arrivalMillis();
          stats.oldestUndelivered.set(oldestArrival);
          pump();
        } else if (ar.failed()) {
          LOG.warn("Delivery stream {} could not read its buffer: {}", meta.key().arn(), ar.cause().toString());
        }
      });
      return;
    }
    if (now - oldestArrival >= hints.intervalInSeconds() * 1000L) {
      deliver(sizeBytes);
    }
  }

  private BufferingHints hints() {
    return meta.destination().buffering();
  }

  /** One batch: from the checkpoint, up to {@code sizeBytes} of records or the tip. */
  private void deliver(long sizeBytes) {
    delivering = true;
    DeliveryStreamMeta batchMeta = meta;
    if (batchMeta.destination().kind() == DestinationKind.REDSHIFT && !loadsSynced) {
      syncLoads(batchMeta);
      return;
    }
    long from = checkpoint.delivered();
    long until = tip;
    String batchId = UUID.randomUUID().toString();
    BatchStager stager = new BatchStager(batchMeta, staging(), batchId, settings.lambda(), settings.clock());
    stage(stager, until, sizeBytes, new Progress(from, 0, 0))
        .compose(progress -> settings.worker().executeBlocking(stager::finish, true)
            .map(files -> new Staged(from, progress.next(), progress.bytes(), progress.lastArrival(), files)))
        .onFailure(e -> {
          stager.close();
          LOG.warn("Delivery stream {} could not stage a batch ({}); trying again in {} ms", batchMeta.key().arn(),
              e.toString(), STAGING_RETRY_MILLIS);
          notBeforeMillis = settings.clock().millis() + STAGING_RETRY_MILLIS;
          delivering = false;
        })
        .onSuccess(staged -> shipObjects(batchMeta, staged.files().objects(), true, 0,
            () -> toDestination(batchMeta, staged, batchId)));
  }

  /** Where a batch's staging reached: the next offset, the bytes of the records read, the last one's arrival. */
  private record Progress(long next, long bytes, long lastArrival) {}

  private record Staged(long from, long next, long bytes, long lastArrival, BatchStager.Staged files) {}

  private Future<Progress> stage(BatchStager stager, long until, long sizeBytes, Progress at) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("stopped"));
    }
    return buffer.read(at.next(), READ_RECORDS, Math.min(READ_BYTES, Math.max(1, sizeBytes - at.bytes())), false)
        .compose(read -> {
          List<FirehoseRecord> records = new ArrayList<>(read.records().size());
          long bytes = at.bytes();
          long next = at.next();
          long lastArrival = at.lastArrival();
          for (LogRecord r : read.records()) {
            if (r.offset() >= until) {
              break;
            }
            records.add(new FirehoseRecord(r.data(), r.arrivalMillis()));
            bytes += r.data().length;
            next = r.offset() + 1;
            lastArrival = r.arrivalMillis();
          }
          Progress reached = new Progress(next, bytes, lastArrival);
          if (records.isEmpty()) {
            return Future.succeededFuture(reached);
          }
          return settings.worker().executeBlocking(() -> {
            stager.add(records);
            return null;
          }, true).compose(v -> reached.next() < until && reached.bytes() < sizeBytes
              ? stage(stager, until, sizeBytes, reached)
              : Future.succeededFuture(reached));
        });
  }

  /**
   * Stores staged objects one by one, each retried until stored (the records wait meanwhile), then {@code next};
   * counted as DeliveryToS3 when they are the destination's objects, else as BackupToS3.
   */
  private void shipObjects(DeliveryStreamMeta batchMeta, List<StagedObject> objects, boolean destination, int index,
                           Runnable next) {
    if (closed) {
      return;
    }
    if (index == objects.size()) {
      next.run();
      return;
    }
    StagedObject object = objects.get(index);
    Retries.Attempts<Void> attempts = Retries.withBackOff(context, () -> settings.worker().executeBlocking(() -> {
      settings.objects().put(object.bucket(), object.key(), object.file(), object.contentEncoding());
      return null;
    }, false), -1, stats.failing(e -> LOG.warn("Delivery stream {} could not store s3://{}/{} in {} ({}); retrying",
        batchMeta.key().arn(), object.bucket(), object.key(), settings.objects().describe(), e.toString())));
    shipping = attempts;
    attempts.result().onSuccess(v -> {
      shipping = null;
      deleteQuietly(object.file()); // a store that copies it (S3) leaves the staged file behind
      if (destination) {
        stats.s3Success.incrementAndGet();
        stats.delivered(settings.clock().millis());
        stats.s3Records.addAndGet(object.records());
        stats.s3Bytes.addAndGet(object.bytes());
      } else {
        stats.backupSuccess.incrementAndGet();
        stats.backupRecords.addAndGet(object.records());
        stats.backupBytes.addAndGet(object.bytes());
      }
      shipObjects(batchMeta, objects, destination, index + 1, next);
    });
  }

  /**
   * Sends the staged HTTP requests one by one, each retried for the destination's RetryOptions; a request the
   * endpoint still refuses then (or at once, with 413) has its records written as failure records under the
   * {@code http-endpoint-failed} prefix of the backup bucket. Then the backup and error objects go, and the batch is
   * committed.
   */
  private void shipRequests(DeliveryStreamMeta batchMeta, Staged staged, int index) {
    if (closed) {
      return;
    }
    List<StagedRequest> requests = staged.files().requests();
    if (index == requests.size()) {
      shipObjects(batchMeta, staged.files().besides(), false, 0, () -> commit(staged));
      return;
    }
    StagedRequest request = requests.get(index);
    HttpEndpointDestinationConfiguration http = batchMeta.destination().httpEndpoint();
    HttpEndpointSender sender = sender(batchMeta);
    int[] attempts = {0};
    Throwable[] last = {null};
    Retries.Attempts<Void> sending = Retries.withBackOff(context, () -> sender.send(request),
        http.retryOptions().durationInSeconds() * 1000L, stats.failing(e -> {
          attempts[0]++;
          last[0] = e;
          LOG.warn("Delivery stream {} could not deliver request {} to {} ({})", batchMeta.key().arn(),
              request.requestId(), http.endpointConfiguration().url(), e.getMessage());
        }));
    shipping = sending;
    sending.result().onComplete(ar -> {
      shipping = null;
      if (closed) {
        return;
      }
      if (ar.succeeded()) {
        stats.httpSuccess.incrementAndGet();
        stats.delivered(settings.clock().millis());
        stats.httpRecords.addAndGet(request.records());
        stats.httpBytes.addAndGet(request.dataBytes());
        deleteQuietly(request);
        shipRequests(batchMeta, staged, index + 1);
        return;
      }
      ErrorRecordWriter.Failure failure = ErrorRecordWriter.Failure.httpEndpoint(
          HttpEndpointException.of(last[0] == null ? ar.cause() : last[0]), Math.max(1, attempts[0]),
          settings.clock().millis());
      settings.worker().executeBlocking(() -> {
        try (ErrorRecordWriter errors = new ErrorRecordWriter(batchMeta.key().name(), batchMeta.versionId(),
            ErrorRecordWriter.Target.of(http.s3Configuration()), ErrorRecordWriter.HTTP_ENDPOINT_FAILED, staging(),
            request.requestId())) {
          HttpEndpointWriter.readRecords(request, r -> errors.add(r, failure));
          List<StagedObject> backedUp = errors.finish();
          request.delete();
          return backedUp;
        }
      }, true).onComplete(backed -> {
        if (backed.failed()) {
          LOG.warn("Delivery stream {} could not write the records of failed request {} for its backup ({}); "
              + "trying again in {} ms", batchMeta.key().arn(), request.requestId(), backed.cause().toString(),
              STAGING_RETRY_MILLIS);
          vertx.setTimer(STAGING_RETRY_MILLIS, id -> shipRequests(batchMeta, staged, index));
          return;
        }
        shipObjects(batchMeta, backed.result(), false, 0, () -> shipRequests(batchMeta, staged, index + 1));
      });
    });
  }

  /** After the destination's objects are stored: the rest of the delivery, by destination, then the commit. */
  private void toDestination(DeliveryStreamMeta batchMeta, Staged staged, String batchId) {
    BooleanSupplier superseded = () -> closed || !meta.destination().equals(batchMeta.destination());
    try {
      switch (batchMeta.destination().kind()) {
        case S3, HTTP_ENDPOINT -> shipRequests(batchMeta, staged, 0);
        case REDSHIFT -> load(batchMeta, staged, batchId, superseded);
        case AMAZON_OPENSEARCH_SERVICE, ELASTICSEARCH -> finishWith(batchMeta, staged, openSearch(batchMeta)
            .deliver(staged.files().records(), staged.from(), staging(), batchId, superseded, this::track));
        case SPLUNK -> finishWith(batchMeta, staged, splunk(batchMeta)
            .deliver(staged.files().records(), staged.from(), staging(), batchId, superseded, this::track));
        default -> throw new IllegalStateException("unknown destination " + batchMeta.destination().kind());
      }
    } catch (IllegalArgumentException e) { // a client that cannot be built: an endpoint no longer configured
      finishWith(batchMeta, staged, Future.failedFuture(e));
    }
  }

  private void track(Retries.Attempts<?> attempts) {
    shipping = attempts;
  }

  /**
   * Once a destination's delivery has run (its failures written for the backup bucket), stores those and the
   * batch's other objects (backup, processing errors) and commits. If it failed (a full disk, a configuration that
   * changed meanwhile), the batch is staged and delivered again: nothing is lost.
   */
  private void finishWith(DeliveryStreamMeta batchMeta, Staged staged, Future<List<StagedObject>> failures) {
    failures.onComplete(ar -> {
      shipping = null;
      if (closed) {
        return;
      }
      deleteRecordFiles(staged);
      if (ar.failed()) {
        stageAgain(batchMeta, staged, ar.cause());
        return;
      }
      List<StagedObject> objects = new ArrayList<>(ar.result());
      objects.addAll(staged.files().besides());
      shipObjects(batchMeta, objects, false, 0, () -> commit(staged));
    });
  }

  /**
   * Gives the batch up without committing it: its staged files go, and the same records are staged again (at once
   * when the configuration changed, after {@link #STAGING_RETRY_MILLIS} otherwise).
   */
  private void stageAgain(DeliveryStreamMeta batchMeta, Staged staged, Throwable why) {
    boolean superseded = why instanceof Retries.Superseded;
    if (superseded) {
      LOG.info("Delivery stream {}: {}; staging the batch again", batchMeta.key().arn(), why.getMessage());
    } else {
      LOG.warn("Delivery stream {} could not finish a batch ({}); delivering it again in {} ms", batchMeta.key().arn(),
          why.toString(), STAGING_RETRY_MILLIS);
    }
    settings.worker().executeBlocking(() -> {
      for (StagedObject o : staged.files().besides()) {
        Files.deleteIfExists(o.file());
      }
      return null;
    }, true);
    notBeforeMillis = settings.clock().millis() + (superseded ? 0 : STAGING_RETRY_MILLIS);
    delivering = false;
    pump();
  }

  private void deleteRecordFiles(Staged staged) {
    settings.worker().executeBlocking(() -> {
      for (RecordFile.Staged f : staged.files().records()) {
        f.delete();
      }
      return null;
    }, true);
  }

  /** The identity of a delivery stream in a Redshift destination's loads table. */
  static String loadsId(DeliveryStreamMeta m) {
    return m.key().arn() + "#" + m.createdMillis();
  }

  /**
   * Before a Redshift destination's first batch: the loads table may already hold batches past the checkpoint (a
   * crash after a load committed and before the checkpoint was saved); the checkpoint moves there, so they are not
   * loaded twice. Retried until the database answers; records wait on disk meanwhile.
   */
  private void syncLoads(DeliveryStreamMeta batchMeta) {
    Retries.Attempts<Long> asking = Retries.withBackOff(context, () -> {
      FirehoseConfig.RedshiftDestinationConfiguration current = meta.destination().redshift(); // after an update too
      return settings.worker().executeBlocking(() -> RedshiftLoader.loadedThrough(current, loadsId(batchMeta)),
          false);
    }, -1, stats.failing(e -> LOG.warn("Delivery stream {} could not read its loads table at {} ({}); retrying",
        batchMeta.key().arn(), meta.destination().redshift().clusterJdbcUrl(), e.toString())));
    shipping = asking;
    asking.result().onSuccess(through -> {
      shipping = null;
      loadsSynced = true;
      if (through > tip) {
        LOG.error("Delivery stream {}: its loads table says records up to buffer offset {} are loaded, but its buffer "
            + "ends at {} (records lost from the buffer, e.g. with durability none or interval and a power loss): "
            + "records at those offsets will be taken as loaded", batchMeta.key().arn(), through, tip);
      }
      long target = Math.min(through, tip);
      if (target <= checkpoint.delivered()) {
        delivering = false;
        pump();
        return;
      }
      LOG.info("Delivery stream {}: its loads table holds records up to buffer offset {}, past its checkpoint {}; "
          + "delivery goes on from there", batchMeta.key().arn(), target, checkpoint.delivered());
      checkpoint = checkpoint.withDelivered(target);
      saveCheckpoint().compose(v -> countPending(target, 0)).onComplete(ar -> {
        if (ar.succeeded()) {
          pendingBytes = ar.result();
          stats.bufferedBytes.set(pendingBytes);
        }
        oldestArrival = null;
        delivering = false;
        pump();
      });
    });
  }

  /**
   * A Redshift batch: its intermediate objects are stored; one transaction COPYs them into the table, retried for
   * RetryOptions.DurationInSeconds. If the load still fails then, a manifest listing the objects goes under the S3
   * configuration's error prefix ({@code errors/manifests/...}, for a manual COPY ... MANIFEST) and the batch is
   * committed, as Firehose skips such a batch.
   */
  private void load(DeliveryStreamMeta batchMeta, Staged staged, String batchId, BooleanSupplier superseded) {
    FirehoseConfig.RedshiftDestinationConfiguration redshift = batchMeta.destination().redshift();
    List<RedshiftLoader.IntermediateObject> objects = staged.files().objects().stream()
        .map(o -> new RedshiftLoader.IntermediateObject(o.bucket(), o.key())).toList();
    if (objects.isEmpty()) { // every record failed processing
      shipObjects(batchMeta, staged.files().besides(), false, 0, () -> commit(staged));
      return;
    }
    RedshiftLoader.Batch batch = new RedshiftLoader.Batch(loadsId(batchMeta), staged.from(), staged.next());
    long records = staged.files().objects().stream().mapToLong(StagedObject::records).sum();
    long bytes = staged.files().objects().stream().mapToLong(StagedObject::bytes).sum();
    Retries.Attempts<Long> loading = Retries.withBackOff(context, () -> superseded.getAsBoolean()
        ? Future.failedFuture(new Retries.Superseded("the destination's configuration changed"))
        : settings.worker().executeBlocking(() -> {
          try {
            return RedshiftLoader.load(redshift, batch, objects, settings.objects(), staging());
          } catch (RedshiftLoader.Conflict e) {
            throw new Retries.Superseded(e.getMessage() + "; the batch starts again where the table ends");
          }
        }, false), redshift.retryOptions().durationInSeconds() * 1000L,
        stats.failing(e -> LOG.warn("Delivery stream {} could not load {} into {} at {} ({}); retrying",
            batchMeta.key().arn(), objects.get(0).url(), redshift.copyCommand().dataTableName(),
            redshift.clusterJdbcUrl(), e.toString())));
    shipping = loading;
    loading.result().onComplete(ar -> {
      shipping = null;
      if (closed) {
        return;
      }
      if (ar.succeeded()) {
        if (ar.result() >= 0) {
          stats.destinationSuccess.incrementAndGet();
          stats.delivered(settings.clock().millis());
          stats.destinationRecords.addAndGet(records);
          stats.destinationBytes.addAndGet(bytes);
        }
        shipObjects(batchMeta, staged.files().besides(), false, 0, () -> commit(staged));
        return;
      }
      if (ar.cause() instanceof Retries.Superseded) {
        loadsSynced = false; // ask the loads table where to start
        stageAgain(batchMeta, staged, ar.cause());
        return;
      }
      LOG.error("Delivery stream {} gave up loading {} into {} after {} s ({}); the objects are listed in a manifest "
          + "under the error prefix", batchMeta.key().arn(), objects.get(0).url(), redshift.copyCommand()
          .dataTableName(), redshift.retryOptions().durationInSeconds(), ar.cause().toString());
      settings.worker().executeBlocking(() -> RedshiftManifest.write(batchMeta, objects, staging(), batchId,
          staged.lastArrival()), true).onComplete(manifest -> {
            if (manifest.failed()) {
              LOG.warn("Delivery stream {} could not write the manifest of batch {} ({}); loading it again in {} ms",
                  batchMeta.key().arn(), batchId, manifest.cause().toString(), STAGING_RETRY_MILLIS);
              vertx.setTimer(STAGING_RETRY_MILLIS, id -> load(batchMeta, staged, batchId, superseded));
              return;
            }
            List<StagedObject> out = new ArrayList<>(manifest.result());
            out.addAll(staged.files().besides());
            shipObjects(batchMeta, out, false, 0, () -> commit(staged));
          });
    });
  }

  private OpenSearchDelivery openSearch(DeliveryStreamMeta batchMeta) {
    if (openSearch == null || clientVersion != batchMeta.versionId()) {
      closeClients();
      FirehoseConfig.OpenSearchDestinationConfiguration c = batchMeta.destination().openSearch();
      String endpoint = c.clusterEndpoint() != null ? c.clusterEndpoint()
          : settings.destinations().openSearchDomains().get(c.domainArn());
      openSearch = new OpenSearchDelivery(vertx, context, settings.worker(), batchMeta, endpoint,
          settings.httpEndpointTimeoutMillis(), settings.permits(), settings.clock(), stats);
      clientVersion = batchMeta.versionId();
    }
    return openSearch;
  }

  private SplunkDelivery splunk(DeliveryStreamMeta batchMeta) {
    if (splunk == null || clientVersion != batchMeta.versionId()) {
      closeClients();
      splunk = new SplunkDelivery(vertx, context, settings.worker(), batchMeta, settings.httpEndpointTimeoutMillis(),
          settings.destinations().hecAckTimeoutMaxMillis(), settings.permits(), settings.clock(), stats);
      clientVersion = batchMeta.versionId();
    }
    return splunk;
  }

  private void closeClients() {
    if (openSearch != null) {
      openSearch.close();
      openSearch = null;
    }
    if (splunk != null) {
      splunk.close();
      splunk = null;
    }
  }

  /** The HTTP client of the delivery stream's current endpoint configuration (a new one after UpdateDestination). */
  private HttpEndpointSender sender(DeliveryStreamMeta batchMeta) {
    if (sender == null || senderVersion != batchMeta.versionId()) {
      if (sender != null) {
        sender.close();
      }
      sender = new HttpEndpointSender(vertx, batchMeta.destination().httpEndpoint(), batchMeta.key().arn(),
          HttpEndpointSender.Settings.withRequestTimeout(settings.httpEndpointTimeoutMillis()));
      senderVersion = batchMeta.versionId();
    }
    return sender;
  }

  private void deleteQuietly(Path file) {
    settings.worker().executeBlocking(() -> Files.deleteIfExists(file), true);
  }

  private void deleteQuietly(StagedRequest request) {
    settings.worker().executeBlocking(() -> {
      request.delete();
      return null;
    }, true);
  }

  /**
   * The batch is delivered: the checkpoint moves past it (saved durably; should that fail, a crash before the next
   * save delivers the batch again: at least once, never lost) and the buffer forgets it.
   */
  private void commit(Staged staged) {
    checkpoint = checkpoint.withDelivered(staged.next());
    saveCheckpoint().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Delivery stream {} delivered a batch but could not save its checkpoint ({}); after a crash it "
            + "would be delivered again", meta.key().arn(), ar.cause().toString());
      }
      pendingBytes = Math.max(0, pendingBytes - staged.bytes());
      stats.bufferedBytes.set(pendingBytes);
      oldestArrival = null;
      stats.oldestUndelivered.set(0);
      delivering = false;
      // Arrival times never decrease along the buffer, so a segment whose records all arrived before the batch's
      // last record holds delivered records only.
      buffer.trimOlderThan(staged.lastArrival());
      pump();
    });
  }

  private Path staging() {
    return dir.resolve("staging");
  }
}
