#!/usr/bin/env bash
# Firehose delivery throughput into the three store destinations, as the README starts Millrace (bin/millrace,
# durability always), on this machine:
#
#   bash load-tests/firehose-destinations.sh [redshift] [opensearch] [splunk] [records]
#   (default: all three, 200000 records each; e.g. `bash load-tests/firehose-destinations.sh redshift 50000`)
#
# Builds what it needs itself (`mvn -o -DskipTests verify` under the shared build lock: the jar, the test classes and
# the OpenSearch jars in target/opensearch; then the test classpath into target/bench-classpath.txt), starts one
# server, and runs io.millrace.bench.FirehoseDestinationBench against it, which for each destination in turn starts
# the store with the test server classes (PostgreSQL for Redshift, an OpenSearch node, the test HTTP Event Collector
# with indexer acknowledgement for Splunk), creates a delivery stream with buffering hints 5 MiB / 1 s, delivers a
# warm-up of 20,000 records through a first stream (not counted), then puts the records (~200 B of JSON each,
# PutRecordBatch of 500 from 4 threads) and polls the store until it holds them all. One line per destination
# (its layout, wrapped here; not measured figures):
#
#   redshift  200,000 records  41,000 rec/s delivered in 4.9 s  (puts done in 3.1 s, 64,500 rec/s)
#             server CPU 9.8 s = 20,400 rec per CPU-s  [store CPU 3.0 s, bench JVM CPU 2.1 s]
#
# - rec/s delivered: from the first put to the poll that saw every record in the store (polls every 100 ms,
#   OpenSearch every 250 ms: a refresh, then _count), so small runs carry up to a poll interval and the 1 s
#   buffering interval of the last batch;
# - puts done: when the last PutRecordBatch was answered, ingest alone;
# - server CPU: the Millrace process's utime + stime (/proc/<pid>/stat) over the delivered window; records per
#   server CPU-second is the figure to compare (BENCHMARKS.md: the producer, the store and the server share the
#   same two cores, so rates depend on how they share them);
# - in brackets, for reading the rest: the store's own processes (PostgreSQL's postmaster and backends, the
#   OpenSearch JVM; the HEC runs inside the bench JVM) and the bench JVM (producer, polls, and for Splunk the HEC).
# The run fails (exit 1) unless PostgreSQL holds exactly N rows with N distinct ids, the OpenSearch index exactly N
# documents, and the HEC every id (Splunk delivery is at least once: events sent twice are counted, not failed).
# BENCH_OPTS adds options of the bench (--warmup N, --threads N, --timeout-seconds N); DATA_DIR (default /tmp)
# picks the filesystem of the server's data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
DESTINATIONS=()
RECORDS=200000
for arg in "$@"; do
  case $arg in
    redshift|opensearch|splunk) DESTINATIONS+=("$arg") ;;
    ''|*[!0-9]*) echo "usage: $0 [redshift] [opensearch] [splunk] [records]" >&2; exit 2 ;;
    *) RECORDS=$arg ;;
  esac
done
source load-tests/millrace-server.sh

build_bench
require_build_and_free_port

start_millrace
# shellcheck disable=SC2086  # BENCH_OPTS are words
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -Dopensearch.dir="$PWD/target/opensearch" \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.millrace.bench.FirehoseDestinationBench --pid "$SERVER" --records "$RECORDS" ${BENCH_OPTS:-} \
  ${DESTINATIONS[@]+"${DESTINATIONS[@]}"}
stop_millrace
