package io.millrace.concurrent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** A future that completes after a pause, on a Vert.x timer (never a sleeping thread). */
public final class Delay {

  private Delay() {}

  /** Completes after {@code millis} (at once when it is 0 or less). */
  public static Future<Void> of(Vertx vertx, long millis) {
    if (millis <= 0) {
      return Future.succeededFuture();
    }
    return Future.future(p -> vertx.setTimer(millis, id -> p.complete()));
  }
}
