package io.millrace.firehose;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch's processed records in staging files, for destinations that build their requests when they send them
 * (OpenSearch's {@code _bulk}, Splunk's HEC): each file holds what one request may carry, at most
 * {@code maxRecords} records and {@code maxBytes} of their data (a file passes it by one record at most), each record
 * as its arrival time (8 bytes), its length (4 bytes) and its data. A file also knows the ordinal of its first record
 * in the batch, from which documents get ids that are the same however often the batch is sent.
 *
 * <p>Blocking and single-threaded: used on one worker task at a time. {@link #read} is stateless.
 */
final class RecordFile implements AutoCloseable {

  /**
   * One staged file, a request's worth of records.
   *
   * @param file         the records
   * @param records      how many
   * @param dataBytes    the bytes of their data
   * @param firstOrdinal the ordinal in the batch of its first record (the batch's records count from 0)
   */
  record Staged(Path file, int records, long dataBytes, long firstOrdinal) {

    void delete() throws IOException {
      Files.deleteIfExists(file);
    }
  }

  /** A record read back, with its ordinal in the batch. */
  record Entry(FirehoseRecord record, long ordinal) {}

  private static final int FILE_BUFFER_BYTES = 64 * 1024;

  private final Path staging;
  private final String name;
  private final int maxRecords;
  private final long maxBytes;
  private final List<Staged> done = new ArrayList<>();
  private DataOutputStream out;
  private Path file;
  private int records;
  private long bytes;
  private long firstOrdinal;
  private long ordinal;

  /** @param name names this writer's files in {@code staging} (a batch id and the destination) */
  RecordFile(Path staging, String name, int maxRecords, long maxBytes) {
    this.staging = staging;
    this.name = name;
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
  }

  /** Appends records, in order, starting a new file whenever the current one is full. */
  void add(List<FirehoseRecord> batch) throws IOException {
    for (FirehoseRecord r : batch) {
      if (out != null && (records == maxRecords || bytes + r.data().length > maxBytes)) {
        end();
      }
      if (out == null) {
        file = staging.resolve(name + "-" + done.size());
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), FILE_BUFFER_BYTES));
        records = 0;
        bytes = 0;
        firstOrdinal = ordinal;
      }
      out.writeLong(r.arrivalMillis());
      out.writeInt(r.data().length);
      out.write(r.data());
      records++;
      bytes += r.data().length;
      ordinal++;
    }
  }

  /** Closes the files; the staged ones in record order (none if no record was added). */
  List<Staged> finish() throws IOException {
    if (out != null) {
      end();
    }
    return List.copyOf(done);
  }

  private void end() throws IOException {
    out.close();
    out = null;
    done.add(new Staged(file, records, bytes, firstOrdinal));
  }

  /** Deletes every file (a batch given up). */
  @Override
  public void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      out = null;
      deleteQuietly(file);
    }
    done.forEach(s -> deleteQuietly(s.file()));
    done.clear();
  }

  /** Reads a staged file's records back, in order, with their ordinals. Blocking. */
  static List<Entry> read(Staged staged) throws IOException {
    List<Entry> entries = new ArrayList<>(staged.records());
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(staged.file()),
        FILE_BUFFER_BYTES))) {
      for (int i = 0; i < staged.records(); i++) {
        long arrival = in.readLong();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        entries.add(new Entry(new FirehoseRecord(data, arrival), staged.firstOrdinal() + i));
      }
    } catch (EOFException e) {
      throw new IOException("Staged file " + staged.file() + " ends before its " + staged.records() + " records",
          e);
    }
    return entries;
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // staging is emptied at the next start
    }
  }
}
