package io.millrace.shard;

import io.millrace.storage.LogRecord;
import java.util.List;

/**
 * What a read of one shard found.
 *
 * @param records           the records, in offset order (possibly empty)
 * @param nextOffset        where the next read should start
 * @param tipOffset         the offset the next acknowledged record will get (records at or beyond are not visible)
 * @param startOffset       the oldest offset still held
 */
public record ReadResult(List<LogRecord> records, long nextOffset, long tipOffset, long startOffset) {

  public boolean caughtUp() {
    return nextOffset >= tipOffset;
  }
}
