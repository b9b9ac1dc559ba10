package io.millrace.firehose;

import java.util.ArrayList;
import java.util.List;

/**
 * What processing did with a batch: the records that go on to the destination, in order, and those that failed, each
 * with its error code, to be written as failure records under the error output prefix. Records a Lambda function
 * dropped are in neither list.
 *
 * <p>Immutable (the lists are copies; the byte arrays inside are shared, not copied). Safe to hand between threads.
 *
 * @param delivered the records that go on
 * @param failed    the records that failed
 */
public record ProcessingResult(List<FirehoseRecord> delivered, List<FailedRecord> failed) {

  public ProcessingResult {
    delivered = List.copyOf(delivered);
    failed = List.copyOf(failed);
  }

  /** Records that no processor has touched yet: all go on, none failed. */
  public static ProcessingResult of(List<FirehoseRecord> records) {
    return new ProcessingResult(records, List.of());
  }

  /**
   * Runs {@code next} on the records that go on: its delivered records replace them, its failures join these. So a
   * configuration's processors read as {@code ProcessingResult.of(records).then(deaggregator).then(lambda)...}.
   */
  public ProcessingResult then(RecordProcessor next) {
    if (delivered.isEmpty()) {
      return this;
    }
    ProcessingResult step = next.process(delivered);
    if (failed.isEmpty()) {
      return step;
    }
    List<FailedRecord> all = new ArrayList<>(failed.size() + step.failed().size());
    all.addAll(failed);
    all.addAll(step.failed());
    return new ProcessingResult(step.delivered(), all);
  }
}
