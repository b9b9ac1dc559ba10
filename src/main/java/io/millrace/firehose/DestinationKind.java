package io.millrace.firehose;

/**
 * The destinations Millrace delivers to, with the names Firehose gives them in its CloudWatch metrics
 * ({@code DeliveryToRedshift.Success}, ...) and in the error output type of the records they could not take.
 */
public enum DestinationKind {
  S3("DeliveryToS3", null),
  HTTP_ENDPOINT("DeliveryToHttpEndpoint", "http-endpoint-failed"),
  REDSHIFT("DeliveryToRedshift", null),
  AMAZON_OPENSEARCH_SERVICE("DeliveryToAmazonOpenSearchService", "AmazonOpenSearchService-failed"),
  ELASTICSEARCH("DeliveryToElasticsearch", "elasticsearch-failed"),
  SPLUNK("DeliveryToSplunk", "splunk-failed");

  private final String metricPrefix;
  private final String failedOutputType;

  DestinationKind(String metricPrefix, String failedOutputType) {
    this.metricPrefix = metricPrefix;
    this.failedOutputType = failedOutputType;
  }

  /** The first part of the destination's CloudWatch metric names, e.g. {@code DeliveryToSplunk}. */
  public String metricPrefix() {
    return metricPrefix;
  }

  /** The error output type (the folder) of records the destination did not take; null where none is written. */
  public String failedOutputType() {
    return failedOutputType;
  }
}
