package datasets

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// readResultsBothWays reads path with the columnar decoder and with row
// assembly, with and without the scores, and fails unless both give the
// same results and the same error.
func readResultsBothWays(t *testing.T, path string) int {
	t.Helper()
	read := func(rows, skip bool) ([]records.Result, string) {
		rowResults = rows
		defer func() { rowResults = false }()
		r, err := OpenResults(path)
		if err != nil {
			return nil, err.Error()
		}
		defer r.Close()
		r.SkipScores = skip
		var out []records.Result
		for r.Scan() {
			out = append(out, r.Result())
		}
		if err := r.Err(); err != nil {
			return out, err.Error()
		}
		return out, ""
	}
	n := 0
	for _, skip := range []bool{false, true} {
		want, wantErr := read(true, skip)
		got, gotErr := read(false, skip)
		if gotErr != wantErr {
			t.Errorf("%s (skip scores %v): error %q, row assembly gives %q", path, skip, gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Errorf("%s (skip scores %v): %d results, row assembly gives %d", path, skip, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s (skip scores %v): result %d: got %#v, row assembly gives %#v", path, skip, i, got[i], want[i])
			}
		}
		n = len(want)
	}
	return n
}

// TestResultsColumnarMatchesRows checks that the columnar decoder gives
// exactly what row assembly gives, on generated files spanning several
// row groups with nulls, groups and scores, and on the shared test files.
func TestResultsColumnarMatchesRows(t *testing.T) {
	t.Run("generated", func(t *testing.T) {
		for _, n := range []int{0, 1, chunkRows + 1, 2*writeRowGroupRows + 3*chunkRows + 5} {
			groups, scores := []string{"region", "tier", "empty"}, []string{"exact", "f1"}
			var buf bytes.Buffer
			w, err := NewResultsWriter(&buf, groups, scores, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				r := records.Result{
					ID: fmt.Sprintf("q-%07d", i), Sample: i % 4, Model: []string{"", "m1", "m2"}[i%3],
					Output: strings.Repeat("x", i%7), Error: []string{"", "", "", "timeout ü"}[i%4],
					ErrorKind: []string{"", "http"}[i%2], HTTPStatus: 200 + i%3, Attempts: i % 5, LatencyMS: float64(i) / 3,
					PromptTokens: i, CompletionTokens: -i, Task: []string{"qa", "", "label"}[i%3], Expected: fmt.Sprint(i % 13),
					Groups: map[string]string{"region": fmt.Sprintf("r%d", i%(2*maxInterned+7))},
					Scores: map[string]float64{},
				}
				if i%5 != 0 {
					r.Groups["tier"] = []string{"gold", "silver"}[i%2]
				}
				if i%3 != 0 {
					r.Scores["exact"] = float64(i % 2)
				}
				if i%7 != 0 {
					r.Scores["f1"] = float64(i%10) / 10
				}
				if err := w.Write(&r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			path := writeBytes(t, buf.Bytes())
			if got := readResultsBothWays(t, path); got != n {
				t.Errorf("%d rows: read %d", n, got)
			}
		}
	})
	t.Run("row errors", func(t *testing.T) {
		fields := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("g", parquet.Optional(parquet.String()))}
		var rows []parquet.Row
		for i := range 3*chunkRows + 10 {
			id, g := opt(fmt.Sprint(i)), opt("g")
			switch i {
			case chunkRows + 7:
				g = opt("\xff")
			case 2*chunkRows + 1:
				id = null()
			}
			rows = append(rows, row(id, g))
		}
		path := writeTestFile(t, "results.parquet", fields, rows, parquet.PageBufferSize(512))
		if got := readResultsBothWays(t, path); got != chunkRows+7 {
			t.Errorf("read %d results before the error, want %d", got, chunkRows+7)
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
			if got := readResultsBothWays(t, path); testing.Verbose() {
				t.Logf("%s: %d results", filepath.Base(path), got)
			}
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

// TestResultsReaderCloseEarly closes a reader in the middle of a file
// whose row groups are still being decoded; Close must stop the decoders.
func TestResultsReaderCloseEarly(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewResultsWriter(&buf, []string{"g"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * writeRowGroupRows {
		if err := w.Write(&records.Result{ID: fmt.Sprint(i), Groups: map[string]string{"g": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	before := runtime.NumGoroutine()
	for _, scans := range []int{0, 1, chunkRows + 3} {
		r, err := OpenResults(path)
		if err != nil {
			t.Fatal(err)
		}
		for range scans {
			if !r.Scan() {
				t.Fatalf("Scan stopped: %v", r.Err())
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if r.Scan() {
			t.Error("Scan after Close returned true")
		}
	}
	// Goroutines of earlier tests may still be winding down, so a count
	// above the one before is only a leak if it stays there.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	if after > before {
		t.Errorf("%d goroutines after Close, %d before", after, before)
	}
}
