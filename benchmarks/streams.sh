#!/usr/bin/env bash
# passthrough-rps, dedup-vs-passthrough, rates-vs-passthrough, streams-rss-mb.
#   benchmarks/streams.sh [records]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC ${BENCH_JAVA_OPTS:--Xmx512m} \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.StreamsBenchmark "$@"
