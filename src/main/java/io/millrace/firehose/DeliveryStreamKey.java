package io.millrace.firehose;

/**
 * Names one delivery stream: namespaced by account and region, as in AWS.
 *
 * @param account 12-digit account id
 * @param region  region name, e.g. {@code us-east-1}
 * @param name    the delivery stream name (1..64 of {@code [a-zA-Z0-9_.-]})
 */
public record DeliveryStreamKey(String account, String region, String name) {

  public String arn() {
    return "arn:aws:firehose:" + region + ":" + account + ":deliverystream/" + name;
  }

  /** AWS's "Firehose X under account Y", as in its not-found and in-use messages. */
  public String describe() {
    return "Firehose " + name + " under account " + account;
  }
}
