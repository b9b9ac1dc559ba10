package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.millrace.testing.FirehoseClients;
import io.millrace.testing.LogCapture;
import io.millrace.testing.S3ProxyServer;
import io.millrace.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyInputStream;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.firehose.FirehoseClient;
import software.amazon.awssdk.services.firehose.model.CompressionFormat;
import software.amazon.awssdk.services.firehose.model.ExtendedS3DestinationConfiguration;
import software.amazon.awssdk.services.firehose.model.PutRecordBatchResponse;
import software.amazon.awssdk.services.firehose.model.Record;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Firehose delivering to a real S3-compatible store: S3Proxy in its own JVM (one for the class), reached by the
 * server's S3 client with S3Proxy's credentials. Records go in through the AWS SDK's FirehoseClient and come back out
 * through its S3Client, decompressed by each format's reference reader. Buffering is 1 MiB or 0 s, so every put is
 * delivered at once; the waits poll the bucket (another process) with a deadline.
 */
class FirehoseS3ProxyIT {

  private static final String ROLE_ARN = "arn:aws:iam::000000000000:role/firehose";
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  /** The object name after the prefix, less the stream, version and extension: the time and the uuid. */
  private static final String TIME_AND_UUID = "-(\\d{4})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-" + UUID;

  @TempDir
  static Path dir;

  private static S3ProxyServer s3proxy;
  private static TestServer server;
  private static FirehoseClient firehose;
  private static S3Client s3;

  @BeforeAll
  static void start() throws IOException {
    s3proxy = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    server = TestServer.start(Map.of("inMemory", "false", "dataDir", dir.resolve("millrace").toString(),
        "s3Endpoint", s3proxy.endpoint().toString(), "outboundAccessKeyId", s3proxy.accessKey(),
        "outboundSecretAccessKey", s3proxy.secretKey()));
    firehose = FirehoseClients.sync(server.endpoint());
    s3 = s3proxy.client();
  }

  @AfterAll
  static void stop() {
    if (s3 != null) {
      s3.close();
    }
    if (firehose != null) {
      firehose.close();
    }
    if (server != null) {
      server.close();
    }
    if (s3proxy != null) {
      s3proxy.close();
    }
  }

  @ParameterizedTest
  @EnumSource(value = CompressionFormat.class, names = {"UNCOMPRESSED", "GZIP", "ZIP", "SNAPPY", "HADOOP_SNAPPY"})
  void records_reach_the_bucket_in_order_compressed_as_the_format_says(CompressionFormat format) throws IOException {
    String name = format.name().toLowerCase().replace('_', '-');
    String stream = "to-s3proxy-" + name;
    String bucket = "fh-" + name;
    s3proxy.createBucket(bucket);
    long version = createDeliveryStream(stream, bucket, c -> c.compressionFormat(format));
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    List<byte[]> records = putRecords(stream, name);
    Pattern key = Pattern.compile("(\\d{4})/(\\d{2})/(\\d{2})/(\\d{2})/" + Pattern.quote(stream) + "-" + version
        + TIME_AND_UUID + Pattern.quote(extension(format)));
    List<Delivered> objects = awaitDelivered(bucket, key, format, total(records));

    for (Delivered o : objects) {
      Matcher m = key.matcher(o.key());
      assertTrue(m.matches());
      assertEquals(m.group(1) + m.group(2) + m.group(3) + m.group(4), m.group(5) + m.group(6) + m.group(7)
          + m.group(8), "the prefix's hour is the name's: " + o.key());
      assertTimeBetween(before, Instant.now(), m, 5, o.key());
    }
    assertConcatenationIs(records, objects);
  }

