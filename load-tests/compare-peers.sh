#!/usr/bin/env bash
# Millrace beside the Kinesis emulators, same workloads, one session, alternating order.
#
#   mvn -q package -DskipTests && bash load-tests/compare-peers.sh [repetitions] [seconds per run]
#
# Installs kinesalite 3.3.3 and kinesis-mock (npm kinesis-local 0.6.2) into a temporary folder (needs node, npm and
# the npm registry), then for each repetition and workload starts each server fresh on 127.0.0.1:4567 in turn
# (Millrace as bin/millrace starts it, at its durable default and with durability none; kinesalite in memory;
# kinesis-mock; the order rotates each repetition), runs the workload's Gatling simulation, and reads the server's
# CPU and peak RSS from /proc, and the driver's own CPU. Prints every run, then a table of medians. Workloads (as issue #11 measured them):
#   PutRecords  500 x 1 KiB records, 8 producers, 4 shards        -> records per second
#   PutRecord   100 B, 32 producers, 4 shards                     -> requests per second
#   GetRecords  one shard of 20,000 x 1 KiB records read again and again, Limit 10,000, 2 readers -> records per
#               second (GET_RECORDS=200000 for issue #11's shard; kinesis-mock takes 8 minutes to load that)
# Each run lasts WARMUP_SECONDS (10) more than it measures. SERVERS and WORKLOADS (space-separated) pick a subset;
# SERVERS may add "baseline": BASELINE_JAR (an older build, for before/after rows) started by bin/millrace as
# "millrace" is, with the conf/millrace.yaml of its own checkout (beside its target/).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-2}
SECONDS_PER_RUN=${2:-20}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}   # run before each measurement, not counted (JIT warm-up)
GET_RECORDS=${GET_RECORDS:-20000}
read -r -a SERVERS <<< "${SERVERS:-millrace millrace-none kinesalite kinesis-mock}"
read -r -a WORKLOADS <<< "${WORKLOADS:-PutRecords PutRecord GetRecords}"
[ -f target/millrace.jar ] || { echo "build first: mvn -q package -DskipTests" >&2; exit 1; }
if curl -s -o /dev/null http://127.0.0.1:4567/health; then
  echo "something already listens on 127.0.0.1:4567; stop it first" >&2; exit 1
fi

WORK=$(mktemp -d /tmp/millrace-peers.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM   # so the EXIT trap stops the server under test too

if [[ " ${SERVERS[*]} " == *" kinesalite "* || " ${SERVERS[*]} " == *" kinesis-mock "* ]]; then
  echo "installing kinesalite@3.3.3 and kinesis-local@0.6.2 into $WORK"
  (cd "$WORK" && npm install --silent --no-audit --no-fund kinesalite@3.3.3 kinesis-local@0.6.2 > npm.log 2>&1) \
    || { cat "$WORK/npm.log" >&2; exit 1; }
fi

start() { # start <server>: sets SERVER to its pid and waits until it answers
  rm -rf "$WORK/data"
  case $1 in
    millrace) bin/millrace --data-dir "$WORK/data" --shard-limit 1000 > "$WORK/server.log" 2>&1 & ;;
    baseline) MILLRACE_JAR="$BASELINE_JAR" bin/millrace --config "$(dirname "$BASELINE_JAR")/../conf/millrace.yaml" \
      --data-dir "$WORK/data" --shard-limit 1000 > "$WORK/server.log" 2>&1 & ;;
    millrace-none) bin/millrace --data-dir "$WORK/data" --shard-limit 1000 --durability none \
      > "$WORK/server.log" 2>&1 & ;;
    kinesalite) node "$WORK/node_modules/kinesalite/cli.js" --port 4567 --createStreamMs 0 --deleteStreamMs 0 \
      --updateStreamMs 0 --shardLimit 1000 > "$WORK/server.log" 2>&1 & ;;
    kinesis-mock) (cd "$WORK/node_modules/kinesis-local" && KINESIS_MOCK_PLAIN_PORT=4567 KINESIS_MOCK_TLS_PORT=45680 \
      CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms UPDATE_STREAM_DURATION=0ms SHARD_LIMIT=1000 \
      LOG_LEVEL=WARN exec node main.js > "$WORK/server.log" 2>&1) & ;;
  esac
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null -X POST http://127.0.0.1:4567/ && return 0
    sleep 0.1
  done
  echo "$1 did not start:" >&2; cat "$WORK/server.log" >&2; exit 1
}

stop() {
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:4567/ || return 0; sleep 0.1; done
}

