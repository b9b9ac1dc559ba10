package io.millrace.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Scrapes a server's {@code GET /metrics} and reads single values out of the Prometheus text. */
public final class PrometheusText {

  private PrometheusText() {}

  /** The body of {@code GET <endpoint>/metrics}; fails unless it answers 200 with Prometheus text. */
  public static String scrape(URI endpoint) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest get = HttpRequest.newBuilder(endpoint.resolve("/metrics")).timeout(Duration.ofSeconds(5)).GET()
        .build();
    try {
      HttpResponse<String> response = http.send(get, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200
          || !response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain")) {
        throw new AssertionError("GET /metrics answered " + response.statusCode() + " "
            + response.headers().firstValue("Content-Type") + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new AssertionError("GET /metrics failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The value of the unlabelled sample {@code name}; fails when there is none. */
  public static double value(String text, String name) {
    return text.lines().filter(l -> l.startsWith(name + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .orElseThrow(() -> new AssertionError("no sample " + name + " in:\n" + text));
  }

  /** The value of the sample {@code name} whose label {@code label} is {@code labelValue}; fails when there is none. */
  public static double value(String text, String name, String label, String labelValue) {
    String wanted = label + "=\"" + labelValue + "\"";
    return text.lines().filter(l -> l.startsWith(name + "{") && l.indexOf('}') > 0
            && List.of(l.substring(name.length() + 1, l.indexOf('}')).split(",")).contains(wanted))
        .findFirst().map(l -> Double.parseDouble(l.substring(l.indexOf('}') + 1).trim()))
        .orElseThrow(() -> new AssertionError("no sample " + name + "{" + wanted + "} in:\n" + text));
  }
}
