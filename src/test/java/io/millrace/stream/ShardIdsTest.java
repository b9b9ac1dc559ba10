package io.millrace.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.millrace.error.KinesisException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardIdsTest {

  private static final StreamKey STREAM = new StreamKey("123456789012", "us-east-1", "s");

  @Test
  void a_shard_id_names_the_shard_by_the_number_after_its_first_dash() {
    assertEquals(1, ShardIds.index("shardId-000000000001", STREAM));
    assertEquals(1, ShardIds.index("shardId-1", STREAM));
    assertEquals(1, ShardIds.index("shard-1", STREAM));
    assertEquals(7, ShardIds.index("7", STREAM));
    assertEquals(2147483647, ShardIds.index("abc_1.5-2147483647", STREAM));
    assertEquals(3, ShardIds.index("a-3-whatever", STREAM));
  }

  @Test
  void anything_else_names_no_shard_in_kinesis_words() {
    for (String id : List.of("ABKLFD8", "2.14E4", "2147483648", "shardId-002147483648", "shardId-", "shardId-x1",
        "-", "shardId-99999999999999999999")) {
      KinesisException.ResourceNotFound e = assertThrows(KinesisException.ResourceNotFound.class,
          () -> ShardIds.index(id, STREAM));
      assertEquals("Could not find shard " + id + " in stream s under account 123456789012.", e.getMessage());
    }
  }
}
