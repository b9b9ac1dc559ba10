package io.millrace.api.analytics;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.analytics.Analytics;
import io.millrace.analytics.ApplicationMeta;
import io.millrace.api.model.Responses;
import io.millrace.api.op.Operation;
import io.millrace.api.op.OperationTable;
import io.millrace.api.op.RequestScope;
import io.millrace.api.op.Service;
import io.millrace.api.validate.Validated;
import io.millrace.api.validate.Validator;
import io.millrace.error.KinesisException;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/**
 * Kinesis Analytics v2's dispatch table ({@code X-Amz-Target: KinesisAnalytics_20180523.<action>}) for the
 * application lifecycle: CreateApplication (a FLINK runtime, the application code as plain-text Flink SQL),
 * DescribeApplication, ListApplications, StartApplication, StopApplication and DeleteApplication, in the API's
 * shapes and member names. The {@link Analytics} core does the work. Immutable once built.
 */
public final class AnalyticsOperations implements Service {

  public static final String TARGET_PREFIX = "KinesisAnalytics_20180523";
  static final String NAME_PATTERN = "[a-zA-Z0-9_.-]+";
  static final String ROLE_PATTERN = "arn:.*";
  static final List<String> RUNTIMES = List.of("SQL-1_0", "FLINK-1_6", "FLINK-1_8", "FLINK-1_11", "FLINK-1_13",
      "FLINK-1_15", "FLINK-1_18", "FLINK-1_19", "FLINK-1_20", "ZEPPELIN-FLINK-1_0", "ZEPPELIN-FLINK-2_0",
      "ZEPPELIN-FLINK-3_0");

  private final Analytics analytics;
  private final OperationTable operations = new OperationTable();

  public AnalyticsOperations(Analytics analytics) {
    this.analytics = analytics;
    operations.add("CreateApplication", CreateApplicationRequest.class, this::create);
    operations.add("DescribeApplication", ApplicationNameRequest.class, (r, s) ->
        analytics.describe(s.account(), s.region(), r.applicationName()).map(a -> new ApplicationResponse(detail(a))));
    operations.add("ListApplications", ListApplicationsRequest.class, (r, s) ->
        analytics.list(s.account(), s.region()).map(all -> new ListApplicationsResponse(all.stream()
            .map(a -> new ApplicationSummary(a.name(), a.arn(), a.status(), a.versionId(), a.runtimeEnvironment(),
                "STREAMING")).toList(), null)));
    operations.add("StartApplication", StartApplicationRequest.class, (r, s) ->
        analytics.startApplication(s.account(), s.region(), r.applicationName()).map(Responses.Empty.INSTANCE));
    operations.add("StopApplication", StopApplicationRequest.class, (r, s) ->
        analytics.stopApplication(s.account(), s.region(), r.applicationName()).map(Responses.Empty.INSTANCE));
    operations.add("DeleteApplication", DeleteApplicationRequest.class, (r, s) ->
        analytics.delete(s.account(), s.region(), r.applicationName(), r.createTimestamp().toEpochMilli())
            .map(Responses.Empty.INSTANCE));
  }

  @Override
  public String targetPrefix() {
    return TARGET_PREFIX;
  }

  @Override
  public String signingName() {
    return "kinesisanalytics";
  }

  /** The application a request names; {@code *} for ListApplications. */
  @Override
  public String resourceOf(String action, Validated request, RequestScope scope) {
    String name = request instanceof ApplicationScoped r ? r.applicationName() : null;
    return name == null ? "*" : ApplicationMeta.arn(scope.account(), scope.region(), name);
  }

  /** A request about one application, named by its ApplicationName. */
  public interface ApplicationScoped {
    String applicationName();
  }

  @Override
  public Operation<?, ?> find(String action) {
    return operations.find(action);
  }

  @Override
  public String notServed(String action) {
    return "Kinesis Analytics' " + action + " is not served by Millrace; it serves CreateApplication, "
        + "DescribeApplication, ListApplications, StartApplication, StopApplication and DeleteApplication.";
  }



  private Future<ApplicationResponse> create(CreateApplicationRequest r, RequestScope scope) {
    if (!r.runtimeEnvironment().startsWith("FLINK-")) {
      throw new KinesisException.InvalidArgument("RuntimeEnvironment " + r.runtimeEnvironment() + " is not served: "
          + "Millrace runs applications of Flink SQL; use a FLINK runtime such as FLINK-1_19.");
    }
    ApplicationCodeConfiguration code = r.applicationConfiguration() == null ? null
        : r.applicationConfiguration().applicationCodeConfiguration();
    if (code == null || !"PLAINTEXT".equals(code.codeContentType()) || code.codeContent() == null
        || code.codeContent().textContent() == null || code.codeContent().textContent().isBlank()) {
      throw new KinesisException.InvalidArgument("Millrace runs an application's Flink SQL: give it as "
          + "ApplicationConfiguration.ApplicationCodeConfiguration with CodeContentType PLAINTEXT and the statements "
          + "in CodeContent.TextContent.");
    }
    long now = System.currentTimeMillis();
    ApplicationMeta app = new ApplicationMeta(scope.account(), scope.region(), r.applicationName(),
        r.applicationDescription(), r.runtimeEnvironment(), r.serviceExecutionRole(),
        code.codeContent().textContent(), ApplicationMeta.READY, 1, now, now);
    return analytics.create(app).map(a -> new ApplicationResponse(detail(a)));
  }

