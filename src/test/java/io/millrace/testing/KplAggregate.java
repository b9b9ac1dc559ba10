package io.millrace.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * KPL-aggregated records as the Kinesis Producer Library writes them: the magic bytes {@code F3 89 9A C2}, the
 * AggregatedRecord protobuf message (partition key table = 1, explicit hash key table = 2, records = 3, each with
 * partition_key_index = 1, explicit_hash_key_index = 2, data = 3, tags = 4), and the MD5 of that message.
 */
public final class KplAggregate {

  /** One user record: indexes into the key tables (an explicit hash key index below 0: none) and its data. */
  public record Sub(long partitionKeyIndex, long explicitHashKeyIndex, String data) {

    /** A user record under the first partition key, without an explicit hash key. */
    public static Sub of(String data) {
      return new Sub(0, -1, data);
    }
  }

  private KplAggregate() {}

  /** An aggregate of {@code records}; each also carries a tag, which readers ignore. */
  public static byte[] of(List<String> partitionKeys, List<String> explicitHashKeys, Sub... records) {
    try {
      ByteArrayOutputStream proto = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(proto);
      for (String k : partitionKeys) {
        out.writeString(1, k);
      }
      for (String k : explicitHashKeys) {
        out.writeString(2, k);
      }
      for (Sub s : records) {
        ByteArrayOutputStream tag = new ByteArrayOutputStream();
        CodedOutputStream t = CodedOutputStream.newInstance(tag);
        t.writeString(1, "key");
        t.writeString(2, "value");
        t.flush();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        CodedOutputStream r = CodedOutputStream.newInstance(record);
        r.writeUInt64(1, s.partitionKeyIndex());
        if (s.explicitHashKeyIndex() >= 0) {
          r.writeUInt64(2, s.explicitHashKeyIndex());
        }
        r.writeByteArray(3, s.data().getBytes(UTF_8));
        r.writeByteArray(4, tag.toByteArray());
        r.flush();
        out.writeByteArray(3, record.toByteArray());
      }
      out.flush();
      return withMagicAndMd5(proto.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code message} framed as an aggregate, whatever it holds. */
  public static byte[] withMagicAndMd5(byte[] message) {
    try {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.write(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2});
      all.write(message);
      all.write(MessageDigest.getInstance("MD5").digest(message));
      return all.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has MD5", e);
    }
  }
}
