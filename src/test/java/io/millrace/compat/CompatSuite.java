package io.millrace.compat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * What the compatibility classes that run on a default server share: per client flavor, one in-process server and
 * one client, started before that flavor's tests and closed after them. Subclasses add
 * {@code @ParameterizedClass(name = "{0}") @EnumSource(Flavor.class)}.
 */
abstract class CompatSuite {

  @Parameter
  Flavor flavor;

  static CompatClient client;
  static KinesisClient kinesis;

  @BeforeParameterizedClassInvocation
  static void start(Flavor flavor) {
    client = CompatClient.withServer(flavor);
    kinesis = client.kinesis();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    client.close();
  }

  static SdkBytes bytes(String s) {
    return SdkBytes.fromString(s, StandardCharsets.UTF_8);
  }
}
