package io.millrace.storage;

import static io.millrace.storage.TestRecords.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryShardLogTest extends ShardLogContractTest {

  @Override
  protected ShardLog createLog() {
    return new MemoryShardLog();
  }

  @Test
  void trimmed_records_are_no_longer_held_and_can_be_garbage_collected() throws Exception {
    List<WeakReference<LogRecord>> expired = new ArrayList<>();
    List<LogRecord> records = batch(0, 200, 10_000);
    records.subList(0, 100).forEach(record -> expired.add(new WeakReference<>(record)));
    log.append(records);
    records = null;
    assertEquals(100, log.trimOlderThan(100_000));

    for (int attempt = 0; attempt < 20 && expired.stream().anyMatch(ref -> ref.get() != null); attempt++) {
      System.gc();
    }
    for (WeakReference<LogRecord> reference : expired) {
      assertNull(reference.get(), "a trimmed record is still reachable");
    }
    assertEquals(batch(100, 100, 10_000), log.read(0, 1_000, Long.MAX_VALUE));
  }
}
