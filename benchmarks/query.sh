#!/usr/bin/env bash
# iq-get-p99-ms, iq-forward-p99-ms (two instances, one JVM, embedded broker).
#   benchmarks/query.sh [requests/s] [seconds]
exec "$(dirname "$0")/run-java.sh" 512m QueryBenchmark "$@"
