#!/usr/bin/env bash
# Memory of evalgate run against the eval-set size: evalgate calls a
# loopback OpenAI-compatible server (answering at once) for every item of
# synthetic sets of 10k, 100k and 1M rows, and the peak RSS of the whole
# process (calls, results file, scoring, report) is measured. With the
# streaming runner it should not grow with N.
#
#   bash bench/runmem.sh                    # N = 10000 100000 1000000
#   SIZES="10000 100000" bash bench/runmem.sh
#   EVALGATE=/path/to/evalgate bash bench/runmem.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10000 100000 1000000"}
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${EVALGATE:-$work/evalgate}
[ -n "${EVALGATE:-}" ] || go build -o "$bin" ./cmd/evalgate
go build -o "$work/slowserver" ./bench/slowserver
"$work/slowserver" -delay 0 > "$work/url" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
url=$(head -1 "$work/url")

echo "| items | wall (s) | CPU µs / item | peak RSS (MB) |"
echo "| --- | --- | --- | --- |"
for n in $SIZES; do
  go run ./bench/mkset -n "$n" -out "$work/set.parquet"
  cat > "$work/eval.yaml" <<YAML
dataset: {path: $work/set.parquet}
candidate: {provider: openai, model: bench, base_url: $url, api_key_env: none}
prompt: {template: "{{range .Context}}- {{.}}\n{{end}}Question: {{.Input}}"}
run: {concurrency: 64, cache: "off", out: $work/out-$n}
scoring: {method: contains}
gate: [{metric: errors.rate, max: 1, description: "a benchmark: the gate only has to exist"}]
fairness: {groups: [region], min_group_size: 30}
YAML
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" run -c "$work/eval.yaml" --quiet > /dev/null || true
  read -r wall user sys rss < "$work/time"
  calls=$(grep -m1 '"calls":' "$work/out-$n/report.json" | tr -dc 0-9)
  [ "$calls" = "$n" ] || { echo "run of $n items made $calls results" >&2; exit 1; }
  awk -v n="$n" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
    printf "| %d | %.1f | %.0f | %.0f |\n", n, wall, (user + sys) / n * 1e6, rss / 1024
  }'
  rm -rf "$work/out-$n" "$work/set.parquet"
done
