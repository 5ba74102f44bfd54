#!/usr/bin/env bash
# Faults under load (issue 16): the broker, two streams-app instances (a standby each), the outbox relay,
# order-api with its payment worker and the gateway simulator each in its own JVM, PostgreSQL and Redis as
# their own servers, all of it under a steady open-loop order load (5% duplicate requests, 5% declines,
# 5% cancels; clients resend with the same Idempotency-Key), one fault every 20 s in a seeded random order:
# SIGKILL + restart of a streams instance, the relay, order-api; broker SIGTERM and SIGKILL restarts;
# PostgreSQL and Redis restarts, Redis FLUSHALL; 100 ms latency, a 5 s black hole and connection resets
# between the components and Kafka / PostgreSQL / Redis / the gateway (NetCrusher TCP proxies).
# Then 60 s to settle and the checks: every accepted order has one row, one outbox event, one outcome, is
# terminal; stock, credit and payments balance; no order charged twice; no 500 answered.
#   benchmarks/chaos.sh [MINUTES] [ORDERS_PER_S] [more ChaosRun options, e.g. --seed 7, --faults a,b]
# Prints chaos-* figures for RESULTS.md; processes' logs in benchmarks/target/chaos-<time>/logs.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-10}"
RATE="${2:-20}"
shift $(( $# > 2 ? 2 : $# ))
OUT="benchmarks/target/chaos-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

./mvnw -B -q -pl dev-stack -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$JAVA" -XX:+UseParallelGC -Xmx1g \
  -cp "dev-stack/target/classes:$(cat dev-stack/target/runtime-classpath.txt)" \
  io.bulwark.devstack.ChaosRun --minutes "$MINUTES" --rate "$RATE" --data-dir "$OUT/data" "$@" 2>&1 | tee "$OUT/console.log"
exit "${PIPESTATUS[0]}"
