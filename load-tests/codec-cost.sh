#!/usr/bin/env bash
# Server CPU per record in JSON and in CBOR, with the AWS SDK for Java v2 as the client (CodecCostBenchmark):
#
#   mvn -q package -DskipTests && bash load-tests/codec-cost.sh [repetitions] [seconds]
#
# Starts Millrace as bin/millrace does, then runs the benchmark once per format and repetition, alternating JSON
# (-Daws.cborEnabled=false) and CBOR (the SDK's default), each in its own JVM, and prints each run's line.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-2}
SECONDS_PER_PHASE=${2:-15}
source load-tests/millrace-server.sh
require_build_and_free_port
start_millrace
mvn -q -f load-tests test-compile
for rep in $(seq 1 "$REPS"); do
  for cbor in false true; do
    mvn -q -f load-tests org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
      -Dexec.mainClass=millrace.load.CodecCostBenchmark -Daws.cborEnabled=$cbor -Dmillrace.pid=$SERVER \
      -Dseconds="$SECONDS_PER_PHASE" 2>&1 | grep '^>>>'
  done
done
