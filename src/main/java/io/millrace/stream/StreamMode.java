package io.millrace.stream;

/** Capacity mode, named as on the wire. */
public enum StreamMode {
  PROVISIONED, ON_DEMAND
}
