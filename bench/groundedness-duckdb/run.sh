#!/bin/sh
# Replays the RAGTruth development split through evalgate run (lexical
# groundedness, outputs from the set) and computes the cross-validated
# figures from its results.parquet with DuckDB and with Go, side by side.
# Usage, from anywhere: sh bench/groundedness-duckdb/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$here/../.." && go run ./cmd/evalgate run -c "$here/ragtruth-replay.yaml" --out "$out" --quiet --no-gate >/dev/null)
cd "$here" && go run . -results "$out/results.parquet" -data "$here/../../../shared/data/ragtruth-dev/ragtruth-dev.parquet"
