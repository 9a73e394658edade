#!/usr/bin/env bash
# Scores a 10-million-row results file with `evalgate score` (3 group
# columns, bootstrap on, 2,000 resamples) and, in the same run, times
# DuckDB's GROUP BY over the same file through @duckdb/node-api.
#
#   bash bench/score10m.sh            # N=10000000 DIR=/tmp/score10m RUNS=3
#   N=1000000 bash bench/score10m.sh  # a smaller run
#
# Needs Go, node (v20) and npm; DuckDB is installed into
# bench/score10m/duckdb/node_modules, outside the Go module.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000000}
DIR=${DIR:-/tmp/score10m}
RUNS=${RUNS:-3}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT

go build -o "$BIN/evalgate" ./cmd/evalgate
go build -o "$BIN/score10m" ./bench/score10m
(cd bench/score10m/duckdb && npm install --no-audit --no-fund --silent)

if [[ ! -f "$DIR/results.parquet" || "$(cat "$DIR/n" 2>/dev/null)" != "$N" ]]; then
	echo "writing $N rows to $DIR ..."
	/usr/bin/time -f "  generated in %e s, peak RSS %M KB" "$BIN/score10m" -n "$N" -dir "$DIR"
	echo "$N" >"$DIR/n"
fi
ls -l "$DIR"/*.parquet

for run in $(seq "$RUNS"); do
	/usr/bin/time -o "$BIN/eg.time" -f "%e %M" \
		"$BIN/evalgate" score -c "$DIR/score10m.yaml" --results "$DIR/results.parquet" --out "$DIR/out" >"$BIN/eg.out"
	read -r eg_s eg_kb <"$BIN/eg.time"
	/usr/bin/time -o "$BIN/db.time" -f "%e %M" \
		node bench/score10m/duckdb/groupby.mjs "$DIR/results.parquet" "$DIR/set.parquet" >"$BIN/db.out"
	read -r db_s db_kb <"$BIN/db.time"
	stored=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).stored.seconds.toFixed(2))' "$BIN/db.out")
	rescore=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).rescore.seconds.toFixed(2))' "$BIN/db.out")
	printf '| %s | %s | %.0f MB | %s | %s | %s s, %.0f MB | %.1f× | %.1f× |\n' \
		"$run" "$eg_s s" "$(echo "$eg_kb / 1024" | bc -l)" "$stored s" "$rescore s" "$db_s" "$(echo "$db_kb / 1024" | bc -l)" \
		"$(echo "$eg_s / $stored" | bc -l)" "$(echo "$eg_s / $rescore" | bc -l)"
done
echo
grep -E "accuracy  |verdict" "$BIN/eg.out" || true
