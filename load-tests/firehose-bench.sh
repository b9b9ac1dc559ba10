#!/usr/bin/env bash
# Firehose PutRecordBatch into the embedded S3 next to Kinesis PutRecords (same records, same producers), alternated
# in one session, then Firehose with its destination down. Each run gets a fresh server at the default settings
# (durability: always). Run from the repository root after `mvn -q package -DskipTests`:
#   bash load-tests/firehose-bench.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
SECONDS_PER_RUN=${2:-30}
DATA=$(mktemp -d /tmp/millrace-firehose-bench.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$DATA"' EXIT
trap 'exit 130' INT TERM   # so the EXIT trap stops the server under test too

run() { # run <simulation> <extra server flags...>; prints the simulation's >>> lines
  local sim=$1; shift
  rm -rf "$DATA/data"
  java -jar target/millrace.jar --data-dir "$DATA/data" "$@" > "$DATA/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 150); do curl -sf http://127.0.0.1:4567/health > /dev/null && break; sleep 0.2; done
  echo "== $sim $*"
  mvn -q -f load-tests gatling:test -Dgatling.simulationClass="millrace.load.$sim" -Dusers=16 \
    -Dseconds="$SECONDS_PER_RUN" -Dmillrace.pid="$server" -DdestinationDown="$DOWN" 2>&1 | grep '>>>' || true
  echo "server CPU for the whole run (start, load, delivery): $(awk '{printf "%.1f s", ($14 + $15) / 100}' \
    "/proc/$server/stat")"
  kill "$server"; wait "$server" || true; server=""
}

for round in $(seq 1 "$ROUNDS"); do
  DOWN=false run FirehosePutRecordBatchSimulation
  DOWN=false run PutRecordsSimulation
done
DOWN=true run FirehosePutRecordBatchSimulation --s3-endpoint http://127.0.0.1:9
