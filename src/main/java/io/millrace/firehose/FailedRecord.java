package io.millrace.firehose;

/**
 * A record that a processor could not process, with what a failure record (one JSON line under the error output
 * prefix's {@code processing-failed}) says about it: {@code rawData}, {@code errorCode}, {@code errorMessage},
 * {@code attemptsMade}, {@code arrivalTimestamp} and, for a Lambda failure, {@code lambdaARN}. The time the attempts
 * ended ({@code attemptEndingTimestamp}) is the writer's to add.
 *
 * <p>Immutable (the array is not copied: do not change it).
 *
 * @param rawData       the record's bytes as the failed processor received them
 * @param arrivalMillis when the delivery stream accepted the record (epoch milliseconds)
 * @param errorCode     such as {@code Lambda.ProcessingFailedStatus} (see {@link ProcessingError})
 * @param errorMessage  the message that goes with it
 * @param attemptsMade  how many times the processor tried (Lambda invocations; 1 for the other processors)
 * @param lambdaArn     the function's LambdaArn as configured, or null when no Lambda function was involved
 */
public record FailedRecord(byte[] rawData, long arrivalMillis, String errorCode, String errorMessage,
                           int attemptsMade, String lambdaArn) {

  /** A failure with {@code error}'s code and default message, in one attempt, of no Lambda function. */
  public static FailedRecord of(FirehoseRecord record, ProcessingError error) {
    return of(record, error, error.message());
  }

  /** A failure with {@code error}'s code and the given message, in one attempt, of no Lambda function. */
  public static FailedRecord of(FirehoseRecord record, ProcessingError error, String message) {
    return new FailedRecord(record.data(), record.arrivalMillis(), error.code(), message, 1, null);
  }
}
