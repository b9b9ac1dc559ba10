package io.millrace.firehose;

import io.millrace.firehose.FirehoseConfig.Processor;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * Firehose's Lambda processor (data transformation): records go to a Lambda function in invocations of at most
 * BufferSizeInMBs of data, and each comes back transformed ({@link Ok}, with new data and maybe
 * {@code metadata.partitionKeys}), {@link Dropped}, or failed ({@link Failed}).
 *
 * <p>The event and the response are Firehose's (firehose-facts §4.2, §4.3), written and read by
 * {@link LambdaMessages}, which also states the status model's rules.
 *
 * <p><b>Failures.</b> A record with result ProcessingFailed fails alone ({@code Lambda.ProcessingFailedStatus}). The
 * whole invocation fails, and is tried again up to NumberOfRetries times, when the function returns an error
 * ({@code Lambda.FunctionError}), the response is not the status model ({@code Lambda.JsonProcessingException}:
 * unparsable, no records array, an unknown result, an Ok without base64 data, a record id that was not sent),
 * repeats a record id ({@code Lambda.DuplicatedRecordId}) or leaves one out ({@code Lambda.MissingRecordId}), or
 * the Invoke call fails ({@code Lambda.ResourceNotFound}, {@code Lambda.InvokeAccessDenied},
 * {@code Lambda.InvokeLimitExceeded}, {@code Lambda.InvokeTimeout}, {@code Lambda.InvokeFailed}; see
 * {@link ProcessingError}). After the last attempt every record of the invocation fails with the last attempt's
 * error and {@code attemptsMade} = NumberOfRetries + 1. Other invocations of the same call are not affected.
 *
 * <p><b>Function name.</b> The function is invoked by the name (and qualifier) taken from the LambdaArn
 * ({@code arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]}): real Lambda takes either form, local
 * runtimes (serverless-offline) only the name. A LambdaArn that is not an ARN is passed as it is.
 *
 * <p><b>Threading.</b> Blocking: {@link #invoke} calls Lambda synchronously (an invocation may take up to 5
 * minutes) and pauses between attempts, so call it on a worker thread, never on an event loop. Immutable otherwise,
 * and safe to call from several threads at once (the {@link LambdaClient} is thread-safe). The client belongs to the
 * caller, who closes it.
 *
 * <p>Design note: the SDK's own retries are off in {@link #client}, so that an attempt is one Invoke call and
 * {@code attemptsMade} means what Firehose's failure records say.
 */
