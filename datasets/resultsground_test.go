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

// TestResultsGroundednessSkip checks that skipping the groundedness
// columns leaves records.Result.Groundedness nil, and that the columnar
// decoder, which then reads the file, gives the other columns as row
// assembly does.
func TestResultsGroundednessSkip(t *testing.T) {
	var results []records.Result
	for i := range 5000 {
		results = append(results, genResult(i, true))
	}
	var buf bytes.Buffer
	if err := WriteResults(&buf, results, []string{"region", "tier"}, []string{"exact", "f1"}, nil); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	r, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Skip(GroundednessColumns...)
	i := 0
	for r.Scan() {
		got, want := r.Result(), results[i]
		want.Groundedness = nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("result %d:\n got %+v\nwant %+v", i, got, want)
		}
		i++
	}
	if err := r.Err(); err != nil || i != len(results) {
		t.Fatalf("read %d results, err %v", i, err)
	}
	if r.pipe == nil {
		t.Error("the columnar decoder did not read the file")
	}
}
