#!/usr/bin/env bash
# e2e-p99-ms and e2e-max-orders-per-s as the goals ask for them: several runs of the dev-stack under its own load
# generator, each run's figures, then min / median / max of each figure.
#   benchmarks/e2e.sh [runs, default 3] [dev-stack flags…, default --load 300 --load-ramp 60 --load-duration 60]
# Every run is `./dev-stack.sh --fresh … --exit-after-load` on free ports in its own data directory, one after the
# other; the whole output of each stays in benchmarks/target/e2e-<UTC time>/run-N.log. Exits 1 if a run's
# end-of-load checks failed (the figures are still printed).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
shift || true
flags=("$@")
if [ ${#flags[@]} -eq 0 ]; then
  flags=(--load 300 --load-ramp 60 --load-duration 60)
fi
out="benchmarks/target/e2e-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# One line per run: the load summary's figures, read from its fixed wording (LoadGenerator.summarize).
figures() {
  awk '
    /^Load summary:/ { match($0, /accepted [0-9]+ orders, [0-9]+ refused/); split(substr($0, RSTART, RLENGTH), a, " ");
                       accepted = a[2]; refused = a[4] }
    /^  e2e \(201 -> CONFIRMED or REJECTED/ { match($0, /p50 [0-9]+ ms, p99 [0-9]+ ms, max [0-9]+ ms/);
                       split(substr($0, RSTART, RLENGTH), e, " "); p50 = e[2]; p99 = e[5]; max = e[8] }
    /^  of those, / { match($0, /\([0-9.]+%\)/); share = substr($0, RSTART + 1, RLENGTH - 3);
                       match($0, /the other [0-9]+: p50 [0-9]+ ms, p99 [0-9]+ ms/); split(substr($0, RSTART, RLENGTH), o, " ");
                       others = o[8] }
    /^  CONSISTENT/ { verdict = "CONSISTENT" }
    /^  INCONSISTENT/ { verdict = "INCONSISTENT" }
    END { printf "%s %s %s %s %s %s %s %s\n", p50 == "" ? "-" : p50, p99 == "" ? "-" : p99, max == "" ? "-" : max,
                 others == "" ? "-" : others, share == "" ? "-" : share, accepted == "" ? "-" : accepted,
                 refused == "" ? "-" : refused, verdict == "" ? "NO-SUMMARY" : verdict }' "$1"
}

failed=0
echo "dev-stack flags: ${flags[*]}; logs in $out"
printf '%-5s %8s %8s %8s %18s %14s %9s %8s  %s\n' run "p50 ms" "p99 ms" "max ms" "p99 w/o 429 ms" "429 share %" accepted refused checks
for i in $(seq 1 "$runs"); do
  ./dev-stack.sh --fresh --data-dir "$out/stack-$i" --kafka-port 0 --postgres-port 0 --redis-port 0 --http-port 0 \
    --orders-port 0 --gateway-port 0 --edge-port 0 "${flags[@]}" --exit-after-load > "$out/run-$i.log" 2>&1 \
    || failed=1
  rm -rf "$out/stack-$i"
  read -r p50 p99 max others share accepted refused verdict < <(figures "$out/run-$i.log")
  [ "$verdict" = CONSISTENT ] || failed=1
  printf '%-5s %8s %8s %8s %18s %14s %9s %8s  %s\n' "$i" "$p50" "$p99" "$max" "$others" "$share" "$accepted" "$refused" "$verdict"
  echo "$p50 $p99 $max $others $share $refused" >> "$out/figures"
done

# min / median / max of each column over the runs that printed a summary (nearest-rank median)
for column in 1:p50 2:p99 3:max 4:"p99 w/o 429" 5:"429 share %" 6:refused; do
  n="${column%%:*}"
  name="${column#*:}"
  values=$(awk -v c="$n" '$c != "-" { print $c }' "$out/figures" | sort -g)
  count=$(printf '%s\n' "$values" | grep -c . || true)
  if [ "$count" -eq 0 ]; then
    printf '%-14s -\n' "$name"
    continue
  fi
  printf '%-14s min %s / median %s / max %s\n' "$name" \
    "$(printf '%s\n' "$values" | head -1)" \
    "$(printf '%s\n' "$values" | sed -n "$(( (count + 1) / 2 ))p")" \
    "$(printf '%s\n' "$values" | tail -1)"
done
exit "$failed"
