package io.millrace.firehose;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.millrace.firehose.FirehoseConfig.Processor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Firehose's MetadataExtraction processor (dynamic partitioning by inline parsing): each record is read as one JSON
 * value and the MetadataExtractionQuery ({@link JqQuery}, jq 1.6) gives its partition keys, which join the keys the
 * record already has (a Lambda function's, say; the query's win on a clash). The record's data is unchanged.
 *
 * <p>A record fails with {@link ProcessingError#METADATA_EXTRACTION_FAILED} when it is not one JSON value (message
 * {@code Non JSON record provided}, as AWS reports it), or when the query fails, gives no object of scalars, or gives
 * a null or empty key (the message then says why, in Millrace's words).
 *
 * <p>Immutable; thread-safe. Pure computation, no I/O.
 */
public final class MetadataExtractor implements RecordProcessor {

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final JqQuery query;

  public MetadataExtractor(JqQuery query) {
    this.query = query;
  }

  /**
   * The MetadataExtraction processor {@code processor} configures: its MetadataExtractionQuery compiled.
   * IllegalArgumentException when the query is missing or not jq, or JsonParsingEngine is not {@code JQ-1.6}.
   */
  public static MetadataExtractor from(Processor processor) {
    String engine = processor.parameter("JsonParsingEngine");
    if (engine != null && !engine.equals("JQ-1.6")) {
      throw new IllegalArgumentException("JsonParsingEngine " + engine + " is not supported; the only engine is "
          + "JQ-1.6.");
    }
    String query = processor.parameter("MetadataExtractionQuery");
    if (query == null) {
      throw new IllegalArgumentException("A MetadataExtraction processor needs the parameter "
          + "MetadataExtractionQuery.");
    }
    return new MetadataExtractor(JqQuery.compile(query));
  }

  @Override
  public ProcessingResult process(List<FirehoseRecord> records) {
    List<FirehoseRecord> out = new ArrayList<>(records.size());
    List<FailedRecord> failed = new ArrayList<>();
    for (FirehoseRecord r : records) {
      JsonNode json;
      try {
        json = r.data().length == 0 ? null : MAPPER.readTree(r.data());
      } catch (IOException e) {
        json = null;
      }
      if (json == null || json.isMissingNode()) {
        failed.add(FailedRecord.of(r, ProcessingError.METADATA_EXTRACTION_FAILED));
        continue;
      }
      Map<String, String> keys;
      try {
        keys = query.partitionKeys(json);
      } catch (IllegalArgumentException e) {
        failed.add(FailedRecord.of(r, ProcessingError.METADATA_EXTRACTION_FAILED, e.getMessage()));
        continue;
      }
      String empty = keys.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey)
          .findFirst().orElse(null);
      if (empty != null) {
        failed.add(FailedRecord.of(r, ProcessingError.METADATA_EXTRACTION_FAILED,
            "The partition key " + empty + " is empty"));
        continue;
      }
      Map<String, String> all = new LinkedHashMap<>(r.partitionKeys());
      all.putAll(keys);
      out.add(new FirehoseRecord(r.data(), r.arrivalMillis(), all));
    }
    return new ProcessingResult(out, failed);
  }
}
