package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.millrace.firehose.FirehoseConfig.S3DestinationConfiguration;
import io.millrace.firehose.S3ObjectWriter.StagedObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The manifest of a Redshift batch that could not be loaded within its retry time: Firehose skips the batch and
 * lists its intermediate objects in a manifest under the error prefix, in the format of Redshift's
 * {@code COPY ... MANIFEST}, so the load can be done by hand later:
 * <pre>{"entries":[{"url":"s3://bucket/key","mandatory":true}]}</pre>
 * It goes to the S3 configuration's bucket, under {@code <Prefix>errors/manifests/yyyy/MM/dd/HH/} (or
 * ErrorOutputPrefix with {@code !{firehose:error-output-type}} = {@code errors/manifests}), named like an object of
 * the stream. Blocking.
 */
final class RedshiftManifest {

  /** The error output type of skipped batches' manifests. */
  static final String OUTPUT_TYPE = "errors/manifests";

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private RedshiftManifest() {}

  /** Writes the manifest to a staging file; the object to store. */
  static List<StagedObject> write(DeliveryStreamMeta meta, List<RedshiftLoader.IntermediateObject> objects,
                                  Path staging, String batchId, long lastArrivalMillis) throws IOException {
    S3DestinationConfiguration s3 = meta.destination().redshift().s3Configuration();
    Path file = staging.resolve(batchId + "-manifest");
    try (JsonGenerator g = JSON.createGenerator(Files.newOutputStream(file))) {
      g.writeStartObject();
      g.writeArrayFieldStart("entries");
      for (RedshiftLoader.IntermediateObject o : objects) {
        g.writeStartObject();
        g.writeStringField("url", o.url());
        g.writeBooleanField("mandatory", true);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    Instant time = Instant.ofEpochMilli(lastArrivalMillis);
    String key = ObjectKeys.errorPrefix(s3.errorOutputPrefix(), s3.prefix(), time, ZoneOffset.UTC, OUTPUT_TYPE,
        () -> ObjectKeys.randomString(ThreadLocalRandom.current()))
        + ObjectKeys.objectName(meta.key().name(), meta.versionId(), time, ZoneOffset.UTC, UUID.randomUUID(), "");
    return List.of(new StagedObject(S3ObjectWriter.bucketOf(s3.bucketArn()), key, file, objects.size(),
        Files.size(file), null));
  }
}
