#!/usr/bin/env bash
# Samples a 10-million-row production log with `evalgate sample` and
# records wall time and peak RSS (/usr/bin/time -v) of each run: a uniform
# sample, a sample stratified by locale, a stratified sample of a 30-day
# window, and a large uniform sample. Fails when a run's peak RSS reaches
# LIMIT_MB: sampling streams, so memory is set by n, not by the log.
#
#   bash bench/sample10m.sh              # N=10000000 DIR=/tmp/sample10m LIMIT_MB=300
#   N=1000000 bash bench/sample10m.sh    # a smaller run
#
# The log (written once by bench/mksamplelogs, then reused) has the shape
# of ../shared/data/interop/prod-logs-duckdb.parquet: zstd, row groups of
# 122,880 rows, one request every 3 s from 2026-01-01.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000000}
DIR=${DIR:-/tmp/sample10m}
LIMIT_MB=${LIMIT_MB:-300}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT

go build -o "$BIN/evalgate" ./cmd/evalgate
go build -o "$BIN/mksamplelogs" ./bench/mksamplelogs
mkdir -p "$DIR"
if [[ ! -f "$DIR/logs.parquet" || "$(cat "$DIR/n" 2>/dev/null)" != "$N" ]]; then
	echo "writing $N rows to $DIR/logs.parquet ..."
	/usr/bin/time -f "  generated in %e s, peak RSS %M KB" "$BIN/mksamplelogs" -n "$N" -out "$DIR/logs.parquet"
	echo "$N" >"$DIR/n"
fi
ls -l "$DIR/logs.parquet"

# Warm the page cache so that the first run is not charged for the disk.
cat "$DIR/logs.parquet" >/dev/null

status=0
echo
echo "| run | flags | rows written | wall | user + sys CPU | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
run() {
	local name=$1
	shift
	/usr/bin/time -v -o "$BIN/time.txt" "$BIN/evalgate" sample --from "$DIR/logs.parquet" --out "$DIR/$name.parquet" "$@" >"$BIN/out.txt" 2>"$BIN/err.txt" || {
		echo "$name failed:" >&2
		cat "$BIN/err.txt" >&2
		status=1
		return
	}
	local wall cpu kb rows
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$BIN/time.txt")
	cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f s", u+s}' "$BIN/time.txt")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BIN/time.txt")
	rows=$(awk '/^sampled/ {print $2}' "$BIN/out.txt")
	printf '| %s | %s | %s | %s | %s | %.0f MB |\n' "$name" "$*" "$rows" "$wall" "$cpu" "$(echo "$kb / 1024" | bc -l)"
	if ((kb >= LIMIT_MB * 1024)); then
		echo "$name: peak RSS $kb KB is over the $LIMIT_MB MB limit" >&2
		status=1
	fi
}
run uniform --n 500 --seed 1
run stratified --n 500 --seed 1 --stratify locale
run window --n 500 --seed 1 --stratify locale --since 2026-03-01 --until 2026-03-31
run large --n 100000 --seed 1
echo
cat "$BIN/out.txt"
exit $status
