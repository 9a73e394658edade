package datasets

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// TestReadResultsGroundednessDuckDB reads a results file that DuckDB wrote
// (bench/groundedness-duckdb -write-fixture) with every groundedness
// column: DuckDB's own list, boolean and nullable encodings read back as
// evalgate writes them, a null claim inside a list is left out, and a row
// whose groundedness columns are all null has no check.
func TestReadResultsGroundednessDuckDB(t *testing.T) {
	got, _, err := ReadResults(filepath.Join("testdata", "results-duckdb-groundedness.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want := []records.Result{
		{ID: "a", Output: "Paris is the capital.", Groundedness: &records.Groundedness{Method: "lexical", Score: 0, Verdict: records.GroundedSupported}},
		{ID: "b", Output: "It costs $40. It opens at 9.", Groundedness: &records.Groundedness{Method: "lexical", Score: 0.75, Verdict: records.GroundedHallucinated,
			Unsupported: []string{"It costs $40.", "It opens at 9."}}},
		{ID: "c", Sample: 1, Output: "Ünïcödé ✓", Groundedness: &records.Groundedness{Method: "judge", Score: 1, Verdict: records.GroundedHallucinated, Escalated: true,
			Unsupported: []string{"Ünïcödé ✓"}}},
		{ID: "d", Output: "No context."},
		{ID: "e", Groundedness: &records.Groundedness{Method: "judge", Score: 1, Verdict: records.GroundedJudgeError, Escalated: true}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %+v %+v\nwant %+v %+v", i, got[i], got[i].Groundedness, want[i], want[i].Groundedness)
		}
	}
}

// TestResultsGroundednessColumnar checks the columnar decoder with the
// groundedness columns, which it assembles row by row beside the others:
// read whole, with the columns skipped (Groundedness nil) and through
// ReadChunk, the results are those written.
func TestResultsGroundednessColumnar(t *testing.T) {
	var results []records.Result
	for i := range 5000 {
		results = append(results, genResult(i, true))
	}
	var buf bytes.Buffer
	if err := WriteResults(&buf, results, []string{"region", "tier"}, []string{"exact", "f1"}, nil); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	for _, tt := range []struct {
		name        string
		skip, chunk bool
	}{{"scan", false, false}, {"skipped", true, false}, {"chunks", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenResults(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if tt.skip {
				r.Skip(GroundednessColumns...)
			}
			var got []records.Result
			if tt.chunk {
				for c := r.ReadChunk(); c != nil; c = r.ReadChunk() {
					got = append(got, c...)
				}
			} else {
				for r.Scan() {
					got = append(got, r.Result())
				}
			}
			if err := r.Err(); err != nil || len(got) != len(results) {
				t.Fatalf("read %d results, err %v", len(got), err)
			}
			grounded := 0
			for i := range got {
				want := results[i]
				if tt.skip {
					want.Groundedness = nil
				}
				if !reflect.DeepEqual(got[i], want) {
					t.Fatalf("result %d:\n got %+v %+v\nwant %+v %+v", i, got[i], got[i].Groundedness, want, want.Groundedness)
				}
				if got[i].Groundedness != nil {
					grounded++
				}
			}
			if r.pipe == nil || (r.ground != nil) == tt.skip || grounded == 0 && !tt.skip {
				t.Errorf("columnar %v, groundedness beside it %v, %d checks read", r.pipe != nil, r.ground != nil, grounded)
			}
		})
	}
}
