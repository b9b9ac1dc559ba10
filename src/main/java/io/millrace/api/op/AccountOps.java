package io.millrace.api.op;

import io.millrace.api.model.Requests.EmptyRequest;
import io.millrace.api.auth.Policy;
import io.millrace.api.model.Requests.ResourcePolicyRequest;
import io.millrace.api.model.Requests.UpdateAccountSettingsRequest;
import io.millrace.api.model.Responses;
import io.millrace.error.KinesisException;
import io.millrace.stream.AccountSettings;
import io.millrace.stream.ConsumerRegistry;
import io.millrace.stream.StreamRegistry;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/** Account-level and resource-policy actions: DescribeLimits, account settings, resource policies. */
final class AccountOps {

  private AccountOps() {}

  private static final long ONE_DAY_MILLIS = 24L * 3600 * 1000;

  static final class DescribeLimits extends BaseOperation<EmptyRequest, Responses.DescribeLimitsResponse> {
    private final StreamRegistry registry;

    DescribeLimits(StreamRegistry registry) {
      super("DescribeLimits", EmptyRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.DescribeLimitsResponse> handle(EmptyRequest r, RequestScope scope) {
      return Future.succeededFuture(new Responses.DescribeLimitsResponse(registry.limits().shardLimit(),
          registry.openShardCount(scope.account(), scope.region()),
          registry.onDemandStreamCount(scope.account(), scope.region()), registry.limits().onDemandStreamLimit()));
    }
  }

  static Responses.AccountSettingsResponse settings(AccountSettings s) {
    return new Responses.AccountSettingsResponse(new Responses.MinimumThroughputBillingCommitmentOutput(s.status(),
        instant(s.startedAtMillis()), instant(s.endedAtMillis()), instant(s.earliestAllowedEndMillis())));
  }

  private static Instant instant(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }

  static final class DescribeAccountSettings
      extends BaseOperation<EmptyRequest, Responses.AccountSettingsResponse> {
    private final StreamRegistry registry;

    DescribeAccountSettings(StreamRegistry registry) {
      super("DescribeAccountSettings", EmptyRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.AccountSettingsResponse> handle(EmptyRequest r, RequestScope scope) {
      return Future.succeededFuture(settings(registry.accountSettings(scope.account())));
    }
  }

  static final class UpdateAccountSettings
      extends BaseOperation<UpdateAccountSettingsRequest, Responses.AccountSettingsResponse> {
    private final StreamRegistry registry;

    UpdateAccountSettings(StreamRegistry registry) {
      super("UpdateAccountSettings", UpdateAccountSettingsRequest.class);
      this.registry = registry;
    }

    @Override
    public Future<Responses.AccountSettingsResponse> handle(UpdateAccountSettingsRequest r, RequestScope scope) {
      long now = registry.clock().millis();
      AccountSettings current = registry.accountSettings(scope.account());
      boolean enable = "ENABLED".equals(r.minimumThroughputBillingCommitment().status());
      AccountSettings next;
      if (enable) {
        next = "ENABLED".equals(current.status()) ? current
            : new AccountSettings("ENABLED", now, null, now + ONE_DAY_MILLIS);
      } else {
        if ("ENABLED".equals(current.status()) && now < current.earliestAllowedEndMillis()) {
          throw new KinesisException.InvalidArgument("The minimum throughput billing commitment cannot end before "
              + Instant.ofEpochMilli(current.earliestAllowedEndMillis()) + ".");
        }
        next = "ENABLED".equals(current.status())
            ? new AccountSettings("DISABLED", current.startedAtMillis(), now, null) : current;
      }
      return registry.putAccountSettings(scope.account(), next).map(AccountOps::settings);
    }
  }

  /** A resource policy names an existing stream (consumers come with enhanced fan-out). */
  /** The stream or registered consumer {@code arn} names must exist. */
  private static void requireResource(StreamRegistry registry, ConsumerRegistry consumers, String arn) {
    if (TagOps.isConsumer(arn)) {
      consumers.consumer(arn).orElseThrow(() -> ConsumerRegistry.notFound(arn));
    } else {
      registry.require(TagOps.streamOf(arn));
    }
  }

  static final class PutResourcePolicy extends BaseOperation<ResourcePolicyRequest, Responses.Empty> {
    private final StreamRegistry registry;

    private final ConsumerRegistry consumers;

    PutResourcePolicy(StreamRegistry registry, ConsumerRegistry consumers) {
      super("PutResourcePolicy", ResourcePolicyRequest.class);
      this.registry = registry;
      this.consumers = consumers;
    }

    @Override
    public Future<Responses.Empty> handle(ResourcePolicyRequest r, RequestScope scope) {
      if (r.policy() == null || r.policy().isBlank()) {
        throw new KinesisException.InvalidArgument("Policy is required and must be a JSON policy document.");
      }
      try {
        Policy.parse(r.policy(), Policy.Kind.RESOURCE);
      } catch (IllegalArgumentException e) {
        throw new KinesisException.InvalidArgument("Policy is not a resource policy Millrace can enforce: "
            + e.getMessage() + ".");
      }
      requireResource(registry, consumers, r.resourceARN());
      return registry.putPolicy(r.resourceARN(), r.policy()).map(Responses.Empty.INSTANCE);
    }
  }

  static final class GetResourcePolicy
      extends BaseOperation<ResourcePolicyRequest, Responses.GetResourcePolicyResponse> {
    private final StreamRegistry registry;

    private final ConsumerRegistry consumers;

    GetResourcePolicy(StreamRegistry registry, ConsumerRegistry consumers) {
      super("GetResourcePolicy", ResourcePolicyRequest.class);
      this.registry = registry;
      this.consumers = consumers;
    }

    @Override
    public Future<Responses.GetResourcePolicyResponse> handle(ResourcePolicyRequest r, RequestScope scope) {
      requireResource(registry, consumers, r.resourceARN());
      return Future.succeededFuture(new Responses.GetResourcePolicyResponse(
          registry.policy(r.resourceARN()).orElse("{}")));
    }
  }

  static final class DeleteResourcePolicy extends BaseOperation<ResourcePolicyRequest, Responses.Empty> {
    private final StreamRegistry registry;

    private final ConsumerRegistry consumers;

    DeleteResourcePolicy(StreamRegistry registry, ConsumerRegistry consumers) {
      super("DeleteResourcePolicy", ResourcePolicyRequest.class);
      this.registry = registry;
      this.consumers = consumers;
    }

    @Override
    public Future<Responses.Empty> handle(ResourcePolicyRequest r, RequestScope scope) {
      requireResource(registry, consumers, r.resourceARN());
      if (registry.policy(r.resourceARN()).isEmpty()) {
        throw new KinesisException.ResourceNotFound("No resource policy found for resource " + r.resourceARN()
            + ".");
      }
      return registry.deletePolicy(r.resourceARN()).map(Responses.Empty.INSTANCE);
    }
  }

  static List<Operation<?, ?>> all(StreamRegistry registry, ConsumerRegistry consumers) {
    return List.of(new DescribeLimits(registry), new DescribeAccountSettings(registry),
        new UpdateAccountSettings(registry), new PutResourcePolicy(registry, consumers),
        new GetResourcePolicy(registry, consumers), new DeleteResourcePolicy(registry, consumers));
  }
}
