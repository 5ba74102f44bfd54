#!/usr/bin/env bash
# iq-get-p99-ms, iq-forward-p99-ms (two instances, one JVM, embedded broker).
#   benchmarks/query.sh [requests/s] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC ${BENCH_JAVA_OPTS:--Xmx512m} \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.QueryBenchmark "$@"
