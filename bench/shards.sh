#!/usr/bin/env bash
# One process against N shard processes on the same machine: evalgate
# calls a loopback OpenAI-compatible server that answers every request
# after a fixed latency (bench/slowserver -delay), for every item of a
# synthetic set, once as one `run` and once as SHARDS `run --shard i/N`
# processes started together, then `merge`. For each it prints the wall
# time against the bound items × latency / total concurrency (what the
# endpoint's latency alone allows), the CPU time, and the peak RSS of
# every process. It checks that the merged report's accuracy and call
# count equal the single run's.
#
#   bash bench/shards.sh                               # 1M items, 50 ms, 4 shards, concurrency 128
#   N=100000 SHARDS=4 CONCURRENCY=64 bash bench/shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
SHARDS=${SHARDS:-4}
DELAY=${DELAY:-50ms}
CONCURRENCY=${CONCURRENCY:-128}
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
bin=$work/evalgate
go build -o "$bin" ./cmd/evalgate
go build -o "$work/slowserver" ./bench/slowserver
"$work/slowserver" -delay "$DELAY" > "$work/url" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
url=$(head -1 "$work/url")
go run ./bench/mkset -n "$N" -out "$work/set.parquet"
config() { # config OUT
  cat > "$work/eval-$1.yaml" <<YAML
dataset: {path: $work/set.parquet}
candidate: {provider: openai, model: bench, base_url: $url, api_key_env: none}
prompt: {template: "{{range .Context}}- {{.}}\n{{end}}Question: {{.Input}}"}
run: {concurrency: $CONCURRENCY, cache: "off", out: $work/$1}
scoring: {method: contains}
gate: [{metric: errors.rate, max: 1, description: "a benchmark: the gate only has to exist"}]
fairness: {groups: [region], min_group_size: 30}
YAML
}
delay_s=$(awk -v d="$DELAY" 'BEGIN { if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1000 } else { sub(/s$/, "", d); print d } }')
row() { # row LABEL PROCESSES WALL CPU RSS_LIST
  awk -v label="$1" -v p="$2" -v wall="$3" -v cpu="$4" -v rss="$5" -v n="$N" -v d="$delay_s" -v c="$CONCURRENCY" 'BEGIN {
    bound = n * d / (p * c)
    printf "| %s | %d × %d | %.1f | %.1f | %.2f | %.0f | %s |\n", label, p, c, wall, bound, wall / bound, cpu, rss
  }'
}
echo "items $N, latency $DELAY, concurrency $CONCURRENCY per process, $(nproc) cores"
echo
echo "| run | processes × concurrency | wall (s) | bound N·latency/total concurrency (s) | wall / bound | CPU (s) | peak RSS per process (MB) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"

config one
/usr/bin/time -f "%e %U %S %M" -o "$work/time-one" "$bin" run -c "$work/eval-one.yaml" --quiet > /dev/null || true
read -r wall user sys rss < "$work/time-one"
row "one process" 1 "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((rss / 1024))"

config sharded
start=$(date +%s%N)
pids=()
for i in $(seq 0 $((SHARDS - 1))); do
  /usr/bin/time -f "%e %U %S %M" -o "$work/time-$i" "$bin" run -c "$work/eval-sharded.yaml" --shard "$i/$SHARDS" --quiet > "$work/shard-$i.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
end=$(date +%s%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a) / 1e9 }')
cpu=0; rsslist=""
for i in $(seq 0 $((SHARDS - 1))); do
  read -r _ user sys rss < "$work/time-$i"
  cpu=$(awk -v c="$cpu" -v u="$user" -v s="$sys" 'BEGIN { print c + u + s }')
  rsslist="$rsslist${rsslist:+, }$((rss / 1024))"
done
row "$SHARDS shards (run)" "$SHARDS" "$wall" "$cpu" "$rsslist"
/usr/bin/time -f "%e %U %S %M" -o "$work/time-merge" "$bin" merge -c "$work/eval-sharded.yaml" > "$work/merge.log" 2>&1 || true
read -r mwall muser msys mrss < "$work/time-merge"
echo "| merge of the $SHARDS shards | 1 | $mwall | | | $(awk -v u="$muser" -v s="$msys" 'BEGIN { printf "%.0f", u + s }') | $((mrss / 1024)) |"
echo
# The merged report must count the same calls and the same accuracy as the single run.
for f in one sharded; do
  python3 - "$work/$f/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["metrics"]["accuracy"]["overall"]
print(sys.argv[1].split("/")[-2], r["status"], "calls", r["candidate"]["calls"], "accuracy", a["k"], "/", a["n"])
PY
done
