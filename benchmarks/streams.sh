#!/usr/bin/env bash
# passthrough-rps, dedup-vs-passthrough, rates-vs-passthrough, aggregate-vs-passthrough, streams-rss-mb
# (each topology runs once unmeasured first; -Dbench.warm.up.each=false in BENCH_JAVA_OPTS skips that).
#   benchmarks/streams.sh [records]
exec "$(dirname "$0")/run-java.sh" 512m StreamsBenchmark "$@"
