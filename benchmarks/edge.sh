#!/usr/bin/env bash
# edge-hit-p99-ms, edge-origin-offload, edge-vs-origin-rps, and nginx proxy_cache on the same load.
#   benchmarks/edge.sh [requests/s, default 2000] [seconds, default 60] [dev-stack flags...]
#   e.g. benchmarks/edge.sh 2000 60 --set query.cache.control=default=5/30,stock-level-as-of=60/600
# Starts a fresh dev-stack (with the edge worker in workerd) on the default ports, puts 10,000 SKUs
# in the inventory, starts Debian's nginx with proxy_cache in front of the same query API, then:
#   1. edge-hit: a fixed-rate load over 100 cached past states (?asOf=, lifetime 60 s) through the edge;
#   2. edge-zipf / nginx-zipf / origin-zipf: a fixed-rate Zipf(1.1) load over the 10,000 current
#      items (the query API's default Cache-Control: max-age=1, stale-while-revalidate=5);
#   3. wrk, closed loop, on one cached key: the edge, nginx, and the query API itself.
# Needs: nginx, wrk, kcat, curl (apt-get install -y nginx wrk kcat curl), Node.js 20+.
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${1:-2000}"; seconds="${2:-60}"; shift 2 || shift $#
for tool in nginx wrk kcat curl node; do
  command -v "$tool" >/dev/null || { echo "benchmarks/edge.sh needs $tool (apt-get install -y nginx wrk kcat curl)" >&2; exit 2; }
done
./mvnw -B -q -pl benchmarks,dev-stack -am -DskipTests package

work=$(mktemp -d)
cleanup() {
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [[ -n "${stack:-}" ]] && kill -TERM "$stack" 2>/dev/null && wait "$stack" 2>/dev/null || true
}
trap cleanup EXIT

./dev-stack.sh --fresh --data-dir "$work/stack" "$@" > "$work/dev-stack.log" 2>&1 &
stack=$!
until grep -q "Bulwark dev-stack ready in" "$work/dev-stack.log"; do
  kill -0 "$stack" 2>/dev/null || { echo "dev-stack exited; see $work/dev-stack.log" >&2; exit 1; }
  sleep 0.5
done
token_file="$work/stack/edge-token"
grep -q "^  Edge " "$work/dev-stack.log" || { echo "the dev-stack started without the edge; see $work/dev-stack.log" >&2; exit 1; }

echo "seeding 10,000 SKUs"
for i in $(seq 0 9999); do   # a random version-4 UUID per command, without a process per line
  printf 'sku-%d:{"type":"Restock","commandId":"%04x%04x-%04x-4%03x-a%03x-%04x%04x%04x","sku":"sku-%d","expectedVersion":null,"quantity":100}\n' \
    "$i" $RANDOM $RANDOM $RANDOM $((RANDOM % 4096)) $((RANDOM % 4096)) $RANDOM $RANDOM $RANDOM "$i"
done | kcat -b 127.0.0.1:9092 -t bulwark.inventory.commands -P -K:
until [[ "$(curl -s -o /dev/null -w '%{http_code}' localhost:8080/query/inventory/items/sku-9999)" == 200 ]]; do sleep 0.5; done
until [[ "$(curl -s -o /dev/null -w '%{http_code}' localhost:8080/query/stock/sku-9999)" == 200 ]]; do sleep 0.5; done
sleep 2
as_of=$(date -u +%Y-%m-%dT%H:%M:%SZ)

mkdir -p "$work/nginx-cache"
cat > "$work/nginx.conf" <<NGINX
$( [[ $(id -u) == 0 ]] && echo "user root;" )
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  proxy_cache_path $work/nginx-cache levels=1:2 keys_zone=query:16m max_size=256m inactive=10m use_temp_path=off;
  upstream query { server 127.0.0.1:8080; keepalive 64; }
  server {
    listen 127.0.0.1:8089;
    location /query/ {
      proxy_pass http://query;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache query;
      proxy_cache_key \$uri\$is_args\$args;
      proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
      proxy_cache_background_update on;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      add_header Bulwark-Cache \$upstream_cache_status always;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf"

load() {
  "${JAVA_HOME:+$JAVA_HOME/bin/}java" -XX:+UseParallelGC -Xmx512m \
    -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" io.bulwark.benchmarks.EdgeLoad "$@"
}
metrics=http://127.0.0.1:8080/metrics
token=$(cat "$token_file")
for i in $(seq 0 99); do
  curl -s -o /dev/null -H "Authorization: Bearer $token" "localhost:8787/query/stock/sku-$i?asOf=$as_of"
done
echo "== 1. cached reads through the edge (at the asked rate, then at half of it)"
load edge-hit "http://127.0.0.1:8787/query/stock/sku-{key}?asOf=$as_of" 100 0 "$rate" 30 "$metrics" workerd "$token_file"
load edge-hit-half "http://127.0.0.1:8787/query/stock/sku-{key}?asOf=$as_of" 100 0 "$((rate / 2))" 30 "$metrics" workerd "$token_file"
echo "== 2. Zipf(1.1) over 10,000 items, default Cache-Control"
load edge-zipf "http://127.0.0.1:8787/query/inventory/items/sku-{key}" 10000 1.1 "$rate" "$seconds" "$metrics" workerd "$token_file"
load nginx-zipf "http://127.0.0.1:8089/query/inventory/items/sku-{key}" 10000 1.1 "$rate" "$seconds" "$metrics" nginx
load origin-zipf "http://127.0.0.1:8080/query/inventory/items/sku-{key}" 10000 1.1 "$rate" "$seconds" "$metrics" java
echo "== 3. closed loop (wrk -t2 -c64 -d15s) on one cached key"
key="/query/stock/sku-1?asOf=$as_of"
for target in "edge http://127.0.0.1:8787$key" "nginx http://127.0.0.1:8089$key" "origin http://127.0.0.1:8080$key"; do
  set -- $target
  rps=$(wrk -t2 -c64 -d15s -H "Authorization: Bearer $token" "$2" | awk '/Requests\/sec/ { print $2 }')
  echo "wrk $1: $rps requests/s"
done
