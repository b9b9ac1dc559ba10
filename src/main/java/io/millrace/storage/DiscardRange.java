package io.millrace.storage;

/** The argument check of {@link ShardLog#discardFrom}, shared by its implementations. */
final class DiscardRange {

  private DiscardRange() {}

  static void require(long offset, long firstDiscardable, long nextOffset) {
    if (offset < firstDiscardable || offset > nextOffset) {
      throw new IllegalArgumentException("cannot discard from offset " + offset + ": only offsets from "
          + firstDiscardable + " to " + nextOffset + " can be discarded");
    }
  }
}
