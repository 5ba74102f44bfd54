#!/usr/bin/env bash
# devstack-ready-s: seconds from running ./dev-stack.sh to its "ready" line, then SIGTERM.
#   benchmarks/devstack-ready.sh [runs] [extra dev-stack flags...]
# Each run uses a fresh data directory and free ports. The first figure includes the Maven
# build check that dev-stack.sh performs (warm Maven cache, modules already compiled).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; shift || true
./mvnw -B -q -pl dev-stack -am -DskipTests package   # warm: later runs measure start-up, not compilation

for i in $(seq 1 "$runs"); do
  data=$(mktemp -d)
  log="$data/out.log"
  start=$(date +%s.%N)
  ./dev-stack.sh --fresh --data-dir "$data/stack" --kafka-port 0 --postgres-port 0 --redis-port 0 \
    --http-port 0 "$@" > "$log" 2>&1 &
  pid=$!
  until grep -q "Bulwark dev-stack ready in" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "dev-stack exited; see $log" >&2; exit 1; fi
    sleep 0.05
  done
  end=$(date +%s.%N)
  inner=$(grep -o "ready in [0-9.]* s" "$log")
  kill -TERM "$pid" 2>/dev/null || true   # dev-stack.sh exec's java: same pid
  wait "$pid" || true
  printf 'run %d: %.1f s from command to ready (in-JVM %s)\n' "$i" "$(awk "BEGIN { print $end - $start }")" "$inner"
  rm -rf "$data"
done
