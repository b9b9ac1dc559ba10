#!/usr/bin/env bash
# The durable put's latency at 1,000 PutRecord/s into one shard (put-latency.mjs, open loop, plain Node), as the
# README starts Millrace (bin/millrace, durability always):
#
#   mvn -q package -DskipTests && bash load-tests/latency.sh [repetitions] [seconds]
#
# Each repetition, on a fresh server: a warm-up run (JIT), then
#   quiet   PutRecord alone;
#   reader  PutRecord with a tight GetRecords loop on the shard (put -> seen);
#   dd      PutRecord while dd writes 1 GiB with conv=fdatasync to the same filesystem;
# and the disk alone (fsync-probe.mjs), quiet and beside the same dd, so that the server's figures can be read
# against what one 4 KiB fdatasync costs here. DATA_DIR (default /tmp) picks the filesystem.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-2}
SECONDS_PER_RUN=${2:-15}
BASE=${DATA_DIR:-/tmp}
source load-tests/millrace-server.sh
require_build_and_free_port
DD=""
cleanup_more() {
  if [ -n "$DD" ]; then kill "$DD" 2>/dev/null; fi
  rm -f "$BASE/millrace-dd.$$"
}

dd_in_6s() { (sleep 6; dd if=/dev/zero of="$BASE/millrace-dd.$$" bs=1M count=1024 conv=fdatasync 2>/dev/null; \
  rm -f "$BASE/millrace-dd.$$") & DD=$!; }

for rep in $(seq 1 "$REPS"); do
  start_millrace
  node load-tests/put-latency.mjs --seconds 10 --warmup 5 --no-reader > /dev/null
  echo "--- repetition $rep"
  echo "quiet:  $(node load-tests/put-latency.mjs --seconds "$SECONDS_PER_RUN" --pid "$SERVER" --no-reader \
    | grep -E 'put latency|server CPU' | tr '\n' ' ')"
  echo "reader: $(node load-tests/put-latency.mjs --seconds "$SECONDS_PER_RUN" --pid "$SERVER" \
    | grep -E 'put latency|seen|server CPU' | tr '\n' ' ')"
  dd_in_6s
  echo "dd:     $(node load-tests/put-latency.mjs --seconds "$SECONDS_PER_RUN" --pid "$SERVER" --no-reader \
    | grep -E 'put latency' | tr '\n' ' ')"
  wait "$DD"; DD=""
  stop_millrace
  echo "disk alone, quiet: $(node load-tests/fsync-probe.mjs 8 "$BASE")"
  dd_in_6s
  echo "disk alone, dd:    $(node load-tests/fsync-probe.mjs 12 "$BASE")"
  wait "$DD"; DD=""
done
