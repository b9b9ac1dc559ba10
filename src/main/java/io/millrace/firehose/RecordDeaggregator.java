package io.millrace.firehose;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.google.protobuf.CodedInputStream;
import io.millrace.firehose.FirehoseConfig.Processor;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Splitting records that hold several records: Firehose's RecordDeAggregation processor, and the de-aggregation of
 * KPL-aggregated records.
 *
 * <p><b>RecordDeAggregation</b> ({@link #process}). With SubRecordType {@code JSON} a record holds JSON objects one
 * after another, with nothing or whitespace (newlines) between them ({@code {"a":1}{"a":2}} or
 * {@code {"a":1}\n{"a":2}}); each object becomes a record of its exact bytes, and what lies between them is dropped.
 * A record that is anything else (an array, a scalar, broken JSON, only whitespace) fails with
 * {@link ProcessingError#DEAGGREGATION_FAILED}. With SubRecordType {@code DELIMITED} a record is split at each
 * occurrence of the Delimiter (given base64-encoded in the configuration); the delimiters and empty pieces are dropped,
 * and a record with no delimiter stays as it is. Either way a record is split into at most
 * {@value #MAX_SUB_RECORDS} records: one that holds more passes through whole, as Firehose does ("the record
 * de-aggregation doesn't work as expected and transformation lambda is invoked with the complete ... data blob", the
 * PutRecord documentation). Sub-records keep the original record's arrival time and partition keys.
 *
 * <p><b>KPL aggregation</b> ({@link #deaggregateKpl}), which Firehose undoes by itself for a Kinesis stream source. An
 * aggregated record is:
 * <pre>
 *   offset  size  field
 *   0       4     magic 0xF3 0x89 0x9A 0xC2
 *   4       n     protobuf (proto2) AggregatedRecord:
 *                   repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
 *                   repeated Record records = 3;
 *                 Record: required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                   required bytes data = 3; repeated Tag tags = 4 (ignored)
 *   4+n     16    MD5 of the n protobuf bytes
 * </pre>
 * A record that is not such an aggregate (no magic, an MD5 mismatch, protobuf that does not parse, an index outside
 * its table, no records at all) is returned unchanged, as the KCL does.
 *
 * <p>Immutable; thread-safe. Pure computation, no I/O.
 */
public final class RecordDeaggregator implements RecordProcessor {

  /** The most records one record is split into; a record holding more passes through whole. */
  public static final int MAX_SUB_RECORDS = 500;

  /** The first bytes of a KPL-aggregated record. */
  private static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
  private static final int MD5_BYTES = 16;
  private static final JsonFactory JSON = JsonFactory.builder().build();

  /**
   * A record of a KPL aggregate (or the whole record, when it is not an aggregate).
   *
   * @param partitionKey      its partition key from the aggregate's table (or the record's own)
   * @param explicitHashKey   its explicit hash key, or null
   * @param subSequenceNumber its position in the aggregate, from 0 (0 for a record that is not an aggregate)
   * @param data              its bytes
   */
  public record KplRecord(String partitionKey, String explicitHashKey, long subSequenceNumber, byte[] data) {}

  /** null: JSON. */
  private final byte[] delimiter;

  private RecordDeaggregator(byte[] delimiter) {
    this.delimiter = delimiter;
  }

  /** SubRecordType JSON. */
  public static RecordDeaggregator json() {
    return new RecordDeaggregator(null);
  }

  /** SubRecordType DELIMITED, split at {@code delimiter} (the decoded bytes, at least one). */
  public static RecordDeaggregator delimited(byte[] delimiter) {
    if (delimiter == null || delimiter.length == 0) {
      throw new IllegalArgumentException("The Delimiter of a RecordDeAggregation processor must not be empty.");
    }
    return new RecordDeaggregator(delimiter.clone());
  }

  /**
   * The RecordDeAggregation processor {@code processor} configures: SubRecordType {@code JSON}, or {@code DELIMITED}
   * with a base64 Delimiter. IllegalArgumentException naming the bad value otherwise.
   */
  public static RecordDeaggregator from(Processor processor) {
    String type = processor.parameter("SubRecordType");
    if ("JSON".equals(type)) {
      return json();
    }
    if (!"DELIMITED".equals(type)) {
      throw new IllegalArgumentException("SubRecordType must be JSON or DELIMITED, not " + type + ".");
    }
    String delimiter = processor.parameter("Delimiter");
    if (delimiter == null) {
      throw new IllegalArgumentException("SubRecordType DELIMITED needs a Delimiter (base64).");
    }
    try {
      return delimited(Base64.getDecoder().decode(delimiter.trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("The Delimiter " + delimiter + " is not base64 of at least one byte.");
    }
  }

  @Override
  public ProcessingResult process(List<FirehoseRecord> records) {
    List<FirehoseRecord> out = new ArrayList<>(records.size());
    List<FailedRecord> failed = new ArrayList<>();
    for (FirehoseRecord r : records) {
      List<byte[]> pieces;
      if (delimiter != null) {
        pieces = split(r.data(), delimiter);
      } else {
        try {
          pieces = jsonObjects(r.data());
        } catch (IOException e) {
          failed.add(FailedRecord.of(r, ProcessingError.DEAGGREGATION_FAILED,
              ProcessingError.DEAGGREGATION_FAILED.message() + " (" + reason(e) + ")"));
          continue;
        }
      }
      if (pieces == null) {
        out.add(r);
      } else {
        for (byte[] piece : pieces) {
          out.add(new FirehoseRecord(piece, r.arrivalMillis(), r.partitionKeys()));
        }
      }
    }
    return new ProcessingResult(out, failed);
  }

  /** The objects' bytes; null when there are more than the cap (the record passes whole). */
  private static List<byte[]> jsonObjects(byte[] data) throws IOException {
    List<byte[]> objects = new ArrayList<>();
    try (JsonParser parser = JSON.createParser(data)) {
      for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
        if (t != JsonToken.START_OBJECT) {
          throw new IOException("found " + (t == JsonToken.START_ARRAY ? "an array" : "a value that is not an "
              + "object") + " at byte " + parser.currentTokenLocation().getByteOffset());
        }
        if (objects.size() == MAX_SUB_RECORDS) {
          return null;
        }
        int start = (int) parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        int end = (int) parser.currentLocation().getByteOffset();
        objects.add(Arrays.copyOfRange(data, start, end));
      }
    }
    if (objects.isEmpty()) {
      throw new IOException("no JSON object");
    }
    return objects;
  }

  private static String reason(IOException e) {
    return e instanceof StreamReadException s ? s.getOriginalMessage() : e.getMessage();
  }

  /** The non-empty pieces between delimiters; null when the record should pass whole (no piece, or over the cap). */
  static List<byte[]> split(byte[] data, byte[] delimiter) {
    List<byte[]> pieces = new ArrayList<>();
    int from = 0;
    while (from <= data.length) {
      int at = indexOf(data, delimiter, from);
      int end = at < 0 ? data.length : at;
      if (end > from) {
        if (pieces.size() == MAX_SUB_RECORDS) {
          return null;
        }
        pieces.add(Arrays.copyOfRange(data, from, end));
      }
      if (at < 0) {
        break;
      }
      from = at + delimiter.length;
    }
    return pieces.isEmpty() ? null : pieces;
  }

  private static int indexOf(byte[] data, byte[] needle, int from) {
    outer:
    for (int i = from; i <= data.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (data[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ---- KPL ----

  /** Whether {@code data} starts with the KPL magic and can hold an MD5 (it may still fail the MD5 check). */
  public static boolean hasKplMagic(byte[] data) {
    return data.length >= KPL_MAGIC.length + MD5_BYTES
        && Arrays.equals(data, 0, KPL_MAGIC.length, KPL_MAGIC, 0, KPL_MAGIC.length);
  }

  /**
   * The records of a KPL aggregate, in order, each with its partition key; or, when {@code data} is not a valid
   * aggregate, one record: {@code data} itself, unchanged, under {@code partitionKey}.
   */
  public static List<KplRecord> deaggregateKpl(byte[] data, String partitionKey) {
    List<KplRecord> records = kplRecords(data);
    return records != null ? records : List.of(new KplRecord(partitionKey, null, 0, data));
  }

  /**
   * {@link #deaggregateKpl(byte[], String)} for a delivery stream's record: each sub-record's data as a record with
   * the original's arrival time and partition keys; {@code record} itself when it is not a valid aggregate.
   */
  public static List<FirehoseRecord> deaggregateKpl(FirehoseRecord record) {
    List<KplRecord> records = kplRecords(record.data());
    if (records == null) {
      return List.of(record);
    }
    List<FirehoseRecord> out = new ArrayList<>(records.size());
    for (KplRecord r : records) {
      out.add(new FirehoseRecord(r.data(), record.arrivalMillis(), record.partitionKeys()));
    }
    return out;
  }

  /** The aggregate's records, or null if {@code data} is not a valid aggregate. */
  private static List<KplRecord> kplRecords(byte[] data) {
    if (!hasKplMagic(data)) {
      return null;
    }
    int protobufLength = data.length - KPL_MAGIC.length - MD5_BYTES;
    MessageDigest md5 = md5();
    md5.update(data, KPL_MAGIC.length, protobufLength);
    if (!MessageDigest.isEqual(md5.digest(), Arrays.copyOfRange(data, data.length - MD5_BYTES, data.length))) {
      return null;
    }
    try {
      return parseAggregate(CodedInputStream.newInstance(data, KPL_MAGIC.length, protobufLength));
    } catch (IOException e) {
      return null;
    }
  }

  /** One Record message, its table indexes not yet resolved. */
  private record RawRecord(long partitionKeyIndex, long explicitHashKeyIndex, byte[] data) {}

  private static List<KplRecord> parseAggregate(CodedInputStream in) throws IOException {
    List<String> partitionKeys = new ArrayList<>();
    List<String> explicitHashKeys = new ArrayList<>();
    List<RawRecord> raw = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) | 2 -> partitionKeys.add(in.readString());
        case (2 << 3) | 2 -> explicitHashKeys.add(in.readString());
        case (3 << 3) | 2 -> {
          int limit = in.pushLimit(in.readRawVarint32());
          raw.add(parseRecord(in));
          in.popLimit(limit);
        }
        default -> in.skipField(tag);
      }
    }
    if (raw.isEmpty()) {
      return null;
    }
    List<KplRecord> records = new ArrayList<>(raw.size());
    for (RawRecord r : raw) {
      if (r.partitionKeyIndex() >= partitionKeys.size()
          || r.explicitHashKeyIndex() >= explicitHashKeys.size()) {
        return null;
      }
      records.add(new KplRecord(partitionKeys.get((int) r.partitionKeyIndex()),
          r.explicitHashKeyIndex() < 0 ? null : explicitHashKeys.get((int) r.explicitHashKeyIndex()),
          records.size(), r.data()));
    }
    return records;
  }

  /** A Record message up to the current limit; IOException when a required field is missing. */
  private static RawRecord parseRecord(CodedInputStream in) throws IOException {
    long partitionKeyIndex = -1;
    long explicitHashKeyIndex = -1;
    byte[] data = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) -> partitionKeyIndex = index(in.readUInt64());
        case (2 << 3) -> explicitHashKeyIndex = index(in.readUInt64());
        case (3 << 3) | 2 -> data = in.readByteArray();
        default -> in.skipField(tag);
      }
    }
    if (partitionKeyIndex == -1 || data == null) {
      throw new IOException("a Record without partition_key_index or data");
    }
    return new RawRecord(partitionKeyIndex, explicitHashKeyIndex, data);
  }

  /** A table index (a uint64 past Long.MAX_VALUE reads as negative: no table is that long). */
  private static long index(long uint64) throws IOException {
    if (uint64 < 0) {
      throw new IOException("a table index past any table");
    }
    return uint64;
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
  }
}