  static ApplicationDetail detail(ApplicationMeta a) {
    return new ApplicationDetail(a.arn(), a.description(), a.name(), a.runtimeEnvironment(), a.role(), a.status(),
        a.versionId(), Instant.ofEpochMilli(a.createdMillis()), Instant.ofEpochMilli(a.updatedMillis()),
        new ApplicationConfigurationDescription(new ApplicationCodeConfigurationDescription("PLAINTEXT",
            new CodeContentDescription(a.sql()))), "STREAMING");
  }

  // ---- shapes ----

  static void name(Validator v, String applicationName) {
    v.requiredString("applicationName", applicationName, 1, 128, NAME_PATTERN);
  }

  public record CodeContent(String textContent, JsonNode zipFileContent, JsonNode s3ContentLocation) {}

  public record ApplicationCodeConfiguration(CodeContent codeContent, String codeContentType) {}

  public record ApplicationConfiguration(ApplicationCodeConfiguration applicationCodeConfiguration,
                                         JsonNode flinkApplicationConfiguration,
                                         JsonNode environmentProperties) {}

  public record CreateApplicationRequest(String applicationName, String applicationDescription,
                                         String runtimeEnvironment, String serviceExecutionRole,
                                         ApplicationConfiguration applicationConfiguration,
                                         JsonNode cloudWatchLoggingOptions, JsonNode tags, String applicationMode)
      implements Validated, ApplicationScoped {
    @Override
    public void validate(Validator v) {
      name(v, applicationName);
      v.string("applicationDescription", applicationDescription, 0, 1024, null);
      if (v.required("runtimeEnvironment", runtimeEnvironment)) {
        v.oneOf("runtimeEnvironment", runtimeEnvironment, RUNTIMES);
      }
      v.requiredString("serviceExecutionRole", serviceExecutionRole, 1, 2048, ROLE_PATTERN);
      if (applicationConfiguration != null && applicationConfiguration.applicationCodeConfiguration() != null) {
        ApplicationCodeConfiguration c = applicationConfiguration.applicationCodeConfiguration();
        if (v.required("applicationConfiguration.applicationCodeConfiguration.codeContentType",
            c.codeContentType())) {
          v.oneOf("applicationConfiguration.applicationCodeConfiguration.codeContentType", c.codeContentType(),
              List.of("PLAINTEXT", "ZIPFILE"));
        }
        if (c.codeContent() != null) {
          v.string("applicationConfiguration.applicationCodeConfiguration.codeContent.textContent",
              c.codeContent().textContent(), 0, 102400, null);
        }
      }
    }
  }

  public record ApplicationNameRequest(String applicationName, Boolean includeAdditionalDetails)
      implements Validated, ApplicationScoped {
    @Override
    public void validate(Validator v) {
      name(v, applicationName);
    }
  }

  public record StartApplicationRequest(String applicationName, JsonNode runConfiguration)
      implements Validated, ApplicationScoped {
    @Override
    public void validate(Validator v) {
      name(v, applicationName);
    }
  }

  public record StopApplicationRequest(String applicationName, Boolean force) implements Validated, ApplicationScoped {
    @Override
    public void validate(Validator v) {
      name(v, applicationName);
    }
  }

  public record DeleteApplicationRequest(String applicationName, Instant createTimestamp)
      implements Validated, ApplicationScoped {
    @Override
    public void validate(Validator v) {
      name(v, applicationName);
      v.required("createTimestamp", createTimestamp);
    }
  }

  public record ListApplicationsRequest(Integer limit, String nextToken) implements Validated {
    @Override
    public void validate(Validator v) {
      v.range("limit", limit, 1, 50);
    }
  }

  public record CodeContentDescription(String textContent) {}

  public record ApplicationCodeConfigurationDescription(String codeContentType,
                                                        CodeContentDescription codeContentDescription) {}

  public record ApplicationConfigurationDescription(
      ApplicationCodeConfigurationDescription applicationCodeConfigurationDescription) {}

  public record ApplicationDetail(@JsonProperty("ApplicationARN") String applicationArn,
                                  String applicationDescription, String applicationName, String runtimeEnvironment,
                                  String serviceExecutionRole, String applicationStatus, Long applicationVersionId,
                                  Instant createTimestamp, Instant lastUpdateTimestamp,
                                  ApplicationConfigurationDescription applicationConfigurationDescription,
                                  String applicationMode) {}

  public record ApplicationResponse(ApplicationDetail applicationDetail) {}

  public record ApplicationSummary(String applicationName, @JsonProperty("ApplicationARN") String applicationArn,
                                   String applicationStatus, Long applicationVersionId, String runtimeEnvironment,
                                   String applicationMode) {}

  public record ListApplicationsResponse(List<ApplicationSummary> applicationSummaries, String nextToken) {}
}
