package io.millrace.shard;

/** A registered tip listener ({@link ShardHandle#listen}): its id, for unlisten, and the tip when it registered. */
public record TipSubscription(long id, long tipOffset) {}
