package io.millrace.compat;

/**
 * The four ways a Java application talks to Kinesis through AWS SDK v2: the blocking client (HTTP/1.1 over the URL
 * connection client) or the async client (Netty, HTTP/2 by prior knowledge, h2c), each with CBOR (the SDK's default)
 * or JSON ({@code aws.cborEnabled=false}).
 */
public enum Flavor {
  SYNC_CBOR(false, true),
  SYNC_JSON(false, false),
  ASYNC_CBOR(true, true),
  ASYNC_JSON(true, false);

  private final boolean async;
  private final boolean cbor;

  Flavor(boolean async, boolean cbor) {
    this.async = async;
    this.cbor = cbor;
  }

  public boolean async() {
    return async;
  }

  public boolean cbor() {
    return cbor;
  }

  /** The Content-Type the SDK sends (and expects back) in this flavor. */
  public String contentType() {
    return cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1";
  }
}
