package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// The expectations below are derived from the recipe that made the files,
// ../../shared/data/interop/make-interop.sql, not from another Parquet
// reader: neither pyarrow nor duckdb is installed here and PyPI is not
// reachable. DuckDB 1.5.6 wrote every column OPTIONAL, strings as
// BYTE_ARRAY with only the legacy UTF8 converted type, and lists as
// <name>.list.element with only the legacy LIST converted type.

// wantQA is row i of the base table of make-interop.sql.
func wantQA(i int) records.Item {
	days := 14 + (i%3)*7
	mnc := []string{}
	if i%97 == 0 {
		mnc = []string{"medication dose"}
	}
	return records.Item{
		Row:   int64(i),
		ID:    fmt.Sprintf("q-%05d", i),
		Input: fmt.Sprintf("What is the refund window for order %d?", i),
		Context: []string{
			fmt.Sprintf("Orders can be refunded within %d days of delivery.", days),
			fmt.Sprintf("Shipping to region %d takes %d business days.", i%8, 2+i%5),
		},
		Expected:       fmt.Sprintf("%d days", days),
		ExpectedAny:    []string{fmt.Sprintf("%d days", days), fmt.Sprint(days)},
		Task:           []string{"billing", "shipping", "returns"}[i%3],
		MustNotContain: mnc,
		Extra: map[string]string{
			"gender":   []string{"female", "male"}[i%2],
			"age_band": []string{"18-29", "30-44", "45-64", "65+"}[i%4],
		},
	}
}

// wantNullsStringContext is row i of qa-duckdb-nulls-stringcontext.parquet:
// context is the first passage as a plain string, null when the id ends in
// 3; expected is null when the id ends in 7.
func wantNullsStringContext(i int) records.Item {
	base := wantQA(i)
	it := records.Item{Row: base.Row, ID: base.ID, Input: base.Input, Task: base.Task,
		Context: base.Context[:1], Expected: base.Expected,
		Extra: map[string]string{"gender": base.Extra["gender"]}}
	if i%10 == 3 {
		it.Context = nil
	}
	if i%10 == 7 {
		it.Expected = ""
	}
	return it
}

// wantProdLog is row i of prod-logs-duckdb.parquet.
func wantProdLog(i int) records.Item {
	it := records.Item{
		Row:          int64(i),
		ID:           fmt.Sprintf("req-%d", i),
		Input:        fmt.Sprintf("How do I reset my password, case %d?", i),
		Context:      []string{"To reset a password open Settings, then Security, then Reset."},
		Output:       "Open Settings, then Security, then Reset.",
		ModelVersion: "support-bot@2026-09-14",
		LatencyMS:    float64(120 + (i%50)*3),
		Extra: map[string]string{
			"gender": []string{"female", "male"}[i%2],
			"locale": []string{"en", "es", "de", "fr"}[i%4],
		},
	}
	if i%10 == 0 {
		it.Output = "Call us at 555-0100 and we will reset it within 24 hours."
	}
	if i >= 60000 {
		it.ModelVersion = "support-bot@2026-10-20"
	}
	return it
}

func TestInteropDuckDB(t *testing.T) {
	qaColumns := []Column{
		{"id", "string", true}, {"input", "string", true}, {"context", "list<string>", true},
		{"expected", "string", true}, {"expected_any", "list<string>", true}, {"task", "string", true},
		{"gender", "string", true}, {"age_band", "string", true}, {"must_not_contain", "list<string>", true},
	}
	tests := []struct {
		file      string
		rows      int
		rowGroups int
		columns   []Column
		want      func(int) records.Item
	}{
		// The recipe asks for 1,000-row row groups; DuckDB rounds them up
		// to its 2,048-row vectors: 2048 + 2048 + 904.
		{"qa-duckdb-snappy.parquet", 5000, 3, qaColumns, wantQA},
		{"qa-duckdb-zstd.parquet", 5000, 1, qaColumns, wantQA},
		{"qa-duckdb-gzip.parquet", 5000, 1, qaColumns, wantQA},
		{"qa-duckdb-uncompressed.parquet", 5000, 1, qaColumns, wantQA},
		{"qa-duckdb-nulls-stringcontext.parquet", 500, 1, []Column{
			{"id", "string", true}, {"input", "string", true}, {"context", "string", true},
			{"expected", "string", true}, {"task", "string", true}, {"gender", "string", true},
		}, wantNullsStringContext},
		{"prod-logs-duckdb.parquet", 100000, 1, []Column{
			{"id", "string", true}, {"timestamp", "timestamp(us)", true}, {"input", "string", true},
			{"context", "list<string>", true}, {"output", "string", true}, {"model_version", "string", true},
			{"gender", "string", true}, {"locale", "string", true}, {"latency_ms", "double", true},
		}, wantProdLog},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := sharedData(t, "interop", tt.file)
			items, info, err := readAll(t, path)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if info.Rows != int64(tt.rows) || len(items) != tt.rows {
				t.Errorf("got %d rows (Info.Rows %d), want %d", len(items), info.Rows, tt.rows)
			}
			if info.RowGroups != tt.rowGroups {
				t.Errorf("got %d row groups, want %d", info.RowGroups, tt.rowGroups)
			}
			if !reflect.DeepEqual(info.Columns, tt.columns) {
				t.Errorf("columns:\n got %v\nwant %v", info.Columns, tt.columns)
			}
			if info.Name != "" || info.Version != "" || len(info.Metadata) != 0 {
				t.Errorf("got name %q, version %q, metadata %v; DuckDB wrote none", info.Name, info.Version, info.Metadata)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got, want := info.SHA256, hex.EncodeToString(sum[:]); got != want {
				t.Errorf("SHA256 = %s, want %s", got, want)
			}
			if info.Size != int64(len(data)) {
				t.Errorf("Size = %d, want %d", info.Size, len(data))
			}
			want := make([]records.Item, tt.rows)
			for i := range want {
				want[i] = tt.want(i)
			}
			diffItems(t, items, want)
		})
	}
}

