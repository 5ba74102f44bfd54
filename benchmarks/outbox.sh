#!/usr/bin/env bash
# outbox-cdc-p99-ms, outbox-cdc-max-eps, outbox-cdc-vs-polling on this machine's embedded servers.
#   benchmarks/outbox.sh [events/s for the latency run] [seconds] [events for the throughput runs]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC -Xmx3g \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.OutboxBenchmark "$@"