  @Test
  void a_custom_prefix_and_file_extension_name_the_objects_and_nothing_goes_to_the_error_prefix() throws IOException {
    String stream = "to-s3proxy-custom-prefix";
    String bucket = "fh-custom-prefix";
    s3proxy.createBucket(bucket);
    long version = createDeliveryStream(stream, bucket, c -> c.compressionFormat(CompressionFormat.GZIP)
        .prefix("logs/year=!{timestamp:yyyy}/").errorOutputPrefix("errors/!{firehose:error-output-type}/")
        .fileExtension(".log.gz"));
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    List<byte[]> records = putRecords(stream, "custom");
    Pattern key = Pattern.compile("logs/year=(\\d{4})/" + Pattern.quote(stream) + "-" + version + TIME_AND_UUID
        + "\\.log\\.gz");
    List<Delivered> objects = awaitDelivered(bucket, key, CompressionFormat.GZIP, total(records));

    for (Delivered o : objects) {
      Matcher m = key.matcher(o.key());
      assertTrue(m.matches());
      assertEquals(m.group(1), m.group(2), "the prefix's year is the name's: " + o.key());
      assertTimeBetween(before, Instant.now(), m, 2, o.key());
    }
    assertConcatenationIs(records, objects);
  }

  @Test
  void records_wait_while_the_bucket_is_missing_and_are_delivered_once_it_exists() throws IOException {
    String stream = "to-s3proxy-late-bucket";
    String bucket = "fh-late-bucket";
    long version = createDeliveryStream(stream, bucket, c -> c.compressionFormat(CompressionFormat.GZIP));
    List<byte[]> records;
    String failure;
    try (LogCapture log = LogCapture.of(DeliveryStreamVerticle.class)) {
      records = putRecords(stream, "late");
      failure = awaitLine(log, "could not store s3://" + bucket + "/");
    }
    assertTrue(failure.contains("The specified bucket does not exist"), failure);
    assertThrows(NoSuchBucketException.class, () -> s3.headBucket(b -> b.bucket(bucket)), "nothing made the bucket");

    s3proxy.createBucket(bucket);
    Pattern key = Pattern.compile("\\d{4}/\\d{2}/\\d{2}/\\d{2}/" + Pattern.quote(stream) + "-" + version
        + TIME_AND_UUID + "\\.gz");
    List<Delivered> objects = awaitDelivered(bucket, key, CompressionFormat.GZIP, total(records));

    assertConcatenationIs(records, objects);
  }

  // ---- delivery streams and records ----

  /** Creates a delivery stream to {@code bucket} that delivers at once, and returns its version. */
  private static long createDeliveryStream(String stream, String bucket,
                                           Consumer<ExtendedS3DestinationConfiguration.Builder> more) {
    firehose.createDeliveryStream(b -> b.deliveryStreamName(stream).extendedS3DestinationConfiguration(s -> {
      s.roleARN(ROLE_ARN).bucketARN("arn:aws:s3:::" + bucket).bufferingHints(h -> h.sizeInMBs(1).intervalInSeconds(0));
      more.accept(s);
    }));
    return Long.parseLong(firehose.describeDeliveryStream(b -> b.deliveryStreamName(stream))
        .deliveryStreamDescription().versionId());
  }

  /**
   * Puts 26 records (about 520 KB; text that compresses and bytes that do not, so formats with blocks of 32 KiB
   * write many): the first with PutRecord, 24 with PutRecordBatch, the last with PutRecord. Each starts with
   * {@code <tag>-<index>:}; the same tag gives the same records.
   */
  private static List<byte[]> putRecords(String stream, String tag) {
    List<byte[]> records = new ArrayList<>();
    Random random = new Random(tag.hashCode());
    for (int i = 0; i < 26; i++) {
      ByteArrayOutputStream record = new ByteArrayOutputStream();
      record.writeBytes((tag + "-" + i + ":").getBytes(StandardCharsets.UTF_8));
      record.writeBytes(("line " + i + " of the " + tag + " records\n").repeat(20 * i)
          .getBytes(StandardCharsets.UTF_8));
      byte[] noise = new byte[1000 * i];
      random.nextBytes(noise);
      record.writeBytes(noise);
      records.add(record.toByteArray());
    }
    firehose.putRecord(b -> b.deliveryStreamName(stream).record(r -> r.data(SdkBytes.fromByteArray(records.get(0)))));
    List<Record> batch = records.subList(1, 25).stream()
        .map(data -> Record.builder().data(SdkBytes.fromByteArray(data)).build()).toList();
    PutRecordBatchResponse answer = firehose.putRecordBatch(b -> b.deliveryStreamName(stream).records(batch));
    assertEquals(0, answer.failedPutCount(), answer.toString());
    firehose.putRecord(b -> b.deliveryStreamName(stream).record(r -> r.data(SdkBytes.fromByteArray(records.get(25)))));
    return records;
  }

