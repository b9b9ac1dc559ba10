package io.millrace.firehose;

/** A delivery stream's states, as Firehose reports them (the failure states are never entered here). */
public enum DeliveryStreamStatus {
  CREATING, ACTIVE, DELETING
}
