#!/usr/bin/env bash
# saga-completions-per-s: the whole streams app with an instant simulated payment worker.
#   benchmarks/saga.sh [orders]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC -Xmx1g \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.SagaBenchmark "$@"
