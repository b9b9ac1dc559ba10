package io.millrace.api.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.millrace.error.KinesisException;
import io.millrace.testing.Property;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AuthorizerTest {

  private static final String ACCOUNT = "123456789012";
  private static final String OTHER = "111122223333";
  private static final String A = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/a";
  private static final String B = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/b";

  private final Map<String, String> resourcePolicies = new HashMap<>();
  private final Authorizer authorizer = new Authorizer(arn -> Optional.ofNullable(resourcePolicies.get(arn)));

  private static CredentialsFile.Principal user(String name, String account, String policy) {
    return new CredentialsFile.Principal(name, "AKID" + name, "secret", null, account,
        policy == null ? null : Policy.parse(policy, Policy.Kind.IDENTITY));
  }

  private static String statement(String effect, String action, String resource) {
    return "{\"Effect\":\"" + effect + "\",\"Action\":" + action + ",\"Resource\":\"" + resource + "\"}";
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private String refusal(CredentialsFile.Principal who, String action, String resource) {
    return assertThrows(KinesisException.AccessDenied.class, () -> authorizer.check(who, action, resource))
        .getMessage();
  }

  @Test
  void a_profile_without_a_policy_is_its_accounts_root_and_may_do_anything_in_its_account() {
    CredentialsFile.Principal root = user("admin", ACCOUNT, null);
    assertEquals("arn:aws:iam::" + ACCOUNT + ":root", root.arn());
    assertDoesNotThrow(() -> authorizer.check(root, "kinesis:DeleteStream", A));
    assertDoesNotThrow(() -> authorizer.check(root, "kinesis:ListStreams", "*"));
  }

  @Test
  void an_identity_policy_allows_what_it_lists_with_wildcards_and_nothing_else_in_iams_words() {
    CredentialsFile.Principal writer = user("writer", ACCOUNT, policy(
        statement("Allow", "[\"kinesis:PutRecord*\",\"KINESIS:describestream?ummary\"]",
            "arn:aws:kinesis:*:" + ACCOUNT + ":stream/a")));
    assertDoesNotThrow(() -> authorizer.check(writer, "kinesis:PutRecords", A));
    assertDoesNotThrow(() -> authorizer.check(writer, "kinesis:DescribeStreamSummary", A));
    assertEquals("User: arn:aws:iam::" + ACCOUNT + ":user/writer is not authorized to perform: kinesis:GetRecords "
        + "on resource: " + A + " because no identity-based policy allows the kinesis:GetRecords action",
        refusal(writer, "kinesis:GetRecords", A));
    refusal(writer, "kinesis:PutRecord", B);
    assertEquals("User: arn:aws:iam::" + ACCOUNT + ":user/writer is not authorized to perform: kinesis:ListStreams "
        + "because no identity-based policy allows the kinesis:ListStreams action",
        refusal(writer, "kinesis:ListStreams", "*"));
  }

  @Test
  void an_explicit_deny_wins_over_any_allow_in_either_policy() {
    CredentialsFile.Principal reader = user("reader", ACCOUNT, policy(statement("Allow", "\"kinesis:*\"", "*"),
        statement("Deny", "\"kinesis:Get*\"", B)));
    assertDoesNotThrow(() -> authorizer.check(reader, "kinesis:GetRecords", A));
    assertTrue(refusal(reader, "kinesis:GetRecords", B).endsWith(" with an explicit deny in an identity-based policy"));

    resourcePolicies.put(A, policy("{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + ACCOUNT + "\"},"
        + "\"Action\":\"kinesis:PutRecord\",\"Resource\":\"" + A + "\"}"));
    CredentialsFile.Principal root = user("admin", ACCOUNT, null);
    assertEquals("User: arn:aws:iam::" + ACCOUNT + ":root is not authorized to perform: kinesis:PutRecord on "
        + "resource: " + A + " with an explicit deny in a resource-based policy",
        refusal(root, "kinesis:PutRecord", A));
    assertDoesNotThrow(() -> authorizer.check(root, "kinesis:PutRecords", A));
  }

  @Test
  void in_one_account_a_resource_policy_naming_the_user_suffices_but_one_naming_the_account_only_delegates() {
    CredentialsFile.Principal nobody = user("nobody", ACCOUNT, policy(statement("Allow", "\"kinesis:ListShards\"",
        "*")));
    resourcePolicies.put(A, policy("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::" + ACCOUNT
        + ":user/nobody\"]},\"Action\":\"kinesis:GetRecords\",\"Resource\":\"" + A + "\"}"));
    resourcePolicies.put(B, policy("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + ACCOUNT
        + ":root\"},\"Action\":\"kinesis:GetRecords\",\"Resource\":\"" + B + "\"}"));
    assertDoesNotThrow(() -> authorizer.check(nobody, "kinesis:GetRecords", A));
    refusal(nobody, "kinesis:GetRecords", B);
  }

  @Test
  void across_accounts_both_the_resource_policy_and_the_callers_identity_must_allow() {
    CredentialsFile.Principal outsider = user("outsider", OTHER, null);
    assertEquals("User: arn:aws:iam::" + OTHER + ":root is not authorized to perform: kinesis:PutRecord on "
        + "resource: " + A + " because no resource-based policy allows the kinesis:PutRecord action",
        refusal(outsider, "kinesis:PutRecord", A));
    resourcePolicies.put(A, policy("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" + OTHER + "\"},"
        + "\"Action\":\"kinesis:PutRecord\",\"Resource\":\"" + A + "\"}"));
    assertDoesNotThrow(() -> authorizer.check(outsider, "kinesis:PutRecord", A));

    CredentialsFile.Principal limited = user("limited", OTHER, policy(statement("Allow", "\"kinesis:Describe*\"",
        "*")));
    assertTrue(refusal(limited, "kinesis:PutRecord", A).endsWith(
        " because no identity-based policy allows the kinesis:PutRecord action"));
  }

  @Test
  void not_action_and_not_resource_invert_their_lists() {
    CredentialsFile.Principal most = user("most", ACCOUNT, "{\"Statement\":{\"Effect\":\"Allow\","
        + "\"NotAction\":\"kinesis:Delete*\",\"NotResource\":\"" + B + "\"}}");
    assertDoesNotThrow(() -> authorizer.check(most, "kinesis:PutRecord", A));
    refusal(most, "kinesis:DeleteStream", A);
    refusal(most, "kinesis:PutRecord", B);
  }

  @Test
  void documents_the_evaluation_would_get_wrong_are_refused_with_the_reason() {
    assertEquals("statement 1 has a Condition, which Millrace does not evaluate; express the rule with Action, "
        + "Resource and Principal instead", assertThrows(IllegalArgumentException.class, () -> Policy.parse(
        policy("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{}}"),
        Policy.Kind.IDENTITY)).getMessage());
    assertEquals("statement 1 has no Principal, which a resource policy needs", assertThrows(
        IllegalArgumentException.class, () -> Policy.parse(policy(statement("Allow", "\"*\"", "*")),
            Policy.Kind.RESOURCE)).getMessage());
    assertEquals("statement 2: Effect must be Allow or Deny", assertThrows(IllegalArgumentException.class,
        () -> Policy.parse(policy(statement("Allow", "\"*\"", "*"), statement("Maybe", "\"*\"", "*")),
            Policy.Kind.IDENTITY)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("{\"Statement\":{\"Effect\":\"Allow\","
        + "\"Principal\":{\"Service\":\"firehose.amazonaws.com\"},\"Action\":\"*\",\"Resource\":\"*\"}}",
        Policy.Kind.RESOURCE));
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("[]", Policy.Kind.IDENTITY));
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("{\"Statement\":[]}", Policy.Kind.IDENTITY));
  }

  @Test
  void principals_and_documents_that_would_be_read_as_something_not_written_are_refused() {
    for (String principal : List.of("arn:aws:iam::123456789012:user/*", "arn:aws:iam::*:root",
        "arn:aws:iam::123456789012:role/app", "12345")) {
      assertThrows(IllegalArgumentException.class, () -> Policy.parse(policy("{\"Effect\":\"Deny\","
          + "\"Principal\":{\"AWS\":\"" + principal + "\"},\"Action\":\"*\",\"Resource\":\"*\"}"),
          Policy.Kind.RESOURCE), principal);
    }
    String allowAll = policy(statement("Allow", "\"*\"", "*"));
    assertThrows(IllegalArgumentException.class, () -> Policy.parse(allowAll + policy(statement("Deny", "\"*\"",
        "*")), Policy.Kind.IDENTITY), "a second document");
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("{\"Statement\":" + statement("Deny", "\"*\"",
        "*") + ",\"Statement\":" + statement("Allow", "\"*\"", "*") + "}", Policy.Kind.IDENTITY), "a key twice");
  }

  @Test
  void a_stored_resource_policy_that_no_longer_reads_denies_everyone_but_the_accounts_root() {
    resourcePolicies.put(A, "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
        + "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}}");
    CredentialsFile.Principal all = user("all", ACCOUNT, policy(statement("Allow", "\"kinesis:*\"", "*")));
    assertTrue(refusal(all, "kinesis:GetRecords", A).endsWith(" with an explicit deny in a resource-based policy"));
    assertDoesNotThrow(() -> authorizer.check(user("admin", ACCOUNT, null), "kinesis:DeleteResourcePolicy", A));
  }

  @Test
  void a_mangled_policy_is_refused_with_a_reason_and_never_an_exception_of_another_kind() {
    String valid = policy("{\"Sid\":\"s\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"" + ACCOUNT + "\"]},"
        + "\"Action\":[\"kinesis:Get*\"],\"NotResource\":\"" + B + "\"}");
    String alphabet = "{}[]\":,*? aAzZ09-/";
    Property.forAll(g -> {
      StringBuilder text = new StringBuilder(valid);
      for (int i = g.intIn(1, 4); i > 0 && text.length() > 0; i--) {
        int at = g.intIn(0, text.length() - 1);
        if (g.bool()) {
          text.deleteCharAt(at);
        } else {
          text.insert(at, alphabet.charAt(g.intIn(0, alphabet.length() - 1)));
        }
      }
      return text.toString();
    }, text -> {
      for (Policy.Kind kind : Policy.Kind.values()) {
        try {
          Policy.parse(text, kind).evaluate(user("u", ACCOUNT, null), "kinesis:GetRecords", A);
        } catch (IllegalArgumentException refused) {
          assertFalse(refused.getMessage().isBlank());
        }
      }
    });
  }

  @Test
  void wildcards_match_any_run_and_exactly_one_character() {
    assertTrue(Policy.Wildcard.matches("a*c", "abbbc"));
    assertTrue(Policy.Wildcard.matches("a*", "a"));
    assertTrue(Policy.Wildcard.matches("a?c", "abc"));
    assertFalse(Policy.Wildcard.matches("a?c", "ac"));
    assertFalse(Policy.Wildcard.matches("a*c", "abcd"));
    assertTrue(Policy.Wildcard.matches("*b*", "abc"));
  }
}
