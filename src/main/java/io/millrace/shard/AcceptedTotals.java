package io.millrace.shard;

/** Records and billed bytes a shard accepted for writing since it started (throttled ones excluded). */
public record AcceptedTotals(long records, long bytes) {}