  private static long total(List<byte[]> records) {
    return records.stream().mapToLong(r -> r.length).sum();
  }

  // ---- objects ----

  /** An object's key, and what it decompresses to. */
  private record Delivered(String key, byte[] content) {}

  /**
   * Polls the bucket until its objects named like {@code key}, decompressed, hold {@code bytes} bytes, and returns
   * them; fails when they hold more, at the deadline, or when the bucket then holds any other object. Each object is
   * read once.
   *
   * <p>Design note: S3Proxy writes an object to {@code <key>-<uuid>} next to it and renames it when complete, and its
   * listings show that file meanwhile; such names never match {@code key}, and none is left once every byte arrived.
   */
  private static List<Delivered> awaitDelivered(String bucket, Pattern key, CompressionFormat format, long bytes)
      throws IOException {
    Map<String, Delivered> read = new LinkedHashMap<>();
    List<String> others = List.of();
    long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
    long held = 0;
    while (System.nanoTime() < deadline) {
      List<String> listed = listing(bucket).stream().map(S3Object::key).toList();
      for (String k : listed) {
        if (key.matcher(k).matches() && !read.containsKey(k)) {
          ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(b -> b.bucket(bucket).key(k));
          assertEquals("application/octet-stream", object.response().contentType(), k);
          assertEquals(contentEncoding(format), object.response().contentEncoding(), k);
          Delivered delivered = new Delivered(k, decompress(format, object.asByteArray()));
          read.put(k, delivered);
          held += delivered.content().length;
        }
      }
      others = listed.stream().filter(k -> !read.containsKey(k)).toList();
      if (held == bytes) {
        List<String> after = listing(bucket).stream().map(S3Object::key).filter(k -> !read.containsKey(k)).toList();
        assertEquals(List.of(), after, "s3://" + bucket + " holds objects besides the " + read.keySet());
        return List.copyOf(read.values());
      }
      if (held > bytes) {
        fail("s3://" + bucket + " holds " + held + " bytes of records, " + bytes + " were put: " + read.keySet());
      }
      pause();
    }
    return fail("s3://" + bucket + " holds " + held + " of " + bytes + " bytes of records after " + DELIVERY_TIMEOUT
        + " in " + read.keySet() + "; objects not named like " + key + ": " + others + "\nS3Proxy's log:\n"
        + s3proxy.output());
  }

  /** Every object of the bucket; none while the bucket does not exist. */
  private static List<S3Object> listing(String bucket) {
    try {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().toList();
    } catch (NoSuchBucketException e) {
      return List.of();
    }
  }

  /**
   * The objects, each a run of the records, make up exactly the records in the order they were put, with nothing in
   * between: ordered by where their content starts in the expected bytes, they concatenate to them.
   */
  private static void assertConcatenationIs(List<byte[]> records, List<Delivered> objects) {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    records.forEach(expected::writeBytes);
    String all = latin1(expected.toByteArray());
    List<Delivered> ordered = new ArrayList<>(objects);
    ordered.sort(Comparator.comparingInt(o -> all.indexOf(latin1(o.content()))));
    StringBuilder actual = new StringBuilder();
    for (Delivered o : ordered) {
      assertTrue(o.content().length > 0, o.key() + " is empty");
      actual.append(latin1(o.content()));
    }
    int mismatch = 0;
    while (mismatch < Math.min(all.length(), actual.length()) && all.charAt(mismatch) == actual.charAt(mismatch)) {
      mismatch++;
    }
    assertTrue(all.length() == actual.length() && mismatch == all.length(), "the objects " + ordered.stream()
        .map(Delivered::key).toList() + " hold " + actual.length() + " bytes that differ from the " + all.length()
        + " put from byte " + mismatch);
  }