public final class LambdaProcessor implements RecordProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(LambdaProcessor.class);

  /** NumberOfRetries when the configuration gives none. */
  public static final int DEFAULT_NUMBER_OF_RETRIES = 3;
  /** BufferSizeInMBs when the configuration gives none: 1 MiB of record data per invocation. */
  public static final long DEFAULT_BUFFER_SIZE_BYTES = 1L << 20;
  /** The largest BufferSizeInMBs: 3 MiB, base64 in an event well under Lambda's 6 MB payload limit. */
  public static final long MAX_BUFFER_SIZE_BYTES = 3L << 20;
  /** How long one invocation may take, as Firehose allows. */
  public static final Duration INVOKE_TIMEOUT = Duration.ofMinutes(5);
  /** The pause before an invocation is tried again, unless the settings say otherwise. */
  public static final Duration DEFAULT_RETRY_PAUSE = Duration.ofSeconds(1);

  /**
   * How a delivery stream's Lambda processor runs.
   *
   * @param lambdaArn              the LambdaArn parameter, as configured (it also goes into failure records)
   * @param numberOfRetries        invocations tried again after a failed one (NumberOfRetries, default 3)
   * @param bufferSizeBytes        record data per invocation, at most (BufferSizeInMBs, default 1 MiB); a larger
   *                               record goes alone
   * @param deliveryStreamArn      the event's {@code deliveryStreamArn}
   * @param region                 the event's {@code region}
   * @param sourceKinesisStreamArn the event's {@code sourceKinesisStreamArn}, or null for a Direct PUT stream
   * @param retryPause             the pause before each retry (default 1 s; zero: none)
   */
  public record Settings(String lambdaArn, int numberOfRetries, long bufferSizeBytes, String deliveryStreamArn,
                         String region, String sourceKinesisStreamArn, Duration retryPause) {

    public Settings {
      if (lambdaArn == null || lambdaArn.isBlank()) {
        throw new IllegalArgumentException("A Lambda processor needs the parameter LambdaArn.");
      }
      if (numberOfRetries < 0) {
        throw new IllegalArgumentException("NumberOfRetries must not be negative, not " + numberOfRetries + ".");
      }
      if (bufferSizeBytes <= 0 || bufferSizeBytes > MAX_BUFFER_SIZE_BYTES) {
        throw new IllegalArgumentException("The Lambda buffer must be more than 0 and at most 3 MiB, not "
            + bufferSizeBytes + " bytes.");
      }
      retryPause = retryPause == null ? DEFAULT_RETRY_PAUSE : retryPause;
    }

    /**
     * The settings of the Lambda processor {@code processor} configures: LambdaArn, NumberOfRetries (default 3),
     * BufferSizeInMBs (default 1; a decimal such as 0.5 is allowed), for a Direct PUT stream (see
     * {@link #withSourceKinesisStreamArn}). IllegalArgumentException naming a bad value.
     */
    public static Settings from(Processor processor, String deliveryStreamArn, String region) {
      int retries = DEFAULT_NUMBER_OF_RETRIES;
      String r = processor.parameter("NumberOfRetries");
      if (r != null) {
        try {
          retries = Integer.parseInt(r.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("NumberOfRetries must be a whole number, not " + r + ".");
        }
      }
      long bytes = DEFAULT_BUFFER_SIZE_BYTES;
      String b = processor.parameter("BufferSizeInMBs");
      if (b != null) {
        try {
          bytes = (long) (Double.parseDouble(b.trim()) * (1 << 20));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("BufferSizeInMBs must be a number, not " + b + ".");
        }
      }
      return new Settings(processor.parameter("LambdaArn"), retries, bytes, deliveryStreamArn, region, null,
          DEFAULT_RETRY_PAUSE);
    }

    /** These settings for a stream whose source is the Kinesis stream {@code arn}. */
    public Settings withSourceKinesisStreamArn(String arn) {
      return new Settings(lambdaArn, numberOfRetries, bufferSizeBytes, deliveryStreamArn, region, arn, retryPause);
    }

    /** These settings with another pause between attempts. */
    public Settings withRetryPause(Duration pause) {
      return new Settings(lambdaArn, numberOfRetries, bufferSizeBytes, deliveryStreamArn, region,
          sourceKinesisStreamArn, pause);
    }
  }

  /** The event's {@code kinesisRecordMetadata} of a record read from a Kinesis stream (times in epoch ms). */
  public record KinesisRecordMetadata(String shardId, String partitionKey, long approximateArrivalTimestamp,
                                      String sequenceNumber, long subsequenceNumber) {}

  /**
   * A record to transform.
   *
   * @param recordId              its id in the event, unique within one {@link #invoke} call
   * @param record                its data and arrival time (its partition keys carry over to the result)
   * @param kinesisRecordMetadata its Kinesis metadata, or null for a Direct PUT record
   */
  public record Input(String recordId, FirehoseRecord record, KinesisRecordMetadata kinesisRecordMetadata) {}

  /** What became of one record. */
  public sealed interface Outcome permits Ok, Dropped, Failed {
    String recordId();
  }

  /** Transformed: the new data, and the partition keys the function gave (empty if none). */
  public record Ok(String recordId, byte[] data, Map<String, String> partitionKeys) implements Outcome {
    public Ok {
      partitionKeys = Map.copyOf(partitionKeys);
    }
  }

  /** Dropped by the function on purpose: a success with nothing to deliver. */
  public record Dropped(String recordId) implements Outcome {}

  /** Failed, with the failure record's code, message and attempts. */
  public record Failed(String recordId, String errorCode, String errorMessage, int attemptsMade)
      implements Outcome {}

  /** The name and qualifier (null: none) Invoke is called with. */
  public record FunctionName(String name, String qualifier) {

    /** From {@code arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]}, or as it is. */
    public static FunctionName of(String lambdaArn) {
      String[] parts = lambdaArn.split(":", -1);
      if ((parts.length == 7 || parts.length == 8) && parts[0].equals("arn") && parts[2].equals("lambda")
          && parts[5].equals("function") && !parts[6].isEmpty()) {
        return new FunctionName(parts[6], parts.length == 8 && !parts[7].isEmpty() ? parts[7] : null);
      }
      return new FunctionName(lambdaArn, null);
    }
  }

  private final LambdaClient client;
  private final Settings settings;
  private final FunctionName function;

  public LambdaProcessor(LambdaClient client, Settings settings) {
    this.client = client;
    this.settings = settings;
    this.function = FunctionName.of(settings.lambdaArn());
  }

  /**
   * A client for the Lambda Invoke API at {@code endpoint} (empty or null: AWS's own endpoint for the region), signed
   * with the given credentials ({@code accessKeyId} empty: the SDK's default chain), over the JDK's HTTP client, with
   * the SDK's retries off and a timeout of {@link #INVOKE_TIMEOUT} per call. Thread-safe; the caller closes it.
   */
  public static LambdaClient client(String endpoint, String region, String accessKeyId, String secretAccessKey) {
    LambdaClientBuilder builder = LambdaClient.builder().region(Region.of(region))
        .credentialsProvider(OutboundCredentials.of(accessKeyId, secretAccessKey))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(INVOKE_TIMEOUT.plusSeconds(10)).build())
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallTimeout(INVOKE_TIMEOUT.plusSeconds(20)));
    if (endpoint != null && !endpoint.isEmpty()) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return builder.build();
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Transforms {@code records} (ids {@code "0"}, {@code "1"}, ... in the event): Ok records go on with their new data
   * and their partition keys joined by the function's, Dropped ones vanish, failed ones come back as failure records
   * of their original data. Blocking.
   */
  @Override
  public ProcessingResult process(List<FirehoseRecord> records) {
    List<Input> inputs = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      inputs.add(new Input(Integer.toString(i), records.get(i), null));
    }
    return processInputs(inputs);
  }

  /** {@link #process} with the caller's ids and Kinesis metadata. Blocking. */
  public ProcessingResult processInputs(List<Input> inputs) {
    List<Outcome> outcomes = invoke(inputs);
    List<FirehoseRecord> delivered = new ArrayList<>(inputs.size());
    List<FailedRecord> failed = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      FirehoseRecord in = inputs.get(i).record();
      Outcome outcome = outcomes.get(i);
      if (outcome instanceof Ok ok) {
        Map<String, String> keys = new LinkedHashMap<>(in.partitionKeys());
        keys.putAll(ok.partitionKeys());
        delivered.add(new FirehoseRecord(ok.data(), in.arrivalMillis(), keys));
      } else if (outcome instanceof Failed f) {
        failed.add(new FailedRecord(in.data(), in.arrivalMillis(), f.errorCode(), f.errorMessage(),
            f.attemptsMade(), settings.lambdaArn()));
      }
    }
    return new ProcessingResult(delivered, failed);
  }

  /**
   * What became of each of {@code inputs}, in their order: they are sent in invocations of at most
   * {@code bufferSizeBytes} of data each, one after the other. Blocking.
   */
  public List<Outcome> invoke(List<Input> inputs) {
    Set<String> ids = new HashSet<>();
    for (Input in : inputs) {
      if (!ids.add(in.recordId())) {
        throw new IllegalArgumentException("The record id " + in.recordId() + " is given twice");
      }
    }
    List<Outcome> outcomes = new ArrayList<>(inputs.size());
    int from = 0;
    while (from < inputs.size()) {
      long bytes = inputs.get(from).record().data().length;
      int to = from + 1;
      while (to < inputs.size() && bytes + inputs.get(to).record().data().length <= settings.bufferSizeBytes()) {
        bytes += inputs.get(to).record().data().length;
        to++;
      }
      outcomes.addAll(invokeWithRetries(inputs.subList(from, to)));
      from = to;
    }
    return outcomes;
  }

  private List<Outcome> invokeWithRetries(List<Input> batch) {
    byte[] event = LambdaMessages.event(settings, batch);
    int attempts = settings.numberOfRetries() + 1;
    LambdaMessages.InvocationFailed last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1 && !pause()) {
        attempts = attempt - 1;
        break;
      }
      try {
        return LambdaMessages.outcomes(batch, call(event), attempt);
      } catch (LambdaMessages.InvocationFailed e) {
        last = e;
        LOG.debug("Invocation {} of {} for {} records failed: {} {}", attempt, settings.lambdaArn(), batch.size(),
            e.error.code(), e.getMessage());
      }
    }
    LOG.warn("Lambda function {} failed after {} attempts for {} records; they go to the error output: {} {}",
        settings.lambdaArn(), attempts, batch.size(), last.error.code(), last.getMessage());
    List<Outcome> failed = new ArrayList<>(batch.size());
    for (Input in : batch) {
      failed.add(new Failed(in.recordId(), last.error.code(), last.error.message(), attempts));
    }
    return failed;
  }

  /** Sleeps the retry pause; false if interrupted (the attempts stop, the interrupt stays set). */
  private boolean pause() {
    if (settings.retryPause().isZero() || settings.retryPause().isNegative()) {
      return true;
    }
    try {
      Thread.sleep(settings.retryPause().toMillis()); // a worker thread, by this class's contract
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private InvokeResponse call(byte[] event) throws LambdaMessages.InvocationFailed {
    InvokeRequest.Builder request = InvokeRequest.builder().functionName(function.name())
        .invocationType(InvocationType.REQUEST_RESPONSE).payload(SdkBytes.fromByteArrayUnsafe(event));
    if (function.qualifier() != null) {
      request.qualifier(function.qualifier());
    }
    try {
      return client.invoke(request.build());
    } catch (SdkException e) {
      throw new LambdaMessages.InvocationFailed(errorOf(e), e.getMessage());
    }
  }

  static ProcessingError errorOf(SdkException e) {
    if (e instanceof ResourceNotFoundException) {
      return ProcessingError.LAMBDA_RESOURCE_NOT_FOUND;
    }
    if (e instanceof TooManyRequestsException) {
      return ProcessingError.LAMBDA_INVOKE_LIMIT_EXCEEDED;
    }
    if (e instanceof AwsServiceException s && (s.statusCode() == 403 || s.awsErrorDetails() != null
        && "AccessDeniedException".equals(s.awsErrorDetails().errorCode()))) {
      return ProcessingError.LAMBDA_INVOKE_ACCESS_DENIED;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException
          || t instanceof SocketTimeoutException || t instanceof HttpTimeoutException) {
        return ProcessingError.LAMBDA_INVOKE_TIMEOUT;
      }
    }
    return ProcessingError.LAMBDA_INVOKE_FAILED;
  }
}
