package io.millrace.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {

  @TempDir
  Path dir;

  @Test
  void a_file_caught_half_written_keeps_the_old_keys_and_its_completed_version_is_taken_whatever_its_time_and_size()
      throws Exception {
    Path file = dir.resolve("credentials");
    Files.writeString(file, "[a]\naws_access_key_id = AKIDAAAAAAAAAAAAAAAA\naws_secret_access_key = one\n");
    FileTime time = Files.getLastModifiedTime(file);
    Credentials credentials = Credentials.load(file, "000000000000");

    Files.writeString(file, "[a]\naws_access_key_id = AKIDBBBB"); // the writer is not done
    credentials.reloadIfChanged();
    assertEquals("one", credentials.find("AKIDAAAAAAAAAAAAAAAA").secretKey(), "the last good keys stay");

    Files.writeString(file, "[a]\naws_access_key_id = AKIDBBBBBBBBBBBBBBBB\naws_secret_access_key = two\n");
    Files.setLastModifiedTime(file, time); // same size and time as the first version: a copy with -p, say
    credentials.reloadIfChanged();
    assertNull(credentials.find("AKIDAAAAAAAAAAAAAAAA"));
    assertEquals("two", credentials.find("AKIDBBBBBBBBBBBBBBBB").secretKey());
  }
}
