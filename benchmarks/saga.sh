#!/usr/bin/env bash
# saga-completions-per-s: the whole streams app with an instant simulated payment worker.
#   benchmarks/saga.sh [orders]
exec "$(dirname "$0")/run-java.sh" 1g SagaBenchmark "$@"
