#!/usr/bin/env bash
# outbox-cdc-p99-ms, outbox-cdc-max-eps, outbox-cdc-vs-polling on this machine's embedded servers.
#   benchmarks/outbox.sh [events/s for the latency run] [seconds] [events for the throughput runs]
exec "$(dirname "$0")/run-java.sh" 3g OutboxBenchmark "$@"
