package datasets

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// readResultsAll reads path with Scan (or ReadChunk), returning the
// results and the error text.
func readResultsAll(t *testing.T, path string, chunks bool, skip ...string) ([]records.Result, string) {
	t.Helper()
	r, err := OpenResults(path)
	if err != nil {
		return nil, err.Error()
	}
	defer r.Close()
	r.Skip(skip...)
	var out []records.Result
	if chunks {
		for c := r.ReadChunk(); c != nil; c = r.ReadChunk() {
			out = append(out, c...)
			r.ReleaseChunk(c)
		}
	} else {
		for r.Scan() {
			out = append(out, r.Result())
		}
	}
	if err := r.Err(); err != nil {
		return out, err.Error()
	}
	return out, ""
}

// sameResults fails unless got and want hold the same results and errors.
func sameResults(t *testing.T, what string, got []records.Result, gotErr string, want []records.Result, wantErr string) {
	t.Helper()
	if gotErr != wantErr {
		t.Errorf("%s: error %q, want %q", what, gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: result %d:\n got %#v\nwant %#v", what, i, got[i], want[i])
		}
	}
}

// checkResultPaths reads path by every path of ResultsReader — row
// assembly, pages value by value, pages as arrays, with Scan and with
// ReadChunk — and fails unless all give the same results and error.
func checkResultPaths(t *testing.T, path string) int {
	t.Helper()
	rowResults = true
	want, wantErr := readResultsAll(t, path, false)
	rowResults = false
	defer func() { valueResults = false }()
	for _, values := range []bool{true, false} {
		valueResults = values
		for _, chunks := range []bool{false, true} {
			got, gotErr := readResultsAll(t, path, chunks)
			sameResults(t, fmt.Sprintf("%s (values %v, chunks %v)", filepath.Base(path), values, chunks), got, gotErr, want, wantErr)
		}
	}
	return len(want)
}

