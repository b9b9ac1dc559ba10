package io.millrace.firehose;

/**
 * The error codes and default messages of records that a processor could not process, as a failure record (under
 * {@code processing-failed}) reports them: one row per code, so that no code is spelled twice.
 *
 * <p>Where the words come from (see /work/notes/firehose-facts.md): the Lambda codes MissingRecordId,
 * DuplicatedRecordId, JsonProcessingException, InvokeAccessDenied, InvokeLimitExceeded and ResourceNotFound with their
 * messages are the Firehose developer guide's (monitoring-with-cloudwatch-logs.md); ProcessingFailedStatus is a real
 * AWS capture (facts §4.4); FunctionError with its message is in failure records captured from AWS and published by
 * users; MetadataExtractionFailed with "Non JSON record provided" is reported by users of AWS. The timeout's message is
 * the guide's, its code is <b>Millrace's</b>; so are {@link #LAMBDA_INVOKE_FAILED} (the Invoke call itself failed:
 * connection refused, say), {@link #DEAGGREGATION_FAILED} (AWS's behaviour for a record that is not JSON is
 * undocumented), {@link #PARTITION_KEY_MISSING} and {@link #PARTITION_LIMIT_EXCEEDED} (AWS documents that such
 * records go to the error prefix, not with which code).
 *
 * <p>Immutable.
 */
public enum ProcessingError {

  LAMBDA_MISSING_RECORD_ID("Lambda.MissingRecordId", "One or more record IDs were not returned. Ensure that the "
      + "Lambda function returns all received record IDs."),
  LAMBDA_DUPLICATED_RECORD_ID("Lambda.DuplicatedRecordId", "Multiple records were returned with the same record ID. "
      + "Ensure that the Lambda function returns unique record IDs for each record."),
  LAMBDA_JSON_PROCESSING_EXCEPTION("Lambda.JsonProcessingException", "There was an error parsing returned records "
      + "from the Lambda function. Ensure that the returned records follow the status model required by Kinesis "
      + "Firehose."),
  LAMBDA_FUNCTION_ERROR("Lambda.FunctionError", "The Lambda function was successfully invoked but it returned an "
      + "error result."),
  LAMBDA_PROCESSING_FAILED_STATUS("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record"),
  LAMBDA_INVOKE_ACCESS_DENIED("Lambda.InvokeAccessDenied", "Access was denied. Ensure that the access policy allows "
      + "access to the Lambda function."),
  LAMBDA_INVOKE_LIMIT_EXCEEDED("Lambda.InvokeLimitExceeded", "The Lambda concurrent execution limit is exceeded. "
      + "Increase the concurrent execution limit."),
  LAMBDA_RESOURCE_NOT_FOUND("Lambda.ResourceNotFound", "The specified Lambda function does not exist. Use a "
      + "different function that does exist."),
  /** Millrace's code, the guide's message. */
  LAMBDA_INVOKE_TIMEOUT("Lambda.InvokeTimeout", "Firehose encountered timeout errors when calling AWS Lambda. The "
      + "maximum supported function timeout is 5 minutes."),
  /** Millrace's code: the Invoke call failed before Lambda answered (the endpoint refused the connection, say). */
  LAMBDA_INVOKE_FAILED("Lambda.InvokeFailed", "Firehose could not invoke the Lambda function."),
  METADATA_EXTRACTION_FAILED("DynamicPartitioning.MetadataExtractionFailed", "Non JSON record provided"),
  /** Millrace's code: the record lacks a partition key its delivery stream's S3 prefix uses. */
  PARTITION_KEY_MISSING("DynamicPartitioning.PartitionKeyMissing", "The record has no value for a partition key "
      + "that the S3 prefix uses."),
  /** Millrace's code: the batch already writes as many partitions as Firehose's default quota of active partitions. */
  PARTITION_LIMIT_EXCEEDED("DynamicPartitioning.ActivePartitionsLimitExceeded", "The record would open a partition "
      + "past the limit of " + S3ObjectWriter.MAX_PARTITIONS + " active partitions of a delivery stream."),
  /** Millrace's code: RecordDeAggregation with SubRecordType JSON met a record that is not JSON objects. */
  DEAGGREGATION_FAILED("RecordDeAggregation.InvalidJson", "The record is not JSON objects, concatenated or "
      + "separated by newlines, so it cannot be deaggregated.");

  private final String code;
  private final String message;

  ProcessingError(String code, String message) {
    this.code = code;
    this.message = message;
  }

  /** The {@code errorCode} of a failure record, such as {@code Lambda.MissingRecordId}. */
  public String code() {
    return code;
  }

  /** The default {@code errorMessage}. */
  public String message() {
    return message;
  }
}
