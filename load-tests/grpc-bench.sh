#!/usr/bin/env bash
# The native gRPC API beside the Kinesis API on one server: produce throughput (PutRecords with the AWS SDK for
# Java v2, gRPC Produce, gRPC ProduceStream), put-to-push latency (gRPC Subscribe, SubscribeToShard) and catch-up
# throughput from the trim horizon, with the server's CPU for each.
#
#   MILLRACE_BUILD_LOCK_HELD=1 flock /tmp/millrace-build.lock bash load-tests/grpc-bench.sh [records]
#   (default 200000 records per producer and repetition; the lock held for the whole run, so no other build on the
#   machine disturbs the measurement, and the variable tells the build step here that it holds it already)
#
# Builds what it needs (the jar, the test classes, the test class path), starts one server as the README does
# (bin/millrace), and runs io.millrace.bench.GrpcBench against it (its javadoc says what each phase does):
#
# - produce: batches of 500 records of 1 KiB over random partition keys into a fresh 4-shard stream, one producer
#   thread and connection each; a warm-up of 50,000 records each (not counted), then 2 repetitions, the order
#   rotating; records/s and server CPU-seconds (/proc/<pid>/stat of the server) per 100,000 records;
# - put to push: 1,000 records/s of 1 KiB into one shard (gRPC Produce from a 1 ms timer, each record stamped with
#   the time its call was sent), one subscriber at a time from the trim horizon; 5 s of warm-up, 20 s measured;
#   p50, p99 and max from the stamp to the subscriber's handler;
# - catch-up: a one-shard stream filled with 100 MiB of 1 KiB records, read from the trim horizon by each subscriber
#   in turn, 2 repetitions alternating; records/s, MiB/s and server CPU per 100,000 records.
#
# BENCH_OPTS adds options of the bench (--warmup-records N, --repetitions N, --rate N, --latency-seconds N,
# --catch-up-mib N); DATA_DIR (default /tmp) picks the filesystem of the server's data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-200000}
source load-tests/millrace-server.sh
build_bench
require_build_and_free_port
start_millrace
# shellcheck disable=SC2086  # BENCH_OPTS are words
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.millrace.bench.GrpcBench --pid "$SERVER" --records "$RECORDS" ${BENCH_OPTS:-}
stop_millrace
