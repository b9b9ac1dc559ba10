# Sourced by the load-test scripts that measure Millrace alone: one server, as the README starts it (bin/millrace),
# on 127.0.0.1:4567 with a scratch data directory, stopped and removed when the script exits or is interrupted.
#
#   source load-tests/millrace-server.sh
#   require_build_and_free_port
#   start_millrace [flags...]      # sets SERVER (pid) and DATA (data directory); waits until /health answers
#   stop_millrace                  # also run on exit, with the script's cleanup_more function if it has one

require_build_and_free_port() {
  [ -f target/millrace.jar ] || { echo "build first: mvn -q package -DskipTests" >&2; exit 1; }
  if curl -s -o /dev/null http://127.0.0.1:4567/health; then
    echo "something already listens on 127.0.0.1:4567; stop it first" >&2; exit 1
  fi
}

# A build under the shared lock (one build at a time on this machine); Maven 3.8's -q still writes colour resets to
# stdout and stderr, which sed drops (what else it says, errors included, goes to stdout). A script run whole under
# the lock (`MILLRACE_BUILD_LOCK_HELD=1 flock /tmp/millrace-build.lock bash load-tests/...`, so that no other build
# disturbs its measurement) builds without taking it again: a second flock on the same lock would wait for itself.
build() {
  if [ -n "${MILLRACE_BUILD_LOCK_HELD:-}" ]; then
    mvn -o -q -B "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  else
    flock /tmp/millrace-build.lock mvn -o -q -B "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  fi
}

# For the Java drivers in src/test/java/io/millrace/bench: the jar, the test classes and what `verify` copies before
# the integration tests (-DskipTests still runs the copies: OpenSearch's jars into target/opensearch), then the test
# class path into target/bench-classpath.txt.
build_bench() {
  build -DskipTests verify
  build dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
}

SERVER=""
DATA=$(mktemp -d "${DATA_DIR:-/tmp}/millrace-load.XXXXXX")

start_millrace() {
  rm -rf "${DATA:?}"/*
  bin/millrace --data-dir "$DATA" "$@" > "$DATA.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:4567/health && return 0; sleep 0.1; done
  echo "Millrace did not start:" >&2; cat "$DATA.log" >&2; exit 1
}

stop_millrace() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=""
  fi
}

on_exit() {
  stop_millrace
  if declare -F cleanup_more > /dev/null; then cleanup_more; fi
  rm -rf "$DATA" "$DATA".*
}
trap on_exit EXIT
trap 'exit 130' INT TERM
