package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DirectPutQuotaTest {

  @Test
  void requests_records_and_bytes_are_each_capped_per_second() {
    DirectPutQuota quota = new DirectPutQuota();
    long t = 1_000_000;
    for (int i = 0; i < DirectPutQuota.REQUESTS_PER_SECOND; i++) {
      assertTrue(quota.tryTake(t, 1, 1));
    }
    assertFalse(quota.tryTake(t + 999, 1, 1), "the 2,001st request of a second");
    assertTrue(quota.tryTake(t + 1000, 1, 1), "a new second starts afresh");

    DirectPutQuota bytes = new DirectPutQuota();
    assertTrue(bytes.tryTake(t, 1, DirectPutQuota.BYTES_PER_SECOND));
    assertFalse(bytes.tryTake(t, 1, 1), "5 MiB in a second, and no more");

    DirectPutQuota records = new DirectPutQuota();
    assertTrue(records.tryTake(t, 500, 0));
    assertFalse(records.tryTake(t, (int) DirectPutQuota.RECORDS_PER_SECOND, 0), "a refused put takes nothing");
    assertTrue(records.tryTake(t, 499_500, 0));
  }
}
