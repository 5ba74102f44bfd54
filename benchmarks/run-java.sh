#!/usr/bin/env bash
# Shared by the benchmark scripts: builds the benchmarks module and runs one harness class.
#   benchmarks/run-java.sh <heap, e.g. 1g> <main class simple name> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
heap="$1"; main="$2"; shift 2
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC ${BENCH_JAVA_OPTS:--Xmx$heap} \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  "io.bulwark.benchmarks.$main" "$@"
