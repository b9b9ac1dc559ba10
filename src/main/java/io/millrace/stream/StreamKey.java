package io.millrace.stream;

/**
 * Names one stream: streams are namespaced by account and region, as in AWS.
 *
 * @param account 12-digit account id
 * @param region  region name, e.g. {@code us-east-1}
 * @param name    the stream name
 */
public record StreamKey(String account, String region, String name) {

  public String arn() {
    return "arn:aws:kinesis:" + region + ":" + account + ":stream/" + name;
  }

  /** AWS's "Stream X under account Y not found." */
  public String describe() {
    return "Stream " + name + " under account " + account;
  }
}
