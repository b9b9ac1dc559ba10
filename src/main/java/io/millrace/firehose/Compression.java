package io.millrace.firehose;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.xerial.snappy.SnappyOutputStream;
import org.xerial.snappy.SnappyHadoopCompatibleOutputStream;

/**
 * The CompressionFormat of an S3 destination: how a delivered object's bytes are compressed, and the file extension
 * Firehose gives it, as objects Firehose wrote show them (see docs/protocol-notes.md): GZIP one gzip stream
 * ({@code .gz}); ZIP an archive of one entry named by a random UUID ({@code .zip}); Snappy snappy-java's stream format
 * (magic {@code 0x82 SNAPPY 0x00}, {@code .snappy}); HADOOP_SNAPPY Hadoop's block framing, also {@code .snappy} (the
 * documentation's {@code .hsnappy} is not what the service writes).
 */
public enum Compression {
  UNCOMPRESSED("UNCOMPRESSED", "", null),
  GZIP("GZIP", ".gz", "gzip"),
  ZIP("ZIP", ".zip", "zip"),
  SNAPPY("Snappy", ".snappy", "snappy-java"),
  HADOOP_SNAPPY("HADOOP_SNAPPY", ".snappy", "hadoop-snappy");

  private final String wireName;
  private final String extension;
  private final String contentEncoding;

  Compression(String wireName, String extension, String contentEncoding) {
    this.wireName = wireName;
    this.extension = extension;
    this.contentEncoding = contentEncoding;
  }

  /** The Content-Encoding Firehose stores such an object with (null when uncompressed). */
  public String contentEncoding() {
    return contentEncoding;
  }

  /** The format a CompressionFormat value names (null: UNCOMPRESSED, Firehose's default). */
  public static Compression of(String wireName) {
    if (wireName == null) {
      return UNCOMPRESSED;
    }
    for (Compression c : values()) {
      if (c.wireName.equals(wireName)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown CompressionFormat " + wireName);
  }

  public String wireName() {
    return wireName;
  }

  /** The extension Firehose appends to the object name (empty when uncompressed). */
  public String extension() {
    return extension;
  }

  /**
   * Wraps {@code out} so that what is written to the result is compressed into it; closing the result finishes the
   * format and closes {@code out}.
   */
  public OutputStream wrap(OutputStream out) throws IOException {
    return switch (this) {
      case UNCOMPRESSED -> out;
      case GZIP -> new GZIPOutputStream(out, 64 * 1024);
      case ZIP -> {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.putNextEntry(new ZipEntry(UUID.randomUUID().toString()));
        yield zip;
      }
      case SNAPPY -> new SnappyOutputStream(out);
      case HADOOP_SNAPPY -> new SnappyHadoopCompatibleOutputStream(out);
    };
  }
}
