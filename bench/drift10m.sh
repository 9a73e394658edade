#!/usr/bin/env bash
# Compares two 10-million-row production logs with `evalgate drift` and
# records wall time, CPU time and peak RSS (/usr/bin/time -v). The logs are
# written by bench/mklogs in the shape of the shared DuckDB production log:
# the reference as is, the current one drifted (longer inputs, slower,
# a second model version, another locale mix). They are kept in DIR and
# reused while N is unchanged. A config adds the gender and locale columns
# as categorical features.
#
#   bash bench/drift10m.sh            # N=10000000 DIR=/tmp/drift10m RUNS=3
#   N=1000000 bash bench/drift10m.sh  # a smaller run
#
# Needs Go and GNU time (/usr/bin/time). About 1.7 GB of disk per file.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000000}
DIR=${DIR:-/tmp/drift10m}
RUNS=${RUNS:-3}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT

go build -o "$BIN/evalgate" ./cmd/evalgate
go build -o "$BIN/mklogs" ./bench/mklogs
mkdir -p "$DIR"
if [[ ! -f "$DIR/current.parquet" || "$(cat "$DIR/n" 2>/dev/null)" != "$N" ]]; then
	rm -f "$DIR/n"
	echo "writing 2 × $N rows to $DIR ..."
	/usr/bin/time -f "  reference written in %e s, peak RSS %M KB" "$BIN/mklogs" -n "$N" -seed 1 -out "$DIR/reference.parquet"
	/usr/bin/time -f "  current written in %e s, peak RSS %M KB" "$BIN/mklogs" -n "$N" -seed 2 -shift -out "$DIR/current.parquet"
	echo "$N" >"$DIR/n"
fi
ls -l "$DIR"/*.parquet
cat >"$DIR/drift.yaml" <<'YAML'
dataset: {path: reference.parquet}
candidate: {provider: replay}
drift: {categorical: [gender, locale]}
YAML

echo
echo "| run | rows per file | wall (s) | user CPU (s) | sys CPU (s) | peak RSS (MB) |"
echo "| --- | --- | --- | --- | --- | --- |"
for run in $(seq "$RUNS"); do
	/usr/bin/time -v -o "$BIN/time.txt" "$BIN/evalgate" drift --reference "$DIR/reference.parquet" \
		--current "$DIR/current.parquet" -c "$DIR/drift.yaml" --out "$DIR/out" >"$BIN/out.txt"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$BIN/time.txt")
	user=$(awk -F': ' '/User time/ {print $2}' "$BIN/time.txt")
	sys=$(awk -F': ' '/System time/ {print $2}' "$BIN/time.txt")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BIN/time.txt")
	printf '| %s | %s | %s | %s | %s | %.0f |\n' "$run" "$N" "$wall" "$user" "$sys" "$(echo "$kb / 1024" | bc -l)"
done
echo
cat "$BIN/out.txt"
