package io.millrace.api.op;

import io.millrace.stream.KinesisLimits;
import io.millrace.api.model.Requests.GetRecordsRequest;
import io.millrace.api.model.Requests.GetShardIteratorRequest;
import io.millrace.api.model.Requests.PutRecordRequest;
import io.millrace.api.model.Requests.PutRecordsRequest;
import io.millrace.api.model.Requests.PutRecordsRequestEntry;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.DataPlane;
import io.millrace.stream.DataPlane.PutEntry;
import io.millrace.stream.DataPlane.PutOutcome;
import io.millrace.stream.StreamKey;
import io.millrace.stream.StreamMeta;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/** The data-plane actions: PutRecord, PutRecords, GetShardIterator, GetRecords. */
final class RecordOps {

  private RecordOps() {}

  static final class PutRecord extends BaseOperation<PutRecordRequest, Responses.PutRecordResponse> {
    private final DataPlane data;

    PutRecord(DataPlane data) {
      super("PutRecord", PutRecordRequest.class);
      this.data = data;
    }

    @Override
    public Future<Responses.PutRecordResponse> handle(PutRecordRequest r, RequestScope scope) {
      StreamKey key = scope.streamKey(r);
      StreamMeta stream = data.requireServing(key);
      if (r.sequenceNumberForOrdering() != null) {
        data.requireOrderingSequence(key, r.sequenceNumberForOrdering());
      }
      return data.put(key, List.of(new PutEntry(r.partitionKey(), r.explicitHashKey(), r.data()))).map(outcomes -> {
        PutOutcome o = outcomes.get(0);
        if (o.error() != null) {
          throw o.error();
        }
        return new Responses.PutRecordResponse(o.shardId(), o.sequenceNumber(), stream.encryptionType());
      });
    }
  }

  static final class PutRecords extends BaseOperation<PutRecordsRequest, Responses.PutRecordsResponse> {
    private final DataPlane data;

    PutRecords(DataPlane data) {
      super("PutRecords", PutRecordsRequest.class);
      this.data = data;
    }

    @Override
    public Future<Responses.PutRecordsResponse> handle(PutRecordsRequest r, RequestScope scope) {
      StreamKey key = scope.streamKey(r);
      StreamMeta stream = data.requireServing(key);
      List<PutEntry> entries = new ArrayList<>(r.records().size());
      for (PutRecordsRequestEntry e : r.records()) {
        entries.add(new PutEntry(e.partitionKey(), e.explicitHashKey(), e.data()));
      }
      return data.put(key, entries).map(outcomes -> {
        List<Responses.PutRecordsResultEntry> results = new ArrayList<>(outcomes.size());
        int failed = 0;
        for (PutOutcome o : outcomes) {
          if (o.error() == null) {
            results.add(new Responses.PutRecordsResultEntry(o.sequenceNumber(), o.shardId(), null, null));
          } else {
            failed++;
            results.add(new Responses.PutRecordsResultEntry(null, null, o.error().code().wireType(),
                o.error().getMessage()));
          }
        }
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

    GetRecords(DataPlane data) {
      super("GetRecords", GetRecordsRequest.class);
      this.data = data;
    }

    @Override
    public Future<Responses.GetRecordsResponse> handle(GetRecordsRequest r, RequestScope scope) {
      int limit = r.limit() == null ? KinesisLimits.MAX_GET_RECORDS_RECORDS : r.limit();
      return data.records(r.shardIterator(), limit, r.streamARN()).map(page -> new Responses.GetRecordsResponse(
          Shapes.records(page.records()), page.nextIterator(), page.millisBehindLatest(),
          Shapes.childShards(page.childShards())));
    }
  }

  static List<Operation<?, ?>> all(DataPlane data) {
    return List.of(new PutRecord(data), new PutRecords(data), new GetShardIterator(data), new GetRecords(data));
  }
}
