package io.millrace.shard;

/**
 * Where a closed shard ended (a reshard closed it): the offset after its last acknowledged record, and the arrival
 * time of that record (0 if it never had one).
 */
public record ShardEnd(long endOffset, long lastArrivalMillis) {}
