#!/usr/bin/env bash
# Millrace's resident memory as the README starts it (bin/millrace), from /proc:
#
#   mvn -q package -DskipTests && bash load-tests/memory.sh [seconds of load] [idle seconds]
#
# 1. idle with 100 shards: creates 10 streams of 10 shards, waits IDLE seconds (70: past the launcher's periodic GC
#    interval of 60 s, so the heap the creation used is given back) and prints the steady RSS;
# 2. under load: runs the PutRecords workload of compare-peers.sh (8 producers, 500 x 1 KiB records, 4 shards) for
#    SECONDS (30) and prints the peak RSS (VmHWM) with the rate and server CPU per record.
# Set MILLRACE_JAVA_OPTS to measure other JVM settings (as bin/millrace takes them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_OF_LOAD=${1:-30}
IDLE=${2:-70}
source load-tests/millrace-server.sh
require_build_and_free_port
start_millrace

kinesis() { # kinesis <action> <json>: one unsigned-but-SigV4-shaped call, as the emulators accept them
  curl -sf -o /dev/null -X POST http://127.0.0.1:4567/ -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: Kinesis_20131202.$1" -H "X-Amz-Date: $(date -u +%Y%m%dT%H%M%SZ)" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDMEMORY/$(date -u +%Y%m%d)/us-east-1/kinesis/aws4_request, \
SignedHeaders=host;x-amz-date, Signature=0" -d "$2"
}
rss() { awk -v k="$1" '$1 == k":" {printf "%d", $2 / 1024}' "/proc/$SERVER/status"; }

echo "after start: RSS $(rss VmRSS) MiB"
for i in $(seq 1 10); do kinesis CreateStream "{\"StreamName\":\"idle-$i\",\"ShardCount\":10}"; done
echo "100 shards created: RSS $(rss VmRSS) MiB; idle for $IDLE s"
sleep "$IDLE"
echo ">>> idle with 100 shards: steady RSS $(rss VmRSS) MiB"

mvn -q -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.PutRecordsSimulation \
  -Dseconds="$((SECONDS_OF_LOAD + 10))" -DwarmupSeconds=10 -Dmillrace.pid="$SERVER" -Dusers=8 -Dshards=4 \
  -Drecords=500 -DrecordBytes=1024 > "$DATA.sim" 2>&1 || { tail -20 "$DATA.sim" >&2; exit 1; }
grep '^>>>' "$DATA.sim"
echo ">>> under PutRecords load: peak RSS $(rss VmHWM) MiB"
rm -f "$DATA.sim"
