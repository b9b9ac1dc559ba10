package io.millrace.compat;

import static io.millrace.compat.CompatClient.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.shard.SequenceNumber;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

/**
 * The data plane through the AWS SDK, in all four client flavors: PutRecord routing (MD5 of the partition key,
 * ExplicitHashKey), PutRecords (500 entries, order, per-shard sequence order), GetShardIterator with all five types,
 * GetRecords (byte-exact data, Limit, NextShardIterator, MillisBehindLatest, arrival time) and the errors for bad
 * hash keys, iterators, sequence numbers and sizes.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Flavor.class)
class CompatRecordsIT extends CompatSuite {

  private static final String MAX_HASH_KEY = "340282366920938463463374607431768211455";

  private String iterator(String stream, String shardId, ShardIteratorType type) {
    return kinesis.getShardIterator(r -> r.streamName(stream).shardId(shardId).shardIteratorType(type))
        .shardIterator();
  }

  /** Everything from TRIM_HORIZON to the tip of one shard. */
  private List<Record> readAll(String stream, String shardId) {
    List<Record> out = new ArrayList<>();
    String it = iterator(stream, shardId, ShardIteratorType.TRIM_HORIZON);
    while (true) {
      String current = it;
      GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(current));
      if (page.records().isEmpty()) {
        return out;
      }
      out.addAll(page.records());
      it = page.nextShardIterator();
    }
  }

  @Test
  void put_record_routes_to_the_shard_whose_hash_range_contains_the_md5_of_the_partition_key() {
    String stream = "routing";
    client.createActiveStream(stream, 4);
    List<Shard> shards = kinesis.listShards(r -> r.streamName(stream)).shards();
    assertEquals(new BigInteger("157107139746365290205026809710278036035"), HashKeys.md5("user-42"));

    for (int i = 0; i < 40; i++) {
      String key = "user-" + i;
      PutRecordResponse put = kinesis.putRecord(r -> r.streamName(stream).partitionKey(key).data(bytes("v")));
      assertEquals(HashKeys.shardFor(shards, HashKeys.md5(key)), put.shardId(), "partition key " + key);
      assertTrue(put.sequenceNumber().matches("0|[1-9]\\d{0,128}"), put.sequenceNumber());
    }
  }

  @Test
  void put_record_honours_an_explicit_hash_key_over_the_partition_key() {
    String stream = "explicit";
    client.createActiveStream(stream, 4);
    List<Shard> shards = kinesis.listShards(r -> r.streamName(stream)).shards();
    for (Shard s : shards) {
      for (String hashKey : List.of(s.hashKeyRange().startingHashKey(), s.hashKeyRange().endingHashKey())) {
        PutRecordResponse put = kinesis.putRecord(r -> r.streamName(stream).partitionKey("user-42")
            .explicitHashKey(hashKey).data(bytes("x")));
        assertEquals(s.shardId(), put.shardId(), "ExplicitHashKey " + hashKey);
      }
    }
    assertEquals(HashKeys.shardId(3), kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
        .explicitHashKey(MAX_HASH_KEY).data(bytes("x"))).shardId());
  }

  @Test
  void an_explicit_hash_key_of_2_to_the_128_is_refused() {
    String stream = "explicit-too-big";
    client.createActiveStream(stream, 1);
    String tooBig = HashKeys.SPACE.toString();
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> kinesis.putRecord(r -> r
        .streamName(stream).partitionKey("k").explicitHashKey(tooBig).data(bytes("x"))));
    assertEquals("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
        + tooBig, e.awsErrorDetails().errorMessage());
  }

  @Test
  void put_records_returns_one_result_per_entry_in_order_with_sequence_numbers_rising_per_shard() {
    String stream = "batch";
    client.createActiveStream(stream, 3);
    List<Shard> shards = kinesis.listShards(r -> r.streamName(stream)).shards();
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + i).data(bytes("record-" + i)).build());
    }

    PutRecordsResponse put = kinesis.putRecords(r -> r.streamName(stream).records(entries));
    assertEquals(0, put.failedRecordCount());
    assertEquals(500, put.records().size());
    Map<String, BigInteger> lastPerShard = new HashMap<>();
    Map<String, List<String>> expectedPerShard = new HashMap<>();
    for (int i = 0; i < 500; i++) {
      PutRecordsResultEntry result = put.records().get(i);
      assertNull(result.errorCode());
      assertEquals(HashKeys.shardFor(shards, HashKeys.md5("key-" + i)), result.shardId(), "entry " + i);
      BigInteger seq = new BigInteger(result.sequenceNumber());
      BigInteger previous = lastPerShard.put(result.shardId(), seq);
      assertTrue(previous == null || seq.compareTo(previous) > 0, "entry " + i + " sequence number rises");
      expectedPerShard.computeIfAbsent(result.shardId(), k -> new ArrayList<>()).add("record-" + i);
    }
    assertEquals(3, expectedPerShard.size(), "500 random keys reach every shard");

    for (Shard s : shards) {
      List<String> read = readAll(stream, s.shardId()).stream().map(rec -> rec.data().asUtf8String()).toList();
      assertEquals(expectedPerShard.get(s.shardId()), read, "records of " + s.shardId() + " in put order");
    }
  }

  @Test
  void put_records_with_501_entries_is_refused_with_a_validation_exception() {
    String stream = "too-many";
    client.createActiveStream(stream, 1);
    List<PutRecordsRequestEntry> entries = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      entries.add(PutRecordsRequestEntry.builder().partitionKey("k").data(bytes("x")).build());
    }
    ValidationException e = assertThrows(ValidationException.class,
        () -> kinesis.putRecords(r -> r.streamName(stream).records(entries)));
    String message = e.awsErrorDetails().errorMessage();
    assertTrue(message.startsWith("1 validation error detected: Value '"), message);
    assertTrue(message.endsWith("at 'records' failed to satisfy constraint: Member must have length less than or "
        + "equal to 500"), message);
    assertEquals(0, readAll(stream, HashKeys.shardId(0)).size(), "nothing was written");
  }

  @Test
  void a_record_over_one_mebibyte_is_refused() {
    String stream = "too-big";
    client.createActiveStream(stream, 1);
    SdkBytes big = SdkBytes.fromByteArray(new byte[1024 * 1024]);
    KinesisException e = assertThrows(KinesisException.class,
        () -> kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(big)));
    assertEquals(400, e.statusCode());
    assertTrue(e instanceof InvalidArgumentException || e instanceof ValidationException, e.toString());
    KinesisException batch = assertThrows(KinesisException.class, () -> kinesis.putRecords(r -> r.streamName(stream)
        .records(PutRecordsRequestEntry.builder().partitionKey("k").data(big).build())));
    assertEquals(400, batch.statusCode());
    // exactly 1 MiB including the partition key fits
    SdkBytes fits = SdkBytes.fromByteArray(new byte[1024 * 1024 - 1]);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(fits));
    assertEquals(1, readAll(stream, HashKeys.shardId(0)).size());
  }

  @Test
  void get_records_returns_the_data_byte_for_byte_with_partition_key_and_arrival_time() {
    String stream = "round-trip";
    client.createActiveStream(stream, 1);
    byte[] everyByte = new byte[256];
    for (int i = 0; i < 256; i++) {
      everyByte[i] = (byte) i;
    }
    byte[] random = new byte[200_000];
    new Random(42).nextBytes(random);
    List<byte[]> payloads = List.of(everyByte, random, new byte[] {0}, "plain text".getBytes(StandardCharsets.UTF_8));
    String key = "ключ-ü-\uD83D\uDE00";
    List<String> sequenceNumbers = new ArrayList<>();
    for (byte[] p : payloads) {
      sequenceNumbers.add(kinesis.putRecord(r -> r.streamName(stream).partitionKey(key)
          .data(SdkBytes.fromByteArray(p))).sequenceNumber());
    }

    GetRecordsResponse got = kinesis.getRecords(r -> r.shardIterator(
        iterator(stream, HashKeys.shardId(0), ShardIteratorType.TRIM_HORIZON)));
    assertEquals(payloads.size(), got.records().size());
    for (int i = 0; i < payloads.size(); i++) {
      Record rec = got.records().get(i);
      assertArrayEquals(payloads.get(i), rec.data().asByteArray(), "payload " + i);
      assertEquals(key, rec.partitionKey());
      assertEquals(sequenceNumbers.get(i), rec.sequenceNumber());
      Duration age = Duration.between(rec.approximateArrivalTimestamp(), Instant.now()).abs();
      assertTrue(age.compareTo(Duration.ofSeconds(10)) < 0, "arrival " + rec.approximateArrivalTimestamp());
      assertNull(rec.encryptionType(), "unencrypted records carry no EncryptionType");
    }
    assertEquals(0, got.millisBehindLatest(), "caught up");
    assertNotNull(got.nextShardIterator());
  }

  @Test
  void get_records_honours_limit_and_continues_with_the_next_shard_iterator() {
    String stream = "limit";
    client.createActiveStream(stream, 1);
    for (int i = 0; i < 10; i++) {
      int n = i;
      kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("r" + n)));
    }

    List<String> read = new ArrayList<>();
    String it = iterator(stream, HashKeys.shardId(0), ShardIteratorType.TRIM_HORIZON);
    List<Integer> sizes = new ArrayList<>();
    for (int call = 0; call < 4; call++) {
      String current = it;
      GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(current).limit(3));
      sizes.add(page.records().size());
      page.records().forEach(rec -> read.add(rec.data().asUtf8String()));
      assertNotNull(page.nextShardIterator());
      assertTrue(page.millisBehindLatest() >= 0);
      it = page.nextShardIterator();
    }
    assertEquals(List.of(3, 3, 3, 1), sizes);
    assertEquals(List.of("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"), read);

    String atTip = it;
    GetRecordsResponse empty = kinesis.getRecords(r -> r.shardIterator(atTip));
    assertEquals(List.of(), empty.records());
    assertEquals(0, empty.millisBehindLatest());
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("r10")));
    String next = empty.nextShardIterator();
    assertEquals(List.of("r10"), kinesis.getRecords(r -> r.shardIterator(next)).records().stream()
        .map(rec -> rec.data().asUtf8String()).toList());
  }

  @Test
  void get_shard_iterator_positions_for_all_five_iterator_types() {
    String stream = "iterator-types";
    client.createActiveStream(stream, 1);
    String shard = HashKeys.shardId(0);
    Instant beforeAll = Instant.now().minusSeconds(5);
    List<String> seq = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      int n = i;
      seq.add(kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("r" + n))).sequenceNumber());
    }

    assertEquals(List.of("r0", "r1", "r2", "r3", "r4"),
        data(kinesis.getRecords(r -> r.shardIterator(iterator(stream, shard, ShardIteratorType.TRIM_HORIZON)))));
    assertEquals(List.of("r3", "r4"), data(kinesis.getRecords(r -> r.shardIterator(kinesis.getShardIterator(g -> g
        .streamName(stream).shardId(shard).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
        .startingSequenceNumber(seq.get(3))).shardIterator()))));
    assertEquals(List.of("r4"), data(kinesis.getRecords(r -> r.shardIterator(kinesis.getShardIterator(g -> g
        .streamName(stream).shardId(shard).shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
        .startingSequenceNumber(seq.get(3))).shardIterator()))));
    assertEquals(List.of("r0", "r1", "r2", "r3", "r4"), data(kinesis.getRecords(r -> r.shardIterator(
        kinesis.getShardIterator(g -> g.streamName(stream).shardId(shard)
            .shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(beforeAll)).shardIterator()))));

    String latest = iterator(stream, shard, ShardIteratorType.LATEST);
    Instant newest = kinesis.getRecords(r -> r.shardIterator(kinesis.getShardIterator(g -> g.streamName(stream)
        .shardId(shard).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER).startingSequenceNumber(seq.get(4)))
        .shardIterator())).records().get(0).approximateArrivalTimestamp();
    Instant afterNewest = newest.plusMillis(1);
    while (Instant.now().toEpochMilli() <= afterNewest.toEpochMilli()) {
      Thread.onSpinWait(); // wait for the wall clock to pass the newest record's millisecond
    }
    String atTimestampTip = kinesis.getShardIterator(g -> g.streamName(stream).shardId(shard)
        .shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(afterNewest)).shardIterator();
    assertEquals(List.of(), data(kinesis.getRecords(r -> r.shardIterator(latest))));
    assertEquals(List.of(), data(kinesis.getRecords(r -> r.shardIterator(atTimestampTip))));

    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("r5")));
    assertEquals(List.of("r5"), data(kinesis.getRecords(r -> r.shardIterator(latest))),
        "LATEST sees only what came after it");
    assertEquals(List.of("r5"), data(kinesis.getRecords(r -> r.shardIterator(atTimestampTip))),
        "AT_TIMESTAMP after the newest record sits at the tip");
  }

  @Test
  void at_timestamp_in_the_future_is_refused() {
    String stream = "future";
    client.createActiveStream(stream, 1);
    Instant future = Instant.now().plusSeconds(3600);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> kinesis.getShardIterator(g -> g
        .streamName(stream).shardId(HashKeys.shardId(0)).shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
        .timestamp(future)));
    assertTrue(e.awsErrorDetails().errorMessage().startsWith("The timestampInMillis parameter cannot be greater than "
        + "the currentTimestampInMillis. timestampInMillis: " + future.toEpochMilli() + ", currentTimestampInMillis: "),
        e.awsErrorDetails().errorMessage());
  }

  @Test
  void a_garbage_or_tampered_shard_iterator_is_refused() {
    String stream = "tampered";
    client.createActiveStream(stream, 1);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(bytes("secret")));
    String genuine = iterator(stream, HashKeys.shardId(0), ShardIteratorType.TRIM_HORIZON);

    byte[] raw = Base64.getDecoder().decode(genuine);
    raw[raw.length / 2] ^= 0x01;
    String tampered = Base64.getEncoder().encodeToString(raw);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> kinesis.getRecords(r -> r.shardIterator(tampered)));
    assertEquals("Invalid ShardIterator.", e.awsErrorDetails().errorMessage());

    InvalidArgumentException garbage = assertThrows(InvalidArgumentException.class,
        () -> kinesis.getRecords(r -> r.shardIterator("this-is-not-an-iterator")));
    assertEquals("Invalid ShardIterator.", garbage.awsErrorDetails().errorMessage());

    assertEquals(1, kinesis.getRecords(r -> r.shardIterator(genuine)).records().size(), "the genuine one works");
  }

  @Test
  void a_malformed_or_foreign_starting_sequence_number_is_refused() {
    String stream = "bad-sequence";
    client.createActiveStream(stream, 2);
    ValidationException malformed = assertThrows(ValidationException.class, () -> kinesis.getShardIterator(g -> g
        .streamName(stream).shardId(HashKeys.shardId(0)).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
        .startingSequenceNumber("12ab")));
    assertEquals("1 validation error detected: Value '12ab' at 'startingSequenceNumber' failed to satisfy "
        + "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
        malformed.awsErrorDetails().errorMessage());

    // Kinesis reads a shard index out of any well-formed number: 12345 names shard 12345.
    InvalidArgumentException otherShard = assertThrows(InvalidArgumentException.class, () -> kinesis.getShardIterator(
        g -> g.streamName(stream).shardId(HashKeys.shardId(0)).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
            .startingSequenceNumber("12345")));
    assertEquals("Invalid StartingSequenceNumber. It encodes shardId-000000012345, while it was used in a call to a "
        + "shard with shardId-000000000000", otherShard.awsErrorDetails().errorMessage());

    String fromShardOne = kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
        .explicitHashKey(MAX_HASH_KEY).data(bytes("x"))).sequenceNumber();
    InvalidArgumentException sibling = assertThrows(InvalidArgumentException.class, () -> kinesis.getShardIterator(g
        -> g.streamName(stream).shardId(HashKeys.shardId(0)).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
        .startingSequenceNumber(fromShardOne)));
    assertEquals("Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a "
        + "shard with shardId-000000000000", sibling.awsErrorDetails().errorMessage());

    // Shard 0 of a stream created a day earlier: a sequence number Millrace could have issued, but not for this stream.
    SequenceNumber ours = SequenceNumber.parse(kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
        .explicitHashKey("0").data(bytes("x"))).sequenceNumber()).orElseThrow();
    String fromOtherStream = new SequenceNumber(ours.shardCreatedSeconds() - 86_400, 0, 0,
        ours.shardCreatedSeconds() - 86_400).toDecimal();
    InvalidArgumentException foreign = assertThrows(InvalidArgumentException.class, () -> kinesis.getShardIterator(g
        -> g.streamName(stream).shardId(HashKeys.shardId(0)).shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
        .startingSequenceNumber(fromOtherStream)));
    assertEquals("StartingSequenceNumber " + fromOtherStream + " used in GetShardIterator on shard "
        + "shardId-000000000000 in stream " + stream + " under account " + ACCOUNT + " is invalid because it did not "
        + "come from this stream.", foreign.awsErrorDetails().errorMessage());
  }

  @Test
  void an_unknown_shard_or_stream_is_refused_with_resource_not_found() {
    String stream = "unknown-shard";
    client.createActiveStream(stream, 1);
    ResourceNotFoundException shard = assertThrows(ResourceNotFoundException.class,
        () -> iterator(stream, HashKeys.shardId(7), ShardIteratorType.LATEST));
    assertEquals("Shard shardId-000000000007 in stream " + stream + " under account " + ACCOUNT + " does not exist",
        shard.awsErrorDetails().errorMessage());
    ResourceNotFoundException noStream = assertThrows(ResourceNotFoundException.class,
        () -> kinesis.putRecord(r -> r.streamName("x").partitionKey("k").data(bytes("v"))));
    assertEquals("Stream x under account " + ACCOUNT + " not found.", noStream.awsErrorDetails().errorMessage());
  }

  @Test
  void the_data_plane_accepts_a_stream_arn_in_place_of_the_stream_name() {
    String stream = "data-by-arn";
    client.createActiveStream(stream, 1);
    String arn = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream;

    kinesis.putRecord(r -> r.streamARN(arn).partitionKey("k").data(bytes("one")));
    kinesis.putRecords(r -> r.streamARN(arn).records(PutRecordsRequestEntry.builder().partitionKey("k")
        .data(bytes("two")).build()));
    String it = kinesis.getShardIterator(g -> g.streamARN(arn).shardId(HashKeys.shardId(0))
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    assertEquals(List.of("one", "two"), data(kinesis.getRecords(r -> r.shardIterator(it).streamARN(arn))));
  }

  private static List<String> data(GetRecordsResponse page) {
    return page.records().stream().map(r -> r.data().asUtf8String()).toList();
  }
}
