package io.millrace.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteRateCapTest {

  @Test
  void the_whole_allowance_is_there_at_first_and_comes_back_one_second_after_it_was_used() {
    ByteRateCap cap = new ByteRateCap(1000);
    assertEquals(1000, cap.allowance(5_000));
    cap.sent(5_000, 600);
    assertEquals(400, cap.allowance(5_000));
    assertEquals(400, cap.allowance(5_999));
    assertTrue(cap.fits(5_500, 400));
    assertFalse(cap.fits(5_500, 401));
    assertEquals(1000, cap.allowance(6_010)); // the 10 ms slot of 5,000 left the window at 6,010
    assertEquals(1000, cap.allowance(7_000));
  }

  @Test
  void wait_millis_names_the_moment_enough_old_bytes_leave_the_window() {
    ByteRateCap cap = new ByteRateCap(1000);
    cap.sent(10_000, 500);
    cap.sent(10_300, 500);
    assertEquals(0, cap.waitMillis(10_400, 0));
    long wait = cap.waitMillis(10_400, 200); // needs the 10,000 slot gone: at 11,010
    assertEquals(610, wait);
    assertTrue(cap.fits(10_400 + wait, 200));
    assertFalse(cap.fits(10_400 + wait - 1, 200));
    assertEquals(910, cap.waitMillis(10_400, 600)); // both slots must go: at 11,310
  }

  @Test
  void a_batch_bigger_than_the_cap_goes_alone_once_the_window_is_empty() {
    ByteRateCap cap = new ByteRateCap(1000);
    assertTrue(cap.fits(0, 5000));
    cap.sent(0, 10);
    assertFalse(cap.fits(500, 5000));
    assertEquals(1010, cap.waitMillis(0, 5000));
    assertTrue(cap.fits(1010, 5000));
  }

  @Test
  void a_sender_obeying_the_cap_never_exceeds_it_in_any_one_second_window() {
    Random random = new Random(42);
    long max = 10_000;
    ByteRateCap cap = new ByteRateCap(max);
    Deque<long[]> sent = new ArrayDeque<>();
    long now = 1_000_000;
    long total = 0;
    for (int i = 0; i < 20_000; i++) {
      now += random.nextInt(30);
      long want = 1 + random.nextInt(3000);
      long wait = cap.waitMillis(now, want);
      if (wait > 0) {
        assertFalse(cap.fits(now, want));
        now += wait;
      }
      assertTrue(cap.fits(now, want));
      cap.sent(now, want);
      total += want;
      sent.addLast(new long[] {now, want});
      while (sent.peekFirst()[0] <= now - 1000) {
        sent.removeFirst();
      }
      long inWindow = sent.stream().mapToLong(e -> e[1]).sum();
      assertTrue(inWindow <= max, "sent " + inWindow + " in the second up to " + now);
    }
    // ... and it is not starved either: the cap is mostly used (the 10 ms slots cost a little).
    double seconds = (now - 1_000_000) / 1000.0;
    assertTrue(total / seconds > 0.8 * max, "only " + total / seconds + " bytes/s");
  }

  @Test
  void a_cap_below_one_byte_is_refused() {
    assertThrows(IllegalArgumentException.class, () -> new ByteRateCap(0));
  }
}
