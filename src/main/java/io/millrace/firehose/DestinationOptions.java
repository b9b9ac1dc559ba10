package io.millrace.firehose;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the Redshift, OpenSearch and Splunk destinations need from the server's configuration.
 *
 * @param openSearchDomains      OpenSearch endpoints by domain ARN, for destinations given a DomainARN rather than a
 *                               ClusterEndpoint (setting {@code openSearchDomainEndpoints})
 * @param hecAckTimeoutMaxMillis the longest a Splunk delivery waits for an indexer acknowledgement, whatever
 *                               HECAcknowledgmentTimeoutInSeconds says; 0: as it says (setting
 *                               {@code hecAckTimeoutMaxMillis})
 */
public record DestinationOptions(Map<String, String> openSearchDomains, long hecAckTimeoutMaxMillis) {

  public static final DestinationOptions DEFAULT = new DestinationOptions(Map.of(), 0);

  public DestinationOptions {
    openSearchDomains = Map.copyOf(openSearchDomains);
  }

  /**
   * Reads {@code openSearchDomainEndpoints}: {@code <domain ARN>=<endpoint URL>} pairs, comma-separated (empty:
   * none). IllegalArgumentException, naming the pair, for anything else.
   */
  public static DestinationOptions of(String openSearchDomainEndpoints, long hecAckTimeoutMaxMillis) {
    Map<String, String> domains = new LinkedHashMap<>();
    for (String pair : openSearchDomainEndpoints.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String arn = eq < 0 ? "" : pair.substring(0, eq).trim();
      String url = eq < 0 ? "" : pair.substring(eq + 1).trim();
      if (!arn.startsWith("arn:") || !(url.startsWith("http://") || url.startsWith("https://"))) {
        throw new IllegalArgumentException("openSearchDomainEndpoints: '" + pair.trim() + "' is not "
            + "<domain ARN>=<http(s) URL>, e.g. arn:aws:es:us-east-1:000000000000:domain/logs=http://127.0.0.1:9200");
      }
      domains.put(arn, url);
    }
    return new DestinationOptions(domains, hecAckTimeoutMaxMillis);
  }
}
