#!/usr/bin/env bash
# One SQL application on this machine: the time from StartApplication to RUNNING and to its first output row, then
# the events per second it sustains and the CPU per event of the server and of the application's Flink JVM.
#
#   bash load-tests/analytics-app.sh [events]      (default 200000)
#
# Builds what it needs (the jar, the test classes, Flink's class path), starts one server as the README does
# (bin/millrace), and runs io.millrace.bench.AnalyticsBench against it: conf/analytics/clicks-per-key over one-shard
# streams, events put with PutRecords of 500 from one thread, 10 ms of event time apart over keys k0..k9; "every
# window out" is when the rows of the output stream count every event.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-200000}
source load-tests/millrace-server.sh
build_bench
require_build_and_free_port
start_millrace
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.millrace.bench.AnalyticsBench "$EVENTS" "$SERVER"
stop_millrace
