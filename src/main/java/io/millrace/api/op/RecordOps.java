package io.millrace.api.op;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.model.Requests.GetRecordsRequest;
import io.millrace.api.model.Requests.GetShardIteratorRequest;
import io.millrace.api.model.Requests.PutRecordRequest;
import io.millrace.api.model.Requests.PutRecordsRequest;
import io.millrace.api.model.Requests.PutRecordsRequestEntry;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.metrics.KinesisMetrics;
import io.millrace.shard.ShardIterator;
import io.millrace.stream.DataPlane;
import io.millrace.stream.DataPlane.PutEntry;
import io.millrace.stream.DataPlane.PutOutcome;
import io.millrace.stream.StreamKey;
import io.millrace.stream.ShardMeta;
import io.millrace.stream.StreamMeta;
import io.millrace.stream.StreamRecord;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The data-plane actions: PutRecord, PutRecords, GetShardIterator, GetRecords. */
final class RecordOps {

  private RecordOps() {}

  static final class PutRecord extends BaseOperation<PutRecordRequest, Responses.PutRecordResponse> {
    private final DataPlane data;
    private final KinesisMetrics metrics;

    PutRecord(DataPlane data, KinesisMetrics metrics) {
      super("PutRecord", PutRecordRequest.class);
      this.data = data;
      this.metrics = metrics;
    }

    @Override
    public Future<Responses.PutRecordResponse> handle(PutRecordRequest r, RequestScope scope) {
      long started = System.nanoTime();
      StreamKey key = scope.streamKey(r);
      StreamMeta stream = data.requireServing(key);
      if (r.sequenceNumberForOrdering() != null) {
        data.requireOrderingSequence(key, r.sequenceNumberForOrdering());
      }
      return data.put(key, List.of(new PutEntry(r.partitionKey(), r.explicitHashKey(), r.data()))).map(outcomes -> {
        PutOutcome o = outcomes.get(0);
        metrics.putRecord(key, o.shardId(), r.data().length, o.error() == null, throttled(o),
            millisSince(started));
        if (o.error() != null) {
          throw o.error();
        }
        return new Responses.PutRecordResponse(o.shardId(), o.sequenceNumber(), stream.encryptionType());
      });
    }
  }

  static final class PutRecords extends BaseOperation<PutRecordsRequest, Responses.PutRecordsResponse> {
    private final DataPlane data;
    private final KinesisMetrics metrics;

    PutRecords(DataPlane data, KinesisMetrics metrics) {
      super("PutRecords", PutRecordsRequest.class);
      this.data = data;
      this.metrics = metrics;
    }

    @Override
    public Future<Responses.PutRecordsResponse> handle(PutRecordsRequest r, RequestScope scope) {
      long started = System.nanoTime();
      StreamKey key = scope.streamKey(r);
      StreamMeta stream = data.requireServing(key);
      List<PutEntry> entries = new ArrayList<>(r.records().size());
      for (PutRecordsRequestEntry e : r.records()) {
        entries.add(new PutEntry(e.partitionKey(), e.explicitHashKey(), e.data()));
      }
      return data.put(key, entries).map(outcomes -> {
        List<Responses.PutRecordsResultEntry> results = new ArrayList<>(outcomes.size());
        int failed = 0;
        int throttled = 0;
        long storedBytes = 0;
        Map<String, long[]> storedByShard = new HashMap<>();
        Map<String, Integer> throttledByShard = new HashMap<>();
        for (int i = 0; i < outcomes.size(); i++) {
          PutOutcome o = outcomes.get(i);
          if (o.error() == null) {
            results.add(new Responses.PutRecordsResultEntry(o.sequenceNumber(), o.shardId(), null, null));
            long bytes = entries.get(i).data().length;
            storedBytes += bytes;
            long[] shard = storedByShard.computeIfAbsent(o.shardId(), s -> new long[2]);
            shard[0]++;
            shard[1] += bytes;
          } else {
            failed++;
            if (throttled(o)) {
              throttled++;
              throttledByShard.merge(o.shardId(), 1, Integer::sum);
            }
            results.add(new Responses.PutRecordsResultEntry(null, null, o.error().code().wireType(),
                o.error().getMessage()));
          }
        }
        metrics.putRecords(key, outcomes.size(), outcomes.size() - failed, storedBytes, throttled, storedByShard,
            throttledByShard, millisSince(started));
        return new Responses.PutRecordsResponse(failed, results, stream.encryptionType());
      });
    }
  }

  static final class GetShardIterator
      extends BaseOperation<GetShardIteratorRequest, Responses.GetShardIteratorResponse> {
    private final DataPlane data;

    GetShardIterator(DataPlane data) {
      super("GetShardIterator", GetShardIteratorRequest.class);
      this.data = data;
    }

    @Override
    public Future<Responses.GetShardIteratorResponse> handle(GetShardIteratorRequest r, RequestScope scope) {
      DataPlane.IteratorType type = DataPlane.IteratorType.valueOf(r.shardIteratorType());
      Long at = r.timestamp() == null ? null : r.timestamp().toEpochMilli();
      return data.shardIterator(scope.streamKey(r), r.shardId(), type, r.startingSequenceNumber(), at)
          .map(Responses.GetShardIteratorResponse::new);
    }
  }

  static final class GetRecords extends BaseOperation<GetRecordsRequest, Responses.GetRecordsResponse> {
    private final DataPlane data;
    private final KinesisMetrics metrics;

    GetRecords(DataPlane data, KinesisMetrics metrics) {
      super("GetRecords", GetRecordsRequest.class);
      this.data = data;
      this.metrics = metrics;
    }

    @Override
    public Future<Responses.GetRecordsResponse> handle(GetRecordsRequest r, RequestScope scope) {
      long started = System.nanoTime();
      int limit = r.limit() == null ? KinesisLimits.MAX_GET_RECORDS_RECORDS : r.limit();
      return data.records(r.shardIterator(), limit, r.streamARN()).map(page -> {
        long bytes = 0;
        for (StreamRecord record : page.records()) {
          bytes += record.data().length;
        }
        long age = page.records().isEmpty() ? 0
            : Math.max(0, data.clock().millis() - page.records().get(page.records().size() - 1).arrivalMillis());
        metrics.getRecords(page.stream(), page.shardId(), page.records().size(), bytes, age, millisSince(started));
        return new Responses.GetRecordsResponse(Shapes.records(page.records()), page.nextIterator(),
            page.millisBehindLatest(), Shapes.childShards(page.childShards()));
      }).onFailure(e -> {
        if (e instanceof KinesisException.ProvisionedThroughputExceeded) {
          ShardIterator.decode(r.shardIterator(), data.signer()).ifPresent(it -> metrics.readThrottled(
              new StreamKey(it.account(), it.region(), it.streamName()), ShardMeta.shardId(it.shardIndex())));
        }
      });
    }
  }

  private static boolean throttled(PutOutcome o) {
    return o.error() instanceof KinesisException.ProvisionedThroughputExceeded;
  }

  private static long millisSince(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }

  static List<Operation<?, ?>> all(DataPlane data, KinesisMetrics metrics) {
    return List.of(new PutRecord(data, metrics), new PutRecords(data, metrics), new GetShardIterator(data),
        new GetRecords(data, metrics));
  }
}
