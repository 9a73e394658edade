// Command groundedness-duckdb computes the lexical groundedness detector's
// cross-validated figures on the RAGTruth development split from the
// results.parquet of an evalgate run twice: once in SQL by DuckDB, reading
// the file as any tool would, and once in Go through evalgate's own
// readers. It prints both side by side and exits 1 when any figure differs
// by more than 1e-12, 2 on bad usage or input.
//
// The procedure (the one bench/ragtruth and integrity's calibration use),
// per task and for both tasks pooled:
//
//   - fold(id) = ⌊h·5/2⁶⁴⌋, h the first 8 bytes of SHA-256(id) read
//     big-endian (pipeline.ShardOf(id, 5));
//   - for each fold k, the threshold t is chosen among the distinct scores
//     of the other folds' items to maximise the F1 of "hallucinated iff
//     groundedness_score ≥ t" on them, ties to the smallest t, and applied
//     to fold k's items;
//   - precision, recall and F1 are of the pooled held-out predictions;
//     AUROC is of all the items' scores (Mann–Whitney, ties count ½); the
//     baseline is the F1 of always answering "hallucinated", 2p/(1+p);
//   - the threshold shown is the one the same rule picks on all the items.
//
// Answers without a groundedness check (a failed call, an item without
// context) are left out; only sample 0 of each item is used.
//
// Usage, from this folder:
//
//	go run . -results RESULTS.parquet [-data SET.parquet]
//
// run.sh makes the results file and runs this in one line.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// tolerance is the largest difference allowed between the two computations.
const tolerance = 1e-12

// run parses args, computes the figures both ways and prints them; it
// returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("groundedness-duckdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	results := fs.String("results", "", "results.parquet of an evalgate run over the eval set (required)")
	data := fs.String("data", "../../../shared/data/ragtruth-dev/ragtruth-dev.parquet", "the labelled eval set (column hallucinated = yes/no)")
	fixture := fs.String("write-fixture", "", "instead, write with DuckDB a small results file with every groundedness column, for evalgate's reader tests")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *fixture != "" {
		if err := writeFixture(*fixture); err != nil {
			fmt.Fprintln(stderr, "groundedness-duckdb:", err)
			return 2
		}
		return 0
	}
	if *results == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "groundedness-duckdb: -results is required, and no arguments")
		return 2
	}
	sql, err := duckFigures(*results, *data)
	if err != nil {
		fmt.Fprintln(stderr, "groundedness-duckdb: duckdb:", err)
		return 2
	}
	gof, err := goFigures(*results, *data)
	if err != nil {
		fmt.Fprintln(stderr, "groundedness-duckdb: go:", err)
		return 2
	}
	diffs := printTable(stdout, sql, gof)
	if diffs > 0 {
		fmt.Fprintf(stderr, "groundedness-duckdb: %d figures differ by more than %g\n", diffs, tolerance)
		return 1
	}
	return 0
}

// Figures are one task's cross-validated figures.
type Figures struct {
	Task                  string
	N, Hallucinated       int
	Threshold             float64 // picked on all the task's items
	Precision, Recall, F1 float64 // cross-validated
	BaselineF1            float64 // always "hallucinated"
	AUROC                 float64
}

// printTable writes the figures of both computations and returns how many
// differ beyond tolerance (or are missing from one side).
func printTable(w io.Writer, sql, gof []Figures) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "task\tby\tn\thallucinated\tthreshold\tprecision\trecall\tF1\tbaseline F1\tAUROC\t")
	byTask := map[string]Figures{}
	for _, f := range gof {
		byTask[f.Task] = f
	}
	diffs := max(0, len(gof)-len(sql))
	row := func(f Figures, by string) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t\n", f.Task, by, f.N, f.Hallucinated, f.Threshold, f.Precision, f.Recall, f.F1, f.BaselineF1, f.AUROC)
	}
	for _, s := range sql {
		g, ok := byTask[s.Task]
		row(s, "DuckDB")
		if !ok {
			diffs++
			fmt.Fprintf(tw, "%s\tGo\t(missing)\t\n", s.Task)
			continue
		}
		row(g, "Go")
		if s.N != g.N || s.Hallucinated != g.Hallucinated {
			diffs++
		}
		for _, p := range [][2]float64{{s.Threshold, g.Threshold}, {s.Precision, g.Precision}, {s.Recall, g.Recall}, {s.F1, g.F1}, {s.BaselineF1, g.BaselineF1}, {s.AUROC, g.AUROC}} {
			if !(math.Abs(p[0]-p[1]) <= tolerance || math.IsNaN(p[0]) && math.IsNaN(p[1])) {
				diffs++
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d figures differ by more than %g between DuckDB and Go\n", diffs, tolerance)
	return diffs
}
