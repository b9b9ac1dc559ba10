#!/usr/bin/env bash
# Peak heap and RSS of a server with 2,000 shards under write load (issue #3's memory figure).
# Usage, from the repository root after `mvn package -DskipTests`:  bash load-tests/many-shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=${PORT:-4567}
java -Xmx512m -XX:+ExitOnOutOfMemoryError -jar target/millrace.jar --port "$port" --data-dir "$data" \
  --shard-limit 2500 > "$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
peak_rss=0; peak_heap=0
(
  while kill -0 $pid 2>/dev/null; do
    rss=$(ps -o rss= -p $pid | tr -d ' ')
    heap=$(jcmd $pid GC.heap_info 2>/dev/null | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {gsub("K","",$(i+1)); print $(i+1); exit}}')
    echo "$rss ${heap:-0}"
    sleep 1
  done
) > "$data/samples" &
sampler=$!
mvn -q -f load-tests gatling:test -Dgatling.simulationClass=millrace.load.ManyShardsSimulation \
  -Dmillrace.url="http://127.0.0.1:$port" "$@" | grep -E '>>>|failed'
kill $sampler 2>/dev/null || true
awk '{ if ($1 > r) r = $1; if ($2 > h) h = $2 } END { printf ">>> peak RSS %.0f MiB, peak heap used %.0f MiB (heap limit 512 MiB)\n", r/1024, h/1024 }' "$data/samples"
