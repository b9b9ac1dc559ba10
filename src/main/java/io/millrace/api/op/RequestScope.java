package io.millrace.api.op;

import io.millrace.api.auth.CredentialsFile;
import io.millrace.api.model.Requests.StreamScoped;
import io.millrace.error.KinesisException;
import io.millrace.stream.StreamKey;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who is calling: the account and region from the request's SigV4 credential scope (or the configured defaults),
 * and, when signatures are verified, the principal whose key signed it (null otherwise: nothing is authorized then).
 * Streams are namespaced by account and region.
 */
public record RequestScope(String account, String region, CredentialsFile.Principal principal) {

  public RequestScope(String account, String region) {
    this(account, region, null);
  }

  private static final Pattern STREAM_ARN =
      Pattern.compile("arn:aws:kinesis:([a-z0-9-]+):(\\d{12}):stream/([a-zA-Z0-9_.-]+)");

  /**
   * The stream a request names by StreamName and/or StreamARN. With both, they must agree; an ARN may name another
   * region or account (as AWS's cross-account access allows), which then namespaces the stream.
   */
  public StreamKey streamKey(StreamScoped request) {
    return streamKey(request.streamName(), request.streamARN());
  }

  public StreamKey streamKey(String streamName, String streamArn) {
    if (streamArn != null) {
      StreamKey fromArn = parseStreamArn(streamArn);
      if (streamName != null && !streamName.equals(fromArn.name())) {
        throw new KinesisException.InvalidArgument("StreamName " + streamName + " and StreamARN " + streamArn
            + " name different streams; give one of them, or both naming the same stream.");
      }
      return fromArn;
    }
    if (streamName == null) {
      throw new KinesisException.InvalidArgument("Either StreamName or StreamARN must be provided.");
    }
    return new StreamKey(account, region, streamName);
  }

  /** Parses a stream ARN, or InvalidArgument if it is not one. */
  public static StreamKey parseStreamArn(String arn) {
    Matcher m = STREAM_ARN.matcher(arn);
    if (!m.matches()) {
      throw new KinesisException.InvalidArgument("Invalid StreamARN " + arn + ": expected "
          + "arn:aws:kinesis:<region>:<12-digit account>:stream/<name>.");
    }
    return new StreamKey(m.group(2), m.group(1), m.group(3));
  }
}