// TestInteropSpotRows pins a few rows by value, as a reader would check
// them by hand, in case wantQA and the reader share a mistake.
func TestInteropSpotRows(t *testing.T) {
	path := sharedData(t, "interop", "qa-duckdb-snappy.parquet")
	items, _, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	first, last := items[0], items[len(items)-1]
	tests := []struct {
		name      string
		got, want any
	}{
		{"row 0 id", first.ID, "q-00000"},
		{"row 0 input", first.Input, "What is the refund window for order 0?"},
		{"row 0 context", first.Context, []string{"Orders can be refunded within 14 days of delivery.", "Shipping to region 0 takes 2 business days."}},
		{"row 0 expected", first.Expected, "14 days"},
		{"row 0 expected_any", first.ExpectedAny, []string{"14 days", "14"}},
		{"row 0 must_not_contain", first.MustNotContain, []string{"medication dose"}},
		{"row 0 groups", first.Extra, map[string]string{"gender": "female", "age_band": "18-29"}},
		{"row 4999 id", last.ID, "q-04999"},
		{"row 4999 input", last.Input, "What is the refund window for order 4999?"},
		{"row 4999 context", last.Context, []string{"Orders can be refunded within 21 days of delivery.", "Shipping to region 7 takes 6 business days."}},
		{"row 4999 expected", last.Expected, "21 days"},
		{"row 4999 task", last.Task, "shipping"},
		{"row 4999 must_not_contain", last.MustNotContain, []string{}},
		{"row 4999 groups", last.Extra, map[string]string{"gender": "male", "age_band": "65+"}},
		{"row 4947 must_not_contain", items[4947].MustNotContain, []string{"medication dose"}}, // 4947 = 51 × 97
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// TestInteropCompressionsAgree checks that the four compressions of the
// same table give identical items.
func TestInteropCompressionsAgree(t *testing.T) {
	var base []records.Item
	for _, c := range []string{"uncompressed", "snappy", "zstd", "gzip"} {
		items, _, err := readAll(t, sharedData(t, "interop", "qa-duckdb-"+c+".parquet"))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if base == nil {
			base = items
			continue
		}
		if !reflect.DeepEqual(items, base) {
			t.Errorf("%s: items differ from the uncompressed file's", c)
		}
	}
}

func TestInteropBadFiles(t *testing.T) {
	tests := []struct {
		file string
		// openErr is the sentinel Open fails with, nil when it succeeds.
		openErr error
		// scanErr is the sentinel Scan stops with, after scanRows rows.
		scanErr  error
		scanRows int
		// problem is what Validate lists (a single problem each); fatal
		// means Validate cannot read the file at all.
		fatal   bool
		problem error
		row     int64
		column  string
		message string
	}{
		{
			// The recipe unions the first 100 rows with the first row
			// again, so row 100 repeats row 0.
			file: "bad-duplicate-id.parquet", scanRows: 101,
			problem: ErrDuplicateID, row: 100, column: "id",
			message: `bad-duplicate-id.parquet: row 100 (0-based), column "id": duplicate id "q-00000" first seen at row 0`,
		},
		{
			file: "bad-missing-input.parquet", openErr: ErrMissingColumn,
			problem: ErrMissingColumn, row: -1, column: "input",
			message: `bad-missing-input.parquet: column "input": missing required column`,
		},
		{
			// The README's "row 43" counts from 1: id q-00042 is row 42
			// counted from 0, as every message here counts.
			file: "bad-null-id.parquet", scanErr: ErrNullID, scanRows: 42,
			problem: ErrNullID, row: 42, column: "id",
			message: `bad-null-id.parquet: row 42 (0-based), column "id": null id`,
		},
		{
			file: "bad-input-is-integer.parquet", openErr: ErrWrongType,
			problem: ErrWrongType, row: -1, column: "input",
			message: `bad-input-is-integer.parquet: column "input": wrong type: want string, found int64`,
		},
		{
			file: "bad-truncated.parquet", openErr: ErrCorrupt, fatal: true,
			problem: ErrCorrupt, row: -1,
			message: `bad-truncated.parquet: corrupt Parquet file: no Parquet magic at the end of the file (truncated?)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := sharedData(t, "interop", tt.file)

			items, _, err := readAll(t, path)
			switch {
			case tt.openErr != nil:
				if err == nil || !errors.Is(err, tt.openErr) {
					t.Errorf("Open: got error %v, want %v", err, tt.openErr)
				}
			case tt.scanErr != nil:
				wantRowError(t, err, tt.scanErr, tt.row, tt.column)
			case err != nil:
				t.Errorf("read: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.openErr == nil && len(items) != tt.scanRows {
				t.Errorf("scanned %d rows, want %d", len(items), tt.scanRows)
			}

			probs, err := Validate(path)
			if tt.fatal {
				if err == nil {
					t.Fatalf("Validate: got problems %v and no error, want a fatal error", probs)
				}
				wantRowError(t, err, tt.problem, tt.row, tt.column)
				if !strings.HasSuffix(err.Error(), tt.message) {
					t.Errorf("Validate error %q, want it to end with %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(probs) != 1 {
				t.Fatalf("Validate: got %d problems %v, want 1", len(probs), probs)
			}
			wantRowError(t, probs[0], tt.problem, tt.row, tt.column)
			if got, want := probs[0].Error(), filepath.Dir(path)+string(filepath.Separator)+tt.message; got != want {
				t.Errorf("Validate problem\n got %q\nwant %q", got, want)
			}
		})
	}
}
