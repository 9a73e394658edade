package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// genResult is result i of a generated run: rich sets groups, scores (one
// missing now and then), a confidence and failures; otherwise only the
// fixed columns are filled.
func genResult(i int, rich bool) records.Result {
	r := records.Result{ID: fmt.Sprintf("q%06d", i/3), Sample: i % 3, Model: "m@1", Output: fmt.Sprintf("answer %d", i%1000),
		Attempts: 1, LatencyMS: float64(i%977) / 4, PromptTokens: 20 + i%50, CompletionTokens: i % 9, Task: "t" + fmt.Sprint(i%4), Expected: "answer 1"}
	if !rich {
		return r
	}
	if i%13 == 0 {
		r.Output, r.Error, r.ErrorKind, r.HTTPStatus, r.Attempts = "", "http 503: busy", "http_503", 503, 4
	}
	if i%5 != 0 {
		r.Confidence = float64(i%100+1) / 101
	}
	r.Groups = map[string]string{"region": []string{"eu", "us", "", "apac"}[i%4], "tier": fmt.Sprint(i % 3)}
	r.Scores = map[string]float64{"exact": float64(i % 2)}
	if i%7 != 0 {
		r.Scores["f1"] = float64(i%10) / 10
	}
	if r.Error == "" && i%3 != 0 {
		r.Groundedness = &records.Groundedness{Method: []string{"lexical", "judge"}[i%2], Score: float64(i%11) / 10,
			Verdict: records.GroundedSupported, Escalated: i%4 == 1}
		if i%5 < 2 {
			r.Groundedness.Verdict = records.GroundedHallucinated
			r.Groundedness.Unsupported = []string{fmt.Sprintf("claim %d", i%17), fmt.Sprintf("another %d", i)}[:1+i%2]
		}
	}
	return r
}

