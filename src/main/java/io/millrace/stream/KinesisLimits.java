package io.millrace.stream;

/**
 * Amazon Kinesis Data Streams' fixed quotas, in one place: the API layer validates against them and the core
 * enforces them, each from here. (Configurable limits, like the account's shard limit, are in
 * {@link ControlPlane.Limits}; the on-disk format's own bounds are the storage's.)
 */
public final class KinesisLimits {

  private KinesisLimits() {}

  /** Largest record data blob: 10 MiB (a stream's MaxRecordSizeInKiB may lower what it accepts, default 1 MiB). */
  public static final int MAX_RECORD_DATA_BYTES = 10 * 1024 * 1024;

  /** Most records in one PutRecords call. */
  public static final int MAX_PUT_RECORDS_ENTRIES = 500;

  /** Largest PutRecords payload (data plus partition keys), as on the current AWS API page. */
  public static final long MAX_PUT_RECORDS_BYTES = 10L * 1024 * 1024;

  /** Most records one GetRecords call returns, and its default Limit. */
  public static final int MAX_GET_RECORDS_RECORDS = 10_000;

  /** Largest GetRecords response. */
  public static final long MAX_GET_RECORDS_BYTES = 10L * 1024 * 1024;

  /** Most stream names one ListStreams call returns, whatever its Limit (AWS's API reference). */
  public static final int MAX_LIST_STREAMS_NAMES = 100;

  /** Most shards one ListShards call returns, and its default MaxResults. */
  public static final int MAX_LIST_SHARDS_RESULTS = 1000;

  /** Most tags on a stream or consumer. */
  public static final int MAX_TAGS = 50;

  /** Most consumers per stream (outside On-demand Advantage accounts). */
  public static final int MAX_CONSUMERS_PER_STREAM = 20;

  /** Most consumers of one stream CREATING at once. */
  public static final int MAX_CONSUMERS_CREATING = 5;

  /** Shortest and longest retention period, in hours (24 hours to 365 days). */
  public static final int MIN_RETENTION_HOURS = 24;
  public static final int MAX_RETENTION_HOURS = 8760;
}
