package io.millrace.stream;

/**
 * An account's "On-demand Advantage" commitment (Describe/UpdateAccountSettings).
 *
 * @param status                   {@code ENABLED} or {@code DISABLED}
 * @param startedAtMillis          when it was enabled, or null
 * @param endedAtMillis            when it was disabled, or null
 * @param earliestAllowedEndMillis the earliest time it may be disabled, or null
 */
public record AccountSettings(String status, Long startedAtMillis, Long endedAtMillis, Long earliestAllowedEndMillis) {

  public static final AccountSettings DISABLED = new AccountSettings("DISABLED", null, null, null);
}
