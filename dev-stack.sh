#!/usr/bin/env bash
# Runs Bulwark's embedded default: Kafka, PostgreSQL, Redis and the streams app on this machine.
# Needs only a JDK (17+); the Maven wrapper fetches Maven. Options go to the dev-stack, e.g.
#   ./dev-stack.sh --fresh            wipe .bulwark/dev-stack first
#   ./dev-stack.sh --help             every option
# Ctrl-C or SIGTERM stops everything. BULWARK_DEV_JAVA_OPTS adds JVM options (a profiler, a heap size).
set -euo pipefail
cd "$(dirname "$0")"

./mvnw -B -q -pl dev-stack -am -DskipTests package

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -XX:+UseParallelGC -Xmx2g ${BULWARK_DEV_JAVA_OPTS:-} \
  -cp "dev-stack/target/classes:$(cat dev-stack/target/runtime-classpath.txt)" \
  io.bulwark.devstack.DevStack "$@"
