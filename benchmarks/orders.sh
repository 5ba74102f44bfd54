#!/usr/bin/env bash
# place-order-p99-ms, place-order-rps, place-order-vs-bare-insert (16 clients, durable PostgreSQL, Redis;
# 60 s warm-up, then 3 alternating rounds of each side — -Dbench.warm.up.seconds, -Dbench.rounds in BENCH_JAVA_OPTS).
#   benchmarks/orders.sh [seconds] [clients] [order-api key=value ...]
exec "$(dirname "$0")/run-java.sh" 512m OrderBenchmark "$@"
