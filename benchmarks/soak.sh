#!/usr/bin/env bash
# Soak: the dev-stack under steady open-loop load (default gateway faults) while a busy loop keeps one
# core busy, for MINUTES. Samples the streams app's progress every second; whenever a stream thread with
# records waiting has gone more than 5 s without a commit (bulwark_streams_seconds_since_progress), it
# counts one gap and keeps a thread dump of the dev-stack JVM. Ends with the --load consistency check.
#   benchmarks/soak.sh MINUTES [ORDERS_PER_S]      (default 20 minutes, 25 orders/s)
# Prints soak-minutes, soak-stalls (gaps > 5 s) and soak-consistent; everything else is in
# benchmarks/target/soak-<time>/ (console, full log, progress.tsv, stacks).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-20}"
RATE="${2:-25}"
GAP_S=5
OUT="benchmarks/target/soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

( while :; do :; done ) &
HOG=$!
DS=
cleanup() {
  kill "$HOG" 2>/dev/null || true
  [ -n "$DS" ] && kill "$DS" 2>/dev/null || true
}
trap cleanup EXIT

./dev-stack.sh --fresh --data-dir "$OUT/data" --load "$RATE" --load-duration $((MINUTES * 60)) \
  --exit-after-load > "$OUT/console.log" 2>&1 &
DS=$!

gaps=0
in_gap=0
max_gap=0
while kill -0 "$DS" 2>/dev/null; do
  now=$(date +%s)
  since=$(curl -s --max-time 2 http://127.0.0.1:8080/metrics 2>/dev/null \
    | awk '/^bulwark_streams_seconds_since_progress/ {print $2; exit}') || true
  if [ -n "${since:-}" ]; then
    echo "$now $since" >> "$OUT/progress.tsv"
    if awk -v s="$since" -v g="$GAP_S" 'BEGIN { exit !(s > g) }'; then
      if [ "$in_gap" = 0 ]; then
        gaps=$((gaps + 1))
        in_gap=1
        pid=$(pgrep -f io.bulwark.devstack.DevStack | head -1 || true)
        [ -n "$pid" ] && jstack "$pid" > "$OUT/stack-$now.txt" 2>/dev/null || true
        echo "$(date +%T) progress gap: a stream thread has gone ${since} s without a commit; stack in $OUT/stack-$now.txt"
      fi
    else
      in_gap=0
    fi
    max_gap=$(awk -v a="$max_gap" -v b="$since" 'BEGIN { print (b > a ? b : a) }')
  fi
  sleep 1
done
set +e
wait "$DS"
rc=$?
set -e
DS=
tail -25 "$OUT/console.log"
echo "soak-minutes: $MINUTES"
echo "soak-rate: $RATE orders/s"
echo "soak-stalls: $gaps (progress gaps > ${GAP_S} s; longest seen ${max_gap} s, sampled each second)"
echo "soak-consistent: $([ "$rc" = 0 ] && echo yes || echo "NO (dev-stack exit $rc)")"
echo "details: $OUT"
exit "$rc"
