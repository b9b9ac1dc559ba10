package io.millrace.api.codec;

/** The two body encodings of the Kinesis API. The response always uses the request's. */
public enum WireFormat {
  JSON("application/x-amz-json-1.1"),
  CBOR("application/x-amz-cbor-1.1");

  private final String contentType;

  WireFormat(String contentType) {
    this.contentType = contentType;
  }

  public String contentType() {
    return contentType;
  }

  /**
   * The format of a request with this {@code Content-Type}, or {@code null} if Kinesis does not speak it.
   * Plain {@code application/json} is read as JSON (as kinesis-mock does) rather than refused.
   */
  public static WireFormat ofContentType(String header) {
    if (header == null) {
      return null;
    }
    int semi = header.indexOf(';');
    String type = (semi >= 0 ? header.substring(0, semi) : header).trim();
    if (type.equalsIgnoreCase(JSON.contentType) || type.equalsIgnoreCase("application/json")) {
      return JSON;
    }
    if (type.equalsIgnoreCase(CBOR.contentType)) {
      return CBOR;
    }
    return null;
  }
}
