#!/usr/bin/env bash
# Scores a 10-million-row results file with `evalgate score` (3 group
# columns, bootstrap on, 2,000 resamples) and, in the same run, times
# DuckDB's GROUP BY over the same file through @duckdb/node-api.
#
#   bash bench/score10m.sh            # N=10000000 DIR=/tmp/score10m RUNS=3
#   N=1000000 bash bench/score10m.sh  # a smaller run
#   PROFILE=1 bash bench/score10m.sh  # then one more evalgate run, with a
#                                     # CPU profile split by pipeline stage
#
# The config turns off the integrity checks (groundedness, PII,
# must_not_contain), which evalgate score runs by default in a second pass:
# the benchmark times the re-scoring that DuckDB's queries compare with.
#
# Each row gives evalgate's wall time, CPU time (user + system) and peak
# RSS, DuckDB's two queries and its process, and the ratios of evalgate's
# wall time to each query's, all measured in the same run: the machine is
# shared, so only ratios taken together compare.
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
"$BIN/score10m" -dir "$DIR" -config-only # the current config, also for older data
ls -l "$DIR"/*.parquet

echo "| run | evalgate wall | evalgate CPU | evalgate peak RSS | DuckDB stored | DuckDB rescore | DuckDB process | evalgate / stored | evalgate / rescore |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for run in $(seq "$RUNS"); do
	/usr/bin/time -o "$BIN/eg.time" -f "%e %M %U %S" \
		"$BIN/evalgate" score -c "$DIR/score10m.yaml" --results "$DIR/results.parquet" --out "$DIR/out" >"$BIN/eg.out"
	read -r eg_s eg_kb eg_user eg_sys <"$BIN/eg.time"
	/usr/bin/time -o "$BIN/db.time" -f "%e %M" \
		node bench/score10m/duckdb/groupby.mjs "$DIR/results.parquet" "$DIR/set.parquet" >"$BIN/db.out"
	read -r db_s db_kb <"$BIN/db.time"
	stored=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).stored.seconds.toFixed(2))' "$BIN/db.out")
	rescore=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).rescore.seconds.toFixed(2))' "$BIN/db.out")
	printf '| %s | %s s | %.1f s | %.0f MB | %s s | %s s | %s s, %.0f MB | %.1f× | %.2f× |\n' \
		"$run" "$eg_s" "$(echo "$eg_user + $eg_sys" | bc -l)" "$(echo "$eg_kb / 1024" | bc -l)" "$stored" "$rescore" \
		"$db_s" "$(echo "$db_kb / 1024" | bc -l)" "$(echo "$eg_s / $stored" | bc -l)" "$(echo "$eg_s / $rescore" | bc -l)"
done
echo
grep -E "accuracy  |verdict" "$BIN/eg.out" || true

if [[ -n "${PROFILE:-}" ]]; then
	# Where evalgate's CPU goes: the share of the samples under each stage
	# of the pipeline (cumulative; the stages do not overlap).
	EVALGATE_CPUPROFILE="$BIN/cpu.prof" "$BIN/evalgate" score -c "$DIR/score10m.yaml" --results "$DIR/results.parquet" --out "$DIR/out" >/dev/null
	echo
	go tool pprof -top -cum -nodecount=400 "$BIN/evalgate" "$BIN/cpu.prof" 2>/dev/null | awk '
		/^Duration/ { print }
		/rgDecoder\).run$/ { print "results decode (columns, zstd, guard):", $4, $5 }
		/itemColumnDecoder\).run$/ { print "eval set columns (id, expected, expected_any, task):", $4, $5 }
		/refCursor\).lookup$/ { print "merge join:", $4, $5 }
		/Scorer\).Score$/ { print "scoring (4 methods):", $4, $5 }
		/ModelTally\).Add$/ { print "tally (in file order):", $4, $5 }
		/BuildFromTallies$/ { print "report (bootstrap):", $4, $5 }
		/gcBgMarkWorker$/ { print "garbage collector:", $4, $5 }'
fi
