#!/usr/bin/env bash
# place-order-p99-ms, place-order-rps, place-order-vs-bare-insert (16 clients, durable PostgreSQL, Redis).
#   benchmarks/orders.sh [seconds] [clients]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC ${BENCH_JAVA_OPTS:--Xmx512m} \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.OrderBenchmark "$@"