// oneBatch writes results the way the writer did before it streamed: every
// row encoded first, then handed to the Parquet writer in one call.
func oneBatch(t *testing.T, results []records.Result, groups, scores []string, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw, err := newResultsParquetWriter(&buf, groups, scores, meta)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]parquet.Row, len(results))
	for i := range results {
		if rows[i], err = resultRow(int64(i), &results[i], groups, scores); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pw.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestResultsWriterBytes checks that writing one result at a time gives the
// bytes of WriteResults and of a single batch, at sizes around the row
// group boundary and over several row groups, with and without groups,
// scores and confidences.
func TestResultsWriterBytes(t *testing.T) {
	const g = writeRowGroupRows
	tests := []struct {
		name string
		n    int
		rich bool
	}{
		{"empty", 0, false},
		{"empty with groups and scores", 0, true},
		{"one", 1, false},
		{"one with groups and scores", 1, true},
		{"a row group less one", g - 1, true},
		{"a row group", g, false},
		{"a row group and one", g + 1, true},
		{"several row groups", 3*g + 17, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && tt.n > 1 {
				t.Skip("large file")
			}
			var groups, scores []string
			meta := map[string]string{"evalgate.model": "m@1"}
			if tt.rich {
				groups, scores = []string{"region", "tier"}, []string{"exact", "f1"}
				meta["evalgate.run"] = "r1"
			}
			results := make([]records.Result, tt.n)
			for i := range results {
				results[i] = genResult(i, tt.rich)
			}
			var streamed bytes.Buffer
			w, err := NewResultsWriter(&streamed, groups, scores, meta)
			if err != nil {
				t.Fatal(err)
			}
			for i := range results {
				if err := w.Write(&results[i]); err != nil {
					t.Fatal(err)
				}
			}
			if got := w.Rows(); got != int64(tt.n) {
				t.Errorf("Rows() = %d, want %d", got, tt.n)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var whole bytes.Buffer
			if err := WriteResults(&whole, results, groups, scores, meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
				t.Errorf("ResultsWriter wrote %d bytes, WriteResults %d, not the same", streamed.Len(), whole.Len())
			}
			if !bytes.Equal(streamed.Bytes(), oneBatch(t, results, groups, scores, meta)) {
				t.Error("ResultsWriter's bytes differ from one batch's")
			}
			f, err := parquet.OpenFile(bytes.NewReader(streamed.Bytes()), int64(streamed.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if f.NumRows() != int64(tt.n) {
				t.Errorf("file holds %d rows, want %d", f.NumRows(), tt.n)
			}
			if want := (tt.n + g - 1) / g; len(f.RowGroups()) != want {
				t.Errorf("%d row groups, want %d", len(f.RowGroups()), want)
			}
		})
	}
}

// TestResultsWriterFlushesRowGroups checks that the writer hands each full
// row group to w before Close rather than holding the file: its memory is
// one row group, not the file.
func TestResultsWriterFlushesRowGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	var buf bytes.Buffer
	w, err := NewResultsWriter(&buf, []string{"region", "tier"}, []string{"exact", "f1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	header := buf.Len()
	// flushedAt[k] is how many rows had been written when row group k
	// reached w.
	var flushedAt []int
	last := header
	for i := range 2*writeRowGroupRows + batchRows {
		r := genResult(i, true)
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != last {
			flushedAt = append(flushedAt, i+1)
			last = buf.Len()
		}
	}
	// Rows reach the Parquet writer batchRows at a time, so a row group
	// leaves within a batch of being full.
	if len(flushedAt) != 2 {
		t.Fatalf("w grew after rows %v, want once per full row group", flushedAt)
	}
	for k, n := range flushedAt {
		if full := (k + 1) * writeRowGroupRows; n < full || n > full+batchRows {
			t.Errorf("row group %d reached w after %d rows, want between %d and %d", k, n, full, full+batchRows)
		}
	}
	beforeClose := buf.Len()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if beforeClose <= header || buf.Len() <= beforeClose {
		t.Errorf("sizes: %d after the header, %d before Close, %d after", header, beforeClose, buf.Len())
	}
}

// TestResultsWriterAfterError checks that a failed Write is not counted and
// that every later call fails with the same error.
func TestResultsWriterAfterError(t *testing.T) {
	w, err := NewResultsWriter(&bytes.Buffer{}, []string{"g"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := records.Result{ID: "a", Groups: map[string]string{"g": "x"}}
	bad := records.Result{ID: "b", Output: "\xff"}
	if err := w.Write(&ok); err != nil {
		t.Fatal(err)
	}
	err = w.Write(&bad)
	if err == nil || !strings.Contains(err.Error(), `row 1 (0-based), column "output"`) {
		t.Fatalf("err %v, want the invalid output at row 1", err)
	}
	if w.Rows() != 1 {
		t.Errorf("Rows() = %d after one good and one bad result, want 1", w.Rows())
	}
	if err2 := w.Write(&ok); err2 != err {
		t.Errorf("Write after an error: %v, want %v", err2, err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("Close after an error: %v, want %v", err2, err)
	}
}

// TestResultsLongTextFooter checks that answers, errors and expected
// answers at the largest run.max_output_bytes leave the footer small, so
// that the file reads back within the reader's limits.
func TestResultsLongTextFooter(t *testing.T) {
	long := strings.Repeat("é", 32<<20) // 64 MiB, the largest cap
	mib := strings.Repeat("ü", 1<<19)   // 1 MiB, the default cap
	tests := []struct {
		name string
		r    records.Result
	}{
		{"output", records.Result{ID: "a", Output: long, Truncated: true}},
		{"error", records.Result{ID: "a", Error: mib, ErrorKind: "http_500"}},
		{"expected", records.Result{ID: "a", Output: "x", Expected: mib}},
		{"model", records.Result{ID: "a", Output: "x", Model: mib}},
		{"unsupported claim", records.Result{ID: "a", Output: long, Groundedness: &records.Groundedness{
			Method: "lexical", Score: 1, Verdict: records.GroundedHallucinated, Unsupported: []string{"short", long}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteResults(&buf, []records.Result{{ID: "0", Output: "short"}, tt.r}, nil, nil, nil); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			footer := binary.LittleEndian.Uint32(b[len(b)-8:])
			if footer > 64<<10 {
				t.Errorf("footer is %d bytes, want at most 64 KiB", footer)
			}
			got, _, err := ReadResults(writeBytes(t, b))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[1].Output != tt.r.Output || got[1].Error != tt.r.Error || got[1].Expected != tt.r.Expected ||
				got[1].Model != tt.r.Model || got[1].Truncated != tt.r.Truncated || got[0].Truncated {
				t.Errorf("read back a different result (truncated %v, %v)", got[0].Truncated, got[1].Truncated)
			}
		})
	}
}
