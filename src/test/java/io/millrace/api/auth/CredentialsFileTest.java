package io.millrace.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsFileTest {

  @Test
  void profiles_give_key_pairs_with_their_token_and_account_and_incomplete_ones_are_skipped() {
    Map<String, CredentialsFile.Principal> keys = CredentialsFile.parse("""
        # comment
        [default]
        aws_access_key_id = AKIDONE
        aws_secret_access_key = s1

        [profile tmp]
        AWS_ACCESS_KEY_ID=ASIATWO
        aws_secret_access_key= s2 ; not a comment: part of the value
        aws_session_token =t2
        aws_account_id = 111122223333
        [half]
        aws_access_key_id = AKIDHALF
        """, "000000000000");
    assertEquals(2, keys.size());
    assertEquals(new CredentialsFile.Principal("default", "AKIDONE", "s1", null, "000000000000"), keys.get("AKIDONE"));
    CredentialsFile.Principal tmp = keys.get("ASIATWO");
    assertEquals("tmp", tmp.profile());
    assertEquals("s2 ; not a comment: part of the value", tmp.secretKey());
    assertEquals("t2", tmp.sessionToken());
    assertEquals("111122223333", tmp.account());
    assertNull(keys.get("AKIDHALF"));
  }

  @Test
  void a_malformed_file_is_refused_naming_what_is_wrong() {
    assertEquals("line 2 is not '[profile]' or 'key = value'", assertThrows(IllegalArgumentException.class,
        () -> CredentialsFile.parse("[a]\nnonsense\n", "000000000000")).getMessage());
    assertEquals("access key K is in profiles a and b", assertThrows(IllegalArgumentException.class,
        () -> CredentialsFile.parse("[a]\naws_access_key_id=K\naws_secret_access_key=1\n"
            + "[b]\naws_access_key_id=K\naws_secret_access_key=2\n", "000000000000")).getMessage());
    assertEquals("profile a: aws_account_id must be 12 digits, not 12", assertThrows(IllegalArgumentException.class,
        () -> CredentialsFile.parse("[a]\naws_access_key_id=K\naws_secret_access_key=1\naws_account_id=12\n",
            "000000000000")).getMessage());
  }

  @Test
  void a_profile_takes_an_identity_policy_inline_or_from_a_file_beside_the_credentials(@TempDir Path dir)
      throws Exception {
    String policy = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kinesis:Get*\",\"Resource\":\"*\"}}";
    Files.writeString(dir.resolve("reader.json"), policy);
    Map<String, CredentialsFile.Principal> keys = CredentialsFile.parse("[inline]\naws_access_key_id=K1\n"
        + "aws_secret_access_key=1\nmillrace_policy = " + policy + "\n[file]\naws_access_key_id=K2\n"
        + "aws_secret_access_key=2\nmillrace_policy_file = reader.json\n", "000000000000", dir);
    assertEquals(Policy.parse(policy, Policy.Kind.IDENTITY), keys.get("K1").policy());
    assertEquals(Policy.parse(policy, Policy.Kind.IDENTITY), keys.get("K2").policy());
    assertEquals("arn:aws:iam::000000000000:user/file", keys.get("K2").arn());

    assertEquals("profile p: policy file " + dir.resolve("none.json") + " cannot be read: " + dir.resolve(
        "none.json"), assertThrows(IllegalArgumentException.class, () -> CredentialsFile.parse("[p]\n"
        + "aws_access_key_id=K\naws_secret_access_key=1\nmillrace_policy_file=none.json\n", "000000000000", dir))
        .getMessage());
    assertEquals("profile p: statement 1 has a Principal, which an identity policy does not have: its principal "
        + "is the profile it belongs to", assertThrows(IllegalArgumentException.class, () -> CredentialsFile.parse(
        "[p]\naws_access_key_id=K\naws_secret_access_key=1\nmillrace_policy={\"Statement\":{\"Effect\":"
        + "\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}}\n", "000000000000", dir))
        .getMessage());
    assertEquals("profile p: millrace_polcy is not a setting; Millrace's are millrace_policy and "
        + "millrace_policy_file", assertThrows(IllegalArgumentException.class, () -> CredentialsFile.parse(
        "[p]\naws_access_key_id=K\naws_secret_access_key=1\nmillrace_polcy={}\n", "000000000000", dir))
        .getMessage());
  }

  @Test
  void the_secret_never_appears_in_a_principal_s_text() {
    assertEquals("Principal[default, AKIDONE]",
        new CredentialsFile.Principal("default", "AKIDONE", "very-secret", null, "000000000000").toString());
  }
}
