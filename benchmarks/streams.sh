#!/usr/bin/env bash
# passthrough-rps, dedup-vs-passthrough, rates-vs-passthrough, streams-rss-mb.
#   benchmarks/streams.sh [records]
exec "$(dirname "$0")/run-java.sh" 512m StreamsBenchmark "$@"
