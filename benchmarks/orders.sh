#!/usr/bin/env bash
# place-order-p99-ms, place-order-rps, place-order-vs-bare-insert (16 clients, durable PostgreSQL, Redis).
#   benchmarks/orders.sh [seconds] [clients] [order-api key=value ...]
exec "$(dirname "$0")/run-java.sh" 512m OrderBenchmark "$@"
