#!/usr/bin/env bash
# saga-completions-per-s: the whole streams app with an instant simulated payment worker.
#   benchmarks/saga.sh [orders] [stream threads, default 1] [processing guarantee, default exactly_once_v2] [key=value ...]
exec "$(dirname "$0")/run-java.sh" 1g SagaBenchmark "$@"
