#!/usr/bin/env bash
# lock-vs-redisson, tokenbucket-vs-bucket4j (hot key, 10k keys), tokenbucket-vs-redis-ceiling.
# The ceiling needs redis-benchmark on PATH (Debian: apt-get install redis-tools).
exec "$(dirname "$0")/run-java.sh" 1g GuardBenchmark "$@"
