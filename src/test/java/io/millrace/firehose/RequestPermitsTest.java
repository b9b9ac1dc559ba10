package io.millrace.firehose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestPermitsTest {

  @Test
  void a_request_past_the_permits_waits_for_one_to_be_given_back_and_waiters_go_in_order() {
    RequestPermits permits = new RequestPermits(2);
    assertTrue(permits.acquire().succeeded());
    assertTrue(permits.acquire().succeeded());
    Future<Void> third = permits.acquire();
    Future<Void> fourth = permits.acquire();
    assertFalse(third.isComplete());
    permits.release();
    assertTrue(third.succeeded());
    assertFalse(fourth.isComplete(), "first come, first served");
    permits.release();
    assertTrue(fourth.succeeded());
    assertEquals(2, permits.inUse());
    permits.release();
    permits.release();
    assertEquals(0, permits.inUse());
  }

  @Test
  void work_done_under_a_permit_gives_it_back_whether_it_succeeds_fails_or_throws() {
    RequestPermits permits = new RequestPermits(1);
    Promise<String> running = Promise.promise();
    Future<String> first = permits.with(running::future);
    Future<String> second = permits.with(() -> Future.succeededFuture("second"));
    assertEquals(1, permits.inUse());
    assertFalse(second.isComplete(), "held while the first request runs");
    running.fail("refused");
    assertTrue(first.failed());
    assertEquals("second", second.result());
    Future<String> thrown = permits.with(() -> {
      throw new IllegalStateException("no client");
    });
    assertTrue(thrown.failed());
    assertEquals(0, permits.inUse());
    List<Future<String>> many = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      many.add(permits.with(() -> Future.succeededFuture("ok")));
    }
    assertTrue(many.stream().allMatch(Future::succeeded));
    assertThrows(IllegalArgumentException.class, () -> new RequestPermits(0));
  }
}
