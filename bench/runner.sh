#!/usr/bin/env bash
# Runner benchmark: evalgate against a loopback OpenAI-compatible server that
# answers after a fixed 50 ms, at several concurrencies. The server runs in
# its own process, so the CPU time measured is evalgate's alone.
#
#   bash bench/runner.sh            # N=10000 (N=500 at concurrency 1)
#   N=2000 bash bench/runner.sh     # quicker
#   EVALGATE=/path/to/evalgate bash bench/runner.sh   # another build, e.g. before a change
#
# Prints a Markdown table: wall time against the bound N × 50 ms / C, CPU
# per request (user + system, whole process: validation, calls, scoring,
# writing results and the report), and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${EVALGATE:-$work/evalgate}
[ -n "${EVALGATE:-}" ] || go build -o "$bin" ./cmd/evalgate
go build -o "$work/slowserver" ./bench/slowserver
go run ./bench/mkset -n "$N" -out "$work/set-$N.parquet"
go run ./bench/mkset -n 500 -out "$work/set-500.parquet"
ulimit -n 65536 2>/dev/null || true
start_server() {
  kill "${server_pid:-}" 2>/dev/null || true
  rm -f "$work/url"
  "$work/slowserver" -delay 50ms "$@" > "$work/url" &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
  url=$(head -1 "$work/url")
}
start_server

echo "| concurrency | requests | wall (s) | bound (s) | wall / bound | CPU µs / request | peak RSS (MB) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for c in 1 16 64 256 1024; do
  n=$N; set=$work/set-$N.parquet
  if [ "$c" = 1 ]; then n=500; set=$work/set-500.parquet; fi
  cat > "$work/eval.yaml" <<YAML
dataset: {path: $set}
candidate: {provider: openai, model: bench, base_url: $url, api_key_env: none}
prompt: {template: "{{range .Context}}- {{.}}\n{{end}}Question: {{.Input}}"}
run: {concurrency: $c, cache: "off", out: $work/out-$c}
scoring: {method: contains}
gate: [{metric: errors.rate, max: 1, description: "a benchmark: the gate only has to exist"}]
YAML
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" run -c "$work/eval.yaml" --quiet > /dev/null
  read -r wall user sys rss < "$work/time"
  awk -v c="$c" -v n="$n" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
    bound = n * 0.05 / c
    printf "| %d | %d | %.2f | %.2f | %.2f | %.0f | %.0f |\n", c, n, wall, bound, wall / bound, (user + sys) / n * 1e6, rss / 1024
  }'
done

# The same at concurrency 64 with faults injected: 5% HTTP 500s, 2% connections
# dropped mid-response and 2% malformed JSON. Every one is retried; the count
# of results that still ended as errors is the number that matters.
start_server -p500 0.05 -preset 0.02 -pbadjson 0.02
cat > "$work/eval.yaml" <<YAML
dataset: {path: $work/set-$N.parquet}
candidate: {provider: openai, model: bench, base_url: $url, api_key_env: none}
prompt: {template: "{{range .Context}}- {{.}}\n{{end}}Question: {{.Input}}"}
run: {concurrency: 64, cache: "off", out: $work/out-faults, backoff_base: 50ms, max_error_rate: 1}
scoring: {method: contains}
gate: [{metric: errors.rate, max: 1, description: "a benchmark: the gate only has to exist"}]
YAML
/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" run -c "$work/eval.yaml" --quiet > /dev/null
read -r wall user sys rss < "$work/time"
errors=$(grep -m1 '"errors":' "$work/out-faults/report.json" | tr -dc 0-9)
retries=$(grep -m1 '"retries":' "$work/out-faults/report.json" | tr -dc 0-9)
echo
echo "With 5% 500s, 2% dropped connections and 2% malformed JSON at concurrency 64:"
echo "$N requests, $retries retries, $errors results ending as errors, wall ${wall} s, peak RSS $((rss / 1024)) MB."
