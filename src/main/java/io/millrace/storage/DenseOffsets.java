package io.millrace.storage;

import java.util.List;

/**
 * The append rule every {@link ShardLog} enforces: a batch continues the log's offsets densely.
 *
 * <p><b>Threading.</b> Stateless.
 */
final class DenseOffsets {
  private DenseOffsets() {}

  /** Throws {@link IllegalArgumentException} unless {@code batch} carries offsets nextOffset, nextOffset+1, .... */
  static void require(List<LogRecord> batch, long nextOffset) {
    for (int i = 0; i < batch.size(); i++) {
      long offset = batch.get(i).offset();
      if (offset != nextOffset + i) {
        throw new IllegalArgumentException("record " + i + " of the batch has offset " + offset + " but "
            + (nextOffset + i) + " was expected (offsets must continue densely from " + nextOffset + ")");
      }
    }
  }
}
