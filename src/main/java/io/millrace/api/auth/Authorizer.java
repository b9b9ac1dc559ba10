package io.millrace.api.auth;

import io.millrace.error.KinesisException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a verified caller may perform an action on a resource, in IAM's order: an explicit deny in the
 * caller's identity policy or in the resource's policy wins; then, within one account, an allow in either suffices
 * (a resource policy naming only the account delegates to identity policies), while across accounts both must allow.
 * A caller without an identity policy is its account's root: everything in its account is allowed.
 *
 * <p>Thread-safe. Resource policies are parsed once per distinct text (a bounded cache).
 */
public final class Authorizer {

  /** Callers are only checked against their identity policies: the service keeps no resource policies. */
  public static final Authorizer IDENTITY_ONLY = new Authorizer(arn -> Optional.empty());

  private static final Logger LOG = LoggerFactory.getLogger(Authorizer.class);
  private static final int PARSED_POLICIES = 1024;

  private final Function<String, Optional<String>> resourcePolicies;
  /** Stored resource policies by text: the policy, or null for one that no longer reads as a policy. */
  private final Map<String, Optional<Policy>> parsed = new ConcurrentHashMap<>();

  /** @param resourcePolicies the resource policy document stored for an ARN, if any */
  public Authorizer(Function<String, Optional<String>> resourcePolicies) {
    this.resourcePolicies = resourcePolicies;
  }

  /**
   * Returns if {@code caller} may perform {@code action} (e.g. {@code kinesis:PutRecord}) on {@code resource} (an
   * ARN, or {@code *} for actions on no resource).
   *
   * @throws KinesisException.AccessDenied in IAM's words otherwise
   */
  public void check(CredentialsFile.Principal caller, String action, String resource) {
    Policy.Effect identity = caller.policy() == null ? Policy.Effect.ALLOW
        : caller.policy().evaluate(caller, action, resource);
    Policy.Effect byResource = resource.equals("*") ? Policy.Effect.NONE : byResourcePolicy(caller, action, resource);
    if (identity == Policy.Effect.DENY) {
      throw denied(caller, action, resource, "with an explicit deny in an identity-based policy");
    }
    if (byResource == Policy.Effect.DENY) {
      throw denied(caller, action, resource, "with an explicit deny in a resource-based policy");
    }
    if (accountOf(resource, caller.account()).equals(caller.account())) {
      if (identity != Policy.Effect.ALLOW && byResource != Policy.Effect.ALLOW) {
        throw denied(caller, action, resource, "because no identity-based policy allows the " + action + " action");
      }
    } else if (byResource == Policy.Effect.NONE) {
      throw denied(caller, action, resource, "because no resource-based policy allows the " + action + " action");
    } else if (identity != Policy.Effect.ALLOW) {
      throw denied(caller, action, resource, "because no identity-based policy allows the " + action + " action");
    }
  }

  /**
   * What the resource's stored policy says. One that no longer reads as a policy (stored before policies were checked
   * at PutResourcePolicy, e.g. with a Condition) denies everyone but the resource account's root, who may replace or
   * delete it: it may have held denies, and dropping them silently would let in whom they kept out.
   */
  private Policy.Effect byResourcePolicy(CredentialsFile.Principal caller, String action, String resource) {
    Optional<String> text = resourcePolicies.apply(resource);
    if (text.isEmpty()) {
      return Policy.Effect.NONE;
    }
    if (parsed.size() >= PARSED_POLICIES) {
      parsed.clear();
    }
    Optional<Policy> policy = parsed.computeIfAbsent(text.get(), t -> {
      try {
        return Optional.of(Policy.parse(t, Policy.Kind.RESOURCE));
      } catch (IllegalArgumentException e) {
        LOG.warn("The resource policy of {} cannot be enforced ({}); it denies every caller but the account's root "
            + "until it is replaced or deleted", resource, e.getMessage());
        return Optional.empty();
      }
    });
    if (policy.isPresent()) {
      return policy.get().evaluate(caller, action, resource);
    }
    boolean owner = caller.policy() == null && caller.account().equals(accountOf(resource, caller.account()));
    return owner ? Policy.Effect.NONE : Policy.Effect.DENY;
  }

  /** The account of an ARN ({@code arn:partition:service:region:account:...}), or {@code otherwise}. */
  static String accountOf(String arn, String otherwise) {
    String[] parts = arn.split(":", 6);
    return parts.length == 6 && parts[4].matches("\\d{12}") ? parts[4] : otherwise;
  }

  private static KinesisException.AccessDenied denied(CredentialsFile.Principal caller, String action,
                                                      String resource, String because) {
    return new KinesisException.AccessDenied("User: " + caller.arn() + " is not authorized to perform: " + action
        + (resource.equals("*") ? "" : " on resource: " + resource) + " " + because);
  }
}
