#!/usr/bin/env bash
# Maven's way into the edge worker's npm build (edge/pom.xml):
#   maven.sh build   install the locked packages if they changed, bundle dist/worker.js;
#                    without Node >= 20 it warns and skips (the dev-stack then runs without the edge)
#   maven.sh test    the same, then the worker's tests (typecheck, bundle checks, vitest in workerd);
#                    without Node >= 20 it fails, naming what is missing
set -euo pipefail
cd "$(dirname "$0")/.."
goal="${1:?build or test}"

node_major=""
if command -v node >/dev/null 2>&1; then
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
fi
if [[ -z "$node_major" || "$node_major" -lt 20 ]] || ! command -v npm >/dev/null 2>&1; then
  found="${node_major:+Node $node_major}"
  message="The edge worker (edge/) needs Node.js 20 or newer with npm on PATH (found: ${found:-no node})."
  if [[ "$goal" == test ]]; then
    echo "[edge] ERROR: $message Install it (e.g. apt-get install nodejs npm, or from nodejs.org), or skip tests with -DskipTests." >&2
    exit 1
  fi
  echo "[edge] WARNING: $message Not building it; the dev-stack will run without the edge." >&2
  exit 0
fi

# npm ci only when package-lock.json changed since the last install (it wipes node_modules).
stamp=node_modules/.bulwark-installed-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

case "$goal" in
  build) npm run --silent build ;;
  test) npm test ;;
  *) echo "unknown goal $goal (build, test)" >&2; exit 2 ;;
esac
