package io.millrace.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryLockTest {

  @TempDir
  Path dir;

  @Test
  void a_second_claim_on_a_held_directory_is_refused_naming_the_directory_and_the_holder() throws Exception {
    try (DataDirectoryLock first = DataDirectoryLock.acquire(dir, "pid 42 on host-a, port 4567")) {
      DataDirectoryLock.HeldElsewhereException refused = assertThrows(DataDirectoryLock.HeldElsewhereException.class,
          () -> DataDirectoryLock.acquire(dir, "pid 43 on host-a, port 4568"));
      assertEquals(dir, refused.directory());
      assertEquals("pid 42 on host-a, port 4567", refused.holder());
      assertTrue(refused.getMessage().contains(dir.toString()), refused.getMessage());
      assertTrue(refused.getMessage().contains("pid 42 on host-a, port 4567"), refused.getMessage());
    }
  }

  @Test
  void a_released_directory_can_be_claimed_again_and_names_its_new_holder() throws Exception {
    DataDirectoryLock.acquire(dir, "first").close();
    try (DataDirectoryLock second = DataDirectoryLock.acquire(dir, "second")) {
      assertEquals("second\n", Files.readString(second.file()));
      second.describe("second, now on port 9000");
      assertEquals("second, now on port 9000\n", Files.readString(second.file()));
    }
  }

  @Test
  void claiming_creates_a_missing_directory() throws Exception {
    Path missing = dir.resolve("not/yet");
    try (DataDirectoryLock lock = DataDirectoryLock.acquire(missing, "me")) {
      assertTrue(Files.isRegularFile(missing.resolve(DataDirectoryLock.FILE_NAME)));
    }
  }
}
