package io.millrace.firehose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Firehose's AppendDelimiterToRecord processor: a newline ({@code \n}) after each record's data, so that the records
 * concatenated into one object can be told apart (Firehose itself adds nothing between them). It takes no parameters
 * and never fails.
 *
 * <p>Stateless; thread-safe.
 */
public final class AppendDelimiter implements RecordProcessor {

  /** The one instance. */
  public static final AppendDelimiter INSTANCE = new AppendDelimiter();

  private AppendDelimiter() {}

  /** {@code record} with {@code \n} appended to its data; arrival time and partition keys unchanged. */
  public static FirehoseRecord appendTo(FirehoseRecord record) {
    byte[] data = Arrays.copyOf(record.data(), record.data().length + 1);
    data[data.length - 1] = '\n';
    return new FirehoseRecord(data, record.arrivalMillis(), record.partitionKeys());
  }

  @Override
  public ProcessingResult process(List<FirehoseRecord> records) {
    List<FirehoseRecord> out = new ArrayList<>(records.size());
    for (FirehoseRecord r : records) {
      out.add(appendTo(r));
    }
    return ProcessingResult.of(out);
  }
}
