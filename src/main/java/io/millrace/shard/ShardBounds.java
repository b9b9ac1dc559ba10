package io.millrace.shard;

/** A shard's readable range, read together on its context: offsets {@code [startOffset, tipOffset)}. */
public record ShardBounds(long startOffset, long tipOffset) {}