// TestResultsPagePaths checks that reading pages as arrays gives what
// reading them value by value and row assembly give: on files written by
// ResultsWriter (plain and dictionary pages, nulls, several row groups
// and pages), on files with dictionary indexes and plain values mixed,
// INT32 and FLOAT columns, row errors in different columns, and on the
// shared files.
func TestResultsPagePaths(t *testing.T) {
	t.Run("written", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := NewResultsWriter(&buf, []string{"region", "tier"}, []string{"exact", "f1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range writeRowGroupRows + 3*chunkRows + 17 {
			r := records.Result{
				ID: fmt.Sprintf("q-%07d", i), Sample: i % 3, Model: []string{"", "m1"}[i%2],
				Output: strings.Repeat("ü", i%5) + fmt.Sprint(i), Error: []string{"", "", "boom"}[i%3],
				Attempts: i % 4, LatencyMS: float64(i) / 7, Confidence: float64(i%3) / 4,
				Task: []string{"qa", ""}[i%2], Expected: fmt.Sprint(i % 11),
				Groups: map[string]string{"region": fmt.Sprintf("r%d", i%(maxGroupValues+9))},
				Scores: map[string]float64{"exact": float64(i % 2)},
			}
			if i%4 != 0 {
				r.Groups["tier"] = []string{"gold", "silver", "bronze"}[i%3]
			}
			if err := w.Write(&r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkResultPaths(t, writeBytes(t, buf.Bytes()))
	})
	t.Run("foreign types and small pages", func(t *testing.T) {
		fields := []parquet.Field{
			named("id", parquet.Optional(parquet.String())),
			named("sample", parquet.Optional(parquet.Int(32))),
			named("output", parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))),
			named("latency_ms", parquet.Optional(parquet.Leaf(parquet.FloatType))),
			named("g", parquet.Optional(parquet.String())),
			named("score_f1", parquet.Optional(parquet.Leaf(parquet.FloatType))),
		}
		i32 := func(n int32) cell {
			return func(col int) []parquet.Value { return []parquet.Value{parquet.Int32Value(n).Level(0, 1, col)} }
		}
		f32 := func(x float32) cell {
			return func(col int) []parquet.Value { return []parquet.Value{parquet.FloatValue(x).Level(0, 1, col)} }
		}
		var rows []parquet.Row
		for i := range 3000 {
			out, g, f := opt(fmt.Sprintf("answer %d", i%40)), opt(fmt.Sprintf("g%d", i%3)), f32(float32(i%10)/10)
			if i%7 == 0 {
				out, g, f = null(), null(), null()
			}
			rows = append(rows, row(opt(fmt.Sprint(i)), i32(int32(i%4)), out, f32(float32(i)), g, f))
		}
		checkResultPaths(t, writeTestFile(t, "foreign.parquet", fields, rows, parquet.PageBufferSize(700)))
	})
	t.Run("row errors", func(t *testing.T) {
		fields := []parquet.Field{
			named("id", parquet.Optional(parquet.String())),
			named("output", parquet.Optional(parquet.String())),
			named("g", parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))),
		}
		for _, tc := range []struct {
			name    string
			bad     int
			corrupt func(id, out, g *cell)
		}{
			{"null id", chunkRows + 3, func(id, out, g *cell) { *id = null() }},
			{"invalid output", 2*chunkRows - 1, func(id, out, g *cell) { *out = opt("a\xffb") }},
			{"invalid dictionary value", 5, func(id, out, g *cell) { *g = opt("\xc3") }},
			{"two bad columns in one row", 77, func(id, out, g *cell) { *out, *g = opt("\xff"), opt("\xff") }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var rows []parquet.Row
				for i := range 3 * chunkRows {
					id, out, g := opt(fmt.Sprint(i)), opt("out"), opt("x")
					if i == tc.bad {
						tc.corrupt(&id, &out, &g)
					}
					rows = append(rows, row(id, out, g))
				}
				path := writeTestFile(t, "results.parquet", fields, rows, parquet.PageBufferSize(1024))
				if got := checkResultPaths(t, path); got != tc.bad {
					t.Errorf("read %d results before the error, want %d", got, tc.bad)
				}
			})
		}
	})
	t.Run("shared", func(t *testing.T) {
		dir := sharedData(t)
		n := 0
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
				return err
			}
			if st, err := os.Stat(path); err != nil || st.Size() > 64<<20 {
				return err
			}
			checkResultPaths(t, path)
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Skip("no shared Parquet files")
		}
	})
}

// TestReadChunkSharesGroups checks that ReadChunk gives results with the
// same group values the same (read-only) map, and that Skip leaves the
// skipped fields zero and the others as they were.
func TestReadChunkSharesGroups(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewResultsWriter(&buf, []string{"a", "b"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		r := records.Result{ID: fmt.Sprint(i), Model: "m", Task: "t", Expected: "e", HTTPStatus: 500, Confidence: 0.5, Output: "o",
			Groups: map[string]string{"a": fmt.Sprint(i % 3), "b": fmt.Sprint(i % 2)}}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	want, _ := readResultsAll(t, path, false)
	got, gotErr := readResultsAll(t, path, true, "model", "task", "expected", "http_status", "confidence", "id", "no-such-column")
	if gotErr != "" || len(got) != len(want) {
		t.Fatalf("ReadChunk: %d results, error %q; want %d", len(got), gotErr, len(want))
	}
	maps := map[string]map[string]string{}
	for i := range got {
		w := want[i]
		w.Model, w.Task, w.Expected, w.HTTPStatus, w.Confidence = "", "", "", 0, 0
		if !reflect.DeepEqual(got[i], w) {
			t.Fatalf("result %d:\n got %#v\nwant %#v", i, got[i], w)
		}
		key := got[i].Groups["a"] + "/" + got[i].Groups["b"]
		if m, ok := maps[key]; ok && reflect.ValueOf(m).UnsafePointer() != reflect.ValueOf(got[i].Groups).UnsafePointer() {
			t.Errorf("result %d: groups %s in a map of its own", i, key)
		}
		maps[key] = got[i].Groups
	}
	if len(maps) != 6 {
		t.Errorf("%d distinct group maps, want 6", len(maps))
	}
}