  /** The name's time (groups {@code first} to {@code first + 5}) is the arrival of a record put in the window. */
  private static void assertTimeBetween(Instant from, Instant to, Matcher m, int first, String key) {
    Instant time = LocalDateTime.of(Integer.parseInt(m.group(first)), Integer.parseInt(m.group(first + 1)),
        Integer.parseInt(m.group(first + 2)), Integer.parseInt(m.group(first + 3)),
        Integer.parseInt(m.group(first + 4)), Integer.parseInt(m.group(first + 5))).toInstant(ZoneOffset.UTC);
    assertFalse(time.isBefore(from) || time.isAfter(to), key + " is named for " + time + ", outside the puts' "
        + from + " to " + to);
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  // ---- formats ----

  /** The Content-Encoding Firehose stores each format's objects with (as objects it wrote show). */
  private static String contentEncoding(CompressionFormat format) {
    return switch (format) {
      case UNCOMPRESSED -> null;
      case GZIP -> "gzip";
      case ZIP -> "zip";
      case SNAPPY -> "snappy-java";
      case HADOOP_SNAPPY -> "hadoop-snappy";
      default -> throw new IllegalArgumentException(format.toString());
    };
  }

  /** The extension Firehose gives each format's objects. */
  private static String extension(CompressionFormat format) {
    return switch (format) {
      case GZIP -> ".gz";
      case ZIP -> ".zip";
      case SNAPPY, HADOOP_SNAPPY -> ".snappy";
      default -> "";
    };
  }

  /** An object's records, read with each format's reference reader; checks the container on the way. */
  private static byte[] decompress(CompressionFormat format, byte[] body) throws IOException {
    return switch (format) {
      case GZIP -> {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
          byte[] content = in.readAllBytes();
          assertEquals(-1, in.read(), "one gzip stream");
          yield content;
        }
      }
      case ZIP -> {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(body))) {
          ZipEntry entry = in.getNextEntry();
          assertNotNull(entry, "the archive has an entry");
          assertTrue(entry.getName().matches(UUID), "the entry is named by a uuid: " + entry.getName());
          assertEquals(ZipEntry.DEFLATED, entry.getMethod(), "the entry is deflated");
          byte[] content = in.readAllBytes();
          assertNull(in.getNextEntry(), "the archive has exactly one entry");
          yield content;
        }
      }
      case SNAPPY -> {
        byte[] magic = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
        assertEquals(HexFormat.of().formatHex(magic), HexFormat.of().formatHex(Arrays.copyOf(body, magic.length)),
            "snappy-java's magic");
        try (SnappyInputStream in = new SnappyInputStream(new ByteArrayInputStream(body))) {
          yield in.readAllBytes();
        }
      }
      case HADOOP_SNAPPY -> hadoopSnappy(body);
      default -> body;
    };
  }

  /**
   * Hadoop's block framing (BlockDecompressorStream with SnappyCodec): blocks of a 4-byte big-endian uncompressed
   * length, then chunks of a 4-byte big-endian compressed length and raw snappy data until that many bytes came out.
   */
  private static byte[] hadoopSnappy(byte[] body) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int blocks = 0;
    while (in.available() > 0) {
      int length = in.readInt();
      int produced = 0;
      while (produced < length) {
        byte[] chunk = new byte[in.readInt()];
        in.readFully(chunk);
        byte[] plain = Snappy.uncompress(chunk);
        out.writeBytes(plain);
        produced += plain.length;
      }
      assertEquals(length, produced, "block " + blocks + " holds the length its header gives");
      blocks++;
    }
    return out.toByteArray();
  }

  // ---- waiting ----

  /** Polls the captured log until a line contains {@code text}; fails at the deadline. */
  private static String awaitLine(LogCapture log, String text) {
    long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<String> line = log.lines().stream().filter(l -> l.contains(text)).findFirst();
      if (line.isPresent()) {
        return line.get();
      }
      pause();
    }
    return fail("no warning containing \"" + text + "\" within " + DELIVERY_TIMEOUT + ": " + log.lines());
  }

  private static void pause() {
    try {
      Thread.sleep(50); // polling interval of a bounded wait on another process; there is no event to await
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
