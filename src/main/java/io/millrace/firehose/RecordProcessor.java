package io.millrace.firehose;

import java.util.List;

/**
 * One processor of a delivery stream's ProcessingConfiguration ({@link RecordDeaggregator}, {@link LambdaProcessor},
 * {@link MetadataExtractor}, {@link AppendDelimiter}): records in, the records that go on and the ones that failed
 * out. Chain them with {@link ProcessingResult#then(RecordProcessor)}.
 *
 * <p>Threading: implementations are stateless or immutable and safe to call from any thread; some block
 * ({@link LambdaProcessor} calls Lambda), so call them on a worker, never on an event loop.
 */
@FunctionalInterface
public interface RecordProcessor {

  /** Processes {@code records}, in order; the result keeps the order of the records that go on. */
  ProcessingResult process(List<FirehoseRecord> records);
}