simulate() { # simulate <workload>: runs it on the server on 4567; prints "<rate> <units per CPU-second> <driver %>"
  local sim args
  case $1 in
    PutRecords) sim=PutRecordsSimulation; args="-Dusers=8 -Dshards=4 -Drecords=500 -DrecordBytes=1024" ;;
    PutRecord) sim=PutRecordSimulation; args="-Dusers=32 -Dshards=4 -DrecordBytes=100" ;;
    GetRecords) sim=GetRecordsSimulation; args="-Dusers=2 -Drecords=$GET_RECORDS -DrecordBytes=1024 -Dlimit=10000" ;;
  esac
  # shellcheck disable=SC2086
  mvn -q -f load-tests gatling:test -Dgatling.simulationClass="millrace.load.$sim" \
    -Dseconds="$((SECONDS_PER_RUN + WARMUP_SECONDS))" -DwarmupSeconds="$WARMUP_SECONDS" -Dmillrace.pid="$SERVER" \
    $args > "$WORK/sim.log" 2>&1 || true
  local rate cpu driver
  rate=$(sed -n 's/^>>> .* = \([0-9,]*\) per second$/\1/p' "$WORK/sim.log" | tr -d , | head -1)
  cpu=$(sed -n 's/^>>> server CPU while measuring: .* = \([0-9,]*\) .* per CPU-second$/\1/p' "$WORK/sim.log" \
    | tr -d , | head -1)
  driver=$(sed -n 's/^>>> driver CPU while measuring: .* = \([0-9]*\)% of one core$/\1/p' "$WORK/sim.log" | head -1)
  if [ -z "$rate" ] || grep -q "failed events is [1-9]\|Assertion.*false\|BUILD FAILURE" "$WORK/sim.log"; then
    echo "FAILED 0 0"; tail -20 "$WORK/sim.log" >&2
  else
    echo "$rate ${cpu:-0} ${driver:-0}"
  fi
}

RESULTS="$WORK/results"
: > "$RESULTS"
printf '%-10s %-14s %4s %12s %14s %10s %12s\n' workload server rep "per second" "per CPU-second" "peak RSS" \
  "driver CPU"
for rep in $(seq 1 "$REPS"); do
  for workload in "${WORKLOADS[@]}"; do
    n=${#SERVERS[@]}
    for i in $(seq 0 $((n - 1))); do
      server=${SERVERS[$(( (i + rep - 1) % n ))]}
      start "$server"
      read -r rate perCpu driver < <(simulate "$workload")
      rss=$(awk '/^VmHWM:/ {printf "%d", $2 / 1024}' "/proc/$SERVER/status" 2>/dev/null || echo 0)
      stop
      printf '%-10s %-14s %4s %12s %14s %7s MiB %10s %%\n' "$workload" "$server" "$rep" "$rate" "$perCpu" "$rss" \
        "$driver"
      echo "$workload $server $rate $perCpu $rss $driver" >> "$RESULTS"
    done
  done
done

median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "Medians of $REPS repetitions ($SECONDS_PER_RUN s each); ratios are Millrace (durable) / the server on the row;"
echo "peak RSS is the highest of the repetitions; driver CPU is Gatling's, in % of one of the machine's cores."
printf '| %-10s | %-13s | %12s | %7s | %14s | %7s | %9s | %10s |\n' workload server "per second" ratio \
  "per CPU-second" ratio "peak RSS" "driver CPU"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------ --------------- -------------- --------- ---------------- \
  --------- ----------- ------------
for workload in "${WORKLOADS[@]}"; do
  base_rate=$(awk -v w="$workload" '$1 == w && $2 == "millrace" {print $3}' "$RESULTS" | median)
  base_cpu=$(awk -v w="$workload" '$1 == w && $2 == "millrace" {print $4}' "$RESULTS" | median)
  for server in "${SERVERS[@]}"; do
    rate=$(awk -v w="$workload" -v s="$server" '$1 == w && $2 == s {print $3}' "$RESULTS" | median)
    cpu=$(awk -v w="$workload" -v s="$server" '$1 == w && $2 == s {print $4}' "$RESULTS" | median)
    rss=$(awk -v w="$workload" -v s="$server" '$1 == w && $2 == s {print $5}' "$RESULTS" | sort -n | tail -1)
    driver=$(awk -v w="$workload" -v s="$server" '$1 == w && $2 == s {print $6}' "$RESULTS" | median)
    printf '| %-10s | %-13s | %12.0f | %6.1fx | %14.0f | %6.1fx | %5s MiB | %8.0f %% |\n' "$workload" "$server" \
      "$rate" "$(awk -v a="$base_rate" -v b="$rate" 'BEGIN {print (b > 0 ? a / b : 0)}')" "$cpu" \
      "$(awk -v a="$base_cpu" -v b="$cpu" 'BEGIN {print (b > 0 ? a / b : 0)}')" "$rss" "$driver"
  done
done
