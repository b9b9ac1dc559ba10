package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListStreamConsumersResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Tag;

/** Registered stream consumers through the AWS SDK, in all four client flavors. */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class CompatConsumersIT extends CompatSuite {

  private static String arn(String stream) {
    return "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream;
  }

  @Test
  void a_registered_consumer_has_an_aws_arn_and_turns_active() {
    String stream = "consumers-register";
    client.createActiveStream(stream, 1);
    Consumer c = kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("app")).consumer();
    assertEquals("app", c.consumerName());
    assertEquals(ConsumerStatus.CREATING, c.consumerStatus());
    assertEquals(arn(stream) + "/consumer/app:" + c.consumerCreationTimestamp().getEpochSecond(), c.consumerARN());
    ConsumerDescription byArn = kinesis.describeStreamConsumer(r -> r.consumerARN(c.consumerARN()))
        .consumerDescription();
    assertEquals(ConsumerStatus.ACTIVE, byArn.consumerStatus());
    assertEquals(arn(stream), byArn.streamARN());
    ConsumerDescription byName = kinesis.describeStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("app"))
        .consumerDescription();
    assertEquals(c.consumerARN(), byName.consumerARN());
    assertEquals(1, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .consumerCount());
  }

  @Test
  void a_consumer_name_is_unique_per_stream() {
    String stream = "consumers-unique";
    client.createActiveStream(stream, 1);
    kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("dup"));
    assertThrows(ResourceInUseException.class,
        () -> kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("dup")));
  }

  @Test
  void deregistering_removes_the_consumer_by_arn_or_by_name() {
    String stream = "consumers-deregister";
    client.createActiveStream(stream, 1);
    Consumer a = kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("a")).consumer();
    kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("b"));
    kinesis.deregisterStreamConsumer(r -> r.consumerARN(a.consumerARN()));
    kinesis.deregisterStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("b"));
    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.describeStreamConsumer(r -> r.consumerARN(a.consumerARN())));
    assertTrue(kinesis.listStreamConsumers(r -> r.streamARN(arn(stream))).consumers().isEmpty());
  }

  @Test
  void listing_pages_through_every_consumer_with_next_tokens() {
    String stream = "consumers-list";
    client.createActiveStream(stream, 1);
    for (int i = 0; i < 7; i++) {
      String name = "c" + i;
      kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName(name));
    }
    List<String> names = new ArrayList<>();
    ListStreamConsumersResponse page = kinesis.listStreamConsumers(r -> r.streamARN(arn(stream)).maxResults(3));
    int pages = 1;
    page.consumers().forEach(c -> names.add(c.consumerName()));
    while (page.nextToken() != null) {
      String token = page.nextToken();
      page = kinesis.listStreamConsumers(r -> r.streamARN(arn(stream)).nextToken(token));
      page.consumers().forEach(c -> names.add(c.consumerName()));
      pages++;
    }
    assertEquals(List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6"), names);
    assertEquals(3, pages);
  }

  @Test
  void a_stream_holds_at_most_20_consumers() {
    String stream = "consumers-limit";
    client.createActiveStream(stream, 1);
    for (int i = 0; i < 20; i++) {
      String name = "c" + i;
      kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName(name));
    }
    assertThrows(LimitExceededException.class,
        () -> kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("one-too-many")));
  }

  @Test
  void deleting_a_stream_with_consumers_needs_enforce_consumer_deletion() {
    String stream = "consumers-delete";
    client.createActiveStream(stream, 1);
    Consumer c = kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("x")).consumer();
    assertThrows(ResourceInUseException.class, () -> kinesis.deleteStream(r -> r.streamName(stream)));
    kinesis.deleteStream(r -> r.streamName(stream).enforceConsumerDeletion(true));
    client.awaitGone(stream);
    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.describeStreamConsumer(r -> r.consumerARN(c.consumerARN())));
  }

  @Test
  void consumers_can_be_tagged_by_arn() {
    String stream = "consumers-tags";
    client.createActiveStream(stream, 1);
    Consumer c = kinesis.registerStreamConsumer(r -> r.streamARN(arn(stream)).consumerName("t")
        .tags(Map.of("team", "a"))).consumer();
    kinesis.tagResource(r -> r.resourceARN(c.consumerARN()).tags(Map.of("env", "test")));
    kinesis.untagResource(r -> r.resourceARN(c.consumerARN()).tagKeys("team"));
    assertEquals(List.of(Tag.builder().key("env").value("test").build()),
        kinesis.listTagsForResource(r -> r.resourceARN(c.consumerARN())).tags());
  }

  @Test
  void unknown_consumers_and_streams_are_not_found() {
    assertThrows(ResourceNotFoundException.class, () -> kinesis.describeStreamConsumer(
        r -> r.consumerARN(arn("nope") + "/consumer/x:1700000000")));
    assertThrows(ResourceNotFoundException.class,
        () -> kinesis.registerStreamConsumer(r -> r.streamARN(arn("nope")).consumerName("x")));
  }
}
