package io.millrace.firehose;

import io.millrace.concurrent.OnContext;
import io.vertx.core.Future;
import java.util.List;

/**
 * The way to a running delivery from any context: each call hops onto the delivery's own context and completes on
 * the caller's.
 */
public final class DeliveryHandle {

  private final DeliveryStreamVerticle delivery;

  DeliveryHandle(DeliveryStreamVerticle delivery) {
    this.delivery = delivery;
  }

  /**
   * Buffers records durably; completes once they are acknowledged (the offsets they got), or fails with
   * ServiceUnavailableException when the delivery stream's buffer is full.
   */
  public Future<DeliveryStreamVerticle.Accepted> put(List<byte[]> records) {
    return OnContext.call(delivery.ownerContext(), () -> delivery.put(records));
  }

  /** Starts a batch now if one is due (by size or by the interval, at the delivery's clock); true if delivering. */
  public Future<Boolean> checkNow() {
    return OnContext.call(delivery.ownerContext(), () -> Future.succeededFuture(delivery.checkNow()));
  }
}
