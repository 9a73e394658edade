package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// TestResultsReaderStreams writes results across several row groups with
// a ResultsWriter and reads them back one at a time.
func TestResultsReaderStreams(t *testing.T) {
	const n = 3*writeRowGroupRows/2 + 7
	groups, scores := []string{"g", "h"}, []string{"exact"}
	want := func(i int) records.Result {
		return records.Result{
			ID: fmt.Sprintf("r-%06d", i), Sample: i % 3, Model: "m", Output: fmt.Sprint(i % 11), Attempts: 1, LatencyMS: float64(i),
			Groups: map[string]string{"g": []string{"", "a", "b"}[i%3], "h": "x"},
			Scores: map[string]float64{"exact": float64(i % 2)},
		}
	}
	var buf bytes.Buffer
	w, err := NewResultsWriter(&buf, groups, scores, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := want(i)
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&records.Result{ID: "late"}); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close: got %v, want errClosed", err)
	}
	path := writeBytes(t, buf.Bytes())

	r, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Info(); got.Rows != n || got.RowGroups < 2 || got.Metadata["k"] != "v" {
		t.Errorf("Info: rows %d, row groups %d, metadata %v; want %d rows in ≥ 2 row groups and k=v", got.Rows, got.RowGroups, got.Metadata, n)
	}
	if got := r.Groups(); !reflect.DeepEqual(got, groups) {
		t.Errorf("Groups() = %v, want %v", got, groups)
	}
	if got := r.Scores(); !reflect.DeepEqual(got, scores) {
		t.Errorf("Scores() = %v, want %v", got, scores)
	}
	i := 0
	for r.Scan() {
		if got, w := r.Result(), want(i); !reflect.DeepEqual(got, w) {
			t.Fatalf("result %d: got %+v, want %+v", i, got, w)
		}
		i++
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Errorf("read %d results, want %d", i, n)
	}
	if r.Scan() {
		t.Error("Scan after the end returned true")
	}

	// SkipScores leaves Scores nil and reads the rest.
	r2, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	r2.SkipScores = true
	i = 0
	for r2.Scan() {
		w := want(i)
		w.Scores = nil
		if got := r2.Result(); !reflect.DeepEqual(got, w) {
			t.Fatalf("SkipScores: result %d: got %+v, want %+v", i, got, w)
		}
		i++
	}
	if err := r2.Err(); err != nil || i != n {
		t.Errorf("SkipScores: read %d results, error %v; want %d, nil", i, err, n)
	}
	if got := r2.Scores(); len(got) != 0 {
		t.Errorf("SkipScores: Scores() = %v, want none", got)
	}
}

func TestOpenResultsErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteItems(&buf, []records.Item{{ID: "a", Input: "x"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"missing file", t.TempDir() + "/none.parquet", nil},
		{"not parquet", writeBytes(t, []byte("hello, this is not parquet")), ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenResults(tc.path)
			if err == nil {
				r.Close()
				t.Fatal("got no error")
			}
			var re *RowError
			if !errors.As(err, &re) || re.File != tc.path {
				t.Errorf("got %v, want a *RowError naming %s", err, tc.path)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkResultsReader(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewResultsWriter(&buf, []string{"g"}, []string{"exact"}, nil)
	for i := range 10000 {
		w.Write(&records.Result{ID: fmt.Sprint(i), Output: "some answer", Groups: map[string]string{"g": "a"}, Scores: map[string]float64{"exact": 1}})
	}
	w.Close()
	path := writeBytes(b, buf.Bytes())
	b.ReportAllocs()
	for b.Loop() {
		r, err := OpenResults(path)
		if err != nil {
			b.Fatal(err)
		}
		for r.Scan() {
		}
		r.Close()
	}
}
