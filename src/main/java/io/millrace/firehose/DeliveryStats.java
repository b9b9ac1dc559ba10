package io.millrace.firehose;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One delivery stream's metrics, named as Firehose names them in CloudWatch (namespace {@code firehose}, dimension
 * {@code DeliveryStreamName}): {@code IncomingRecords}, {@code IncomingBytes}; {@code DeliveryToS3.Success} (objects
 * stored), {@code .Records}, {@code .Bytes}, {@code .DataFreshness} (age in seconds of the oldest record not yet
 * delivered); the same for {@code DeliveryToHttpEndpoint} (requests), and for {@code DeliveryToRedshift} (COPY
 * loads), {@code DeliveryToAmazonOpenSearchService} / {@code DeliveryToElasticsearch} ({@code _bulk} requests) and
 * {@code DeliveryToSplunk} (acknowledged HEC requests) for those destinations; {@code BackupToS3.*} (objects written
 * to the backup bucket); and {@code BufferedBytes}, the undelivered bytes on disk. In Prometheus text they read
 * {@code firehose_IncomingRecords_total{DeliveryStreamName="..."}}. Two of Millrace's own say how delivery goes:
 * {@code millrace_firehose_delivery_failures_total} (attempts to reach the destination or backup that failed; each
 * is retried, or its batch goes to the backup) and {@code millrace_firehose_last_delivery_timestamp_seconds} (when the
 * destination last took a delivery; 0 before the first).
 *
 * <p>Thread-safe: counters are atomic; the delivery updates them, scrapes read them from any thread.
 */
public final class DeliveryStats {

  final AtomicLong incomingRecords = new AtomicLong();
  final AtomicLong incomingBytes = new AtomicLong();
  final AtomicLong s3Success = new AtomicLong();
  final AtomicLong s3Records = new AtomicLong();
  final AtomicLong s3Bytes = new AtomicLong();
  final AtomicLong httpSuccess = new AtomicLong();
  final AtomicLong httpRecords = new AtomicLong();
  final AtomicLong httpBytes = new AtomicLong();
  /** A Redshift, OpenSearch or Splunk destination's deliveries, named after it. */
  final AtomicLong destinationSuccess = new AtomicLong();
  final AtomicLong destinationRecords = new AtomicLong();
  final AtomicLong destinationBytes = new AtomicLong();
  final AtomicLong backupSuccess = new AtomicLong();
  final AtomicLong backupRecords = new AtomicLong();
  final AtomicLong backupBytes = new AtomicLong();
  /** Epoch millis of the oldest record not yet delivered, or 0 when none is waiting. */
  final AtomicLong oldestUndelivered = new AtomicLong();
  final AtomicLong bufferedBytes = new AtomicLong();
  final AtomicLong failedAttempts = new AtomicLong();
  /** Epoch millis of the destination's last delivery, or 0 before the first. */
  final AtomicLong lastDeliveryMillis = new AtomicLong();

  /** An attempt to deliver failed: counted, then {@code log} tells why. */
  Consumer<Throwable> failing(Consumer<Throwable> log) {
    return e -> {
      if (!(e instanceof Retries.Superseded)) { // not a failure: the configuration changed under the attempt
        failedAttempts.incrementAndGet();
      }
      log.accept(e);
    };
  }

  /** The destination took a delivery at {@code nowMillis}. */
  void delivered(long nowMillis) {
    lastDeliveryMillis.accumulateAndGet(nowMillis, Math::max);
  }

  private final List<Meter> meters = new ArrayList<>();

  /**
   * Registers this stream's meters in {@code registry} (null: none); {@link #unregister} removes them. The data
   * freshness is the destination's ({@code DeliveryToSplunk.DataFreshness}, ...).
   */
  void register(MeterRegistry registry, String deliveryStream, DestinationKind kind, LongSupplier nowMillis) {
    if (registry == null) {
      return;
    }
    Tags tags = Tags.of("DeliveryStreamName", deliveryStream);
    counter(registry, "firehose.IncomingRecords", "Records accepted", incomingRecords, tags);
    counter(registry, "firehose.IncomingBytes", "Bytes of records accepted", incomingBytes, tags);
    counter(registry, "firehose.DeliveryToS3.Success", "Objects stored in the S3 destination", s3Success, tags);
    counter(registry, "firehose.DeliveryToS3.Records", "Records delivered to the S3 destination", s3Records, tags);
    counter(registry, "firehose.DeliveryToS3.Bytes", "Bytes delivered to the S3 destination", s3Bytes, tags);
    counter(registry, "firehose.DeliveryToHttpEndpoint.Success", "Requests the HTTP endpoint took", httpSuccess,
        tags);
    counter(registry, "firehose.DeliveryToHttpEndpoint.Records", "Records delivered to the HTTP endpoint",
        httpRecords, tags);
    counter(registry, "firehose.DeliveryToHttpEndpoint.Bytes", "Bytes delivered to the HTTP endpoint", httpBytes,
        tags);
    counter(registry, "firehose.BackupToS3.Success", "Objects written to the S3 backup", backupSuccess, tags);
    counter(registry, "firehose.BackupToS3.Records", "Records written to the S3 backup", backupRecords, tags);
    counter(registry, "firehose.BackupToS3.Bytes", "Bytes written to the S3 backup", backupBytes, tags);
    if (kind != DestinationKind.S3 && kind != DestinationKind.HTTP_ENDPOINT) {
      String name = "firehose." + kind.metricPrefix();
      counter(registry, name + ".Success", "Deliveries the destination took", destinationSuccess, tags);
      counter(registry, name + ".Records", "Records delivered to the destination", destinationRecords, tags);
      counter(registry, name + ".Bytes", "Bytes delivered to the destination", destinationBytes, tags);
    }
    String freshness = "firehose." + kind.metricPrefix() + ".DataFreshness";
    meters.add(Gauge.builder(freshness, this, s -> {
      long oldest = s.oldestUndelivered.get();
      return oldest == 0 ? 0 : Math.max(0, nowMillis.getAsLong() - oldest) / 1000.0;
    }).description("Age in seconds of the oldest record not yet delivered").tags(tags).register(registry));
    meters.add(Gauge.builder("firehose.BufferedBytes", bufferedBytes, AtomicLong::get)
        .description("Bytes accepted and not yet delivered, waiting on disk").tags(tags).register(registry));
    counter(registry, "millrace.firehose.delivery.failures", "Delivery attempts that failed (each is retried, or its "
        + "batch goes to the backup)", failedAttempts, tags);
    meters.add(Gauge.builder("millrace.firehose.last.delivery.timestamp", lastDeliveryMillis, m -> m.get() / 1000.0)
        .baseUnit("seconds").description("When the destination last took a delivery (epoch seconds; 0: never)")
        .tags(tags).register(registry));
  }

  private void counter(MeterRegistry registry, String name, String description, AtomicLong value, Tags tags) {
    meters.add(FunctionCounter.builder(name, value, AtomicLong::get).description(description).tags(tags)
        .register(registry));
  }

  void unregister(MeterRegistry registry) {
    if (registry != null) {
      meters.forEach(registry::remove);
    }
    meters.clear();
  }
}
