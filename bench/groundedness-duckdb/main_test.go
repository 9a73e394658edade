package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
)

// TestFoldFormula checks the SQL fold against pipeline.ShardOf.
func TestFoldFormula(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, ((('0x' || substr(sha256(id), 1, 16))::UBIGINT::UHUGEINT * 5) >> 64)::INTEGER
		FROM (SELECT 'rt-' || range::VARCHAR AS id FROM range(2000) UNION ALL SELECT 'Ünïcödé' UNION ALL SELECT '')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, seen := 0, map[int]bool{}
	for rows.Next() {
		var id string
		var fold int
		if err := rows.Scan(&id, &fold); err != nil {
			t.Fatal(err)
		}
		if want := pipeline.ShardOf(id, integrity.CVFolds); fold != want {
			t.Errorf("fold(%q) = %d in SQL, want %d", id, fold, want)
		}
		seen[fold] = true
		n++
	}
	if n != 2002 || len(seen) != integrity.CVFolds {
		t.Errorf("checked %d ids over folds %v, want 2002 over all %d", n, seen, integrity.CVFolds)
	}
}

// TestFiguresAgree computes the figures of a generated run, with tied
// scores, answers without a check and a second sample, both ways.
func TestFiguresAgree(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "set.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`COPY (SELECT 'q' || range::VARCHAR AS id, 'question' AS input,
		CASE WHEN range % 3 = 0 THEN 'Summary' ELSE 'Data2txt' END AS task,
		CASE WHEN range % 7 = 0 THEN 'unknown' WHEN (range * 37) % 5 < 2 THEN 'yes' ELSE 'no' END AS hallucinated
		FROM range(300)) TO '` + data + `' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	var results []records.Result
	for i := range 300 {
		r := records.Result{ID: fmt.Sprint("q", i), Output: "x"}
		if i%11 != 0 {
			label := (i*37)%5 < 2
			score := float64(i%4) / 4 // ties
			if label && i%2 == 0 {
				score = math.Min(1, score+0.5)
			}
			r.Groundedness = &records.Groundedness{Method: "lexical", Score: score, Verdict: records.GroundedSupported}
		}
		results = append(results, r)
		if i%13 == 0 { // a second sample, left out
			r2 := r
			r2.Sample, r2.Groundedness = 1, &records.Groundedness{Method: "lexical", Score: 0.9}
			results = append(results, r2)
		}
	}
	path := filepath.Join(dir, "results.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteResults(f, results, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-results", path, "-data", data}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "\n0 figures differ") || strings.Count(stdout.String(), "DuckDB  ") != 3 {
		t.Errorf("output:\n%s", stdout.String())
	}

	// A difference is caught.
	sqlf, err := duckFigures(path, data)
	if err != nil {
		t.Fatal(err)
	}
	gof, err := goFigures(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if d := printTable(&bytes.Buffer{}, sqlf, gof); d != 0 {
		t.Fatalf("%d differences", d)
	}
	gof[0].AUROC += 1e-9
	if d := printTable(&bytes.Buffer{}, sqlf, gof); d != 1 {
		t.Errorf("after moving one AUROC: %d differences, want 1", d)
	}
}
