#!/usr/bin/env bash
# lock-vs-redisson, tokenbucket-vs-bucket4j (hot key, 10k keys), tokenbucket-vs-redis-ceiling.
# The ceiling needs redis-benchmark on PATH (Debian: apt-get install redis-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am -DskipTests package
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC -Xmx1g \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  io.bulwark.benchmarks.GuardBenchmark "$@"
