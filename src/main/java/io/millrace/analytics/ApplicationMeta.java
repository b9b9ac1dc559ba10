package io.millrace.analytics;

/**
 * One analytics application as the control plane keeps it: Flink SQL over Millrace streams. Immutable.
 *
 * @param account            its account
 * @param region             its region
 * @param name               ApplicationName
 * @param description        ApplicationDescription, or null
 * @param runtimeEnvironment RuntimeEnvironment as given (a FLINK-1_x value)
 * @param role               ServiceExecutionRole (recorded; Millrace does not assume roles)
 * @param sql                the application code: Flink SQL statements separated by semicolons
 * @param status             READY, STARTING, RUNNING or STOPPING
 * @param versionId          1 at creation
 * @param createdMillis      creation time
 * @param updatedMillis      last status or configuration change
 */
public record ApplicationMeta(String account, String region, String name, String description,
                              String runtimeEnvironment, String role, String sql, String status, long versionId,
                              long createdMillis, long updatedMillis) {

  public static final String READY = "READY";
  public static final String STARTING = "STARTING";
  public static final String RUNNING = "RUNNING";
  public static final String STOPPING = "STOPPING";

  public String arn() {
    return arn(account, region, name);
  }

  /** The ARN of application {@code name} of {@code account} in {@code region}. */
  public static String arn(String account, String region, String name) {
    return "arn:aws:kinesisanalytics:" + region + ":" + account + ":application/" + name;
  }

  /** Its key among all applications. */
  public String key() {
    return key(account, region, name);
  }

  static String key(String account, String region, String name) {
    return account + "/" + region + "/" + name;
  }

  ApplicationMeta withStatus(String next, long nowMillis) {
    return new ApplicationMeta(account, region, name, description, runtimeEnvironment, role, sql, next, versionId,
        createdMillis, nowMillis);
  }
}
