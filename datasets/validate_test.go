package datasets

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// problem is an expected Validate finding.
type problem struct {
	sentinel error
	row      int64
	column   string
	text     string // a substring of the message
}

func checkProblems(t *testing.T, got []error, want []problem) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:", len(got), len(want))
		for _, p := range got {
			t.Logf("  %v", p)
		}
	}
	for i := range min(len(got), len(want)) {
		var re *RowError
		if !errors.As(got[i], &re) {
			t.Errorf("problem %d: %v (%T) is not a *RowError", i, got[i], got[i])
			continue
		}
		w := want[i]
		if (w.sentinel != nil && !errors.Is(re, w.sentinel)) || re.Row != w.row || re.Column != w.column || !strings.Contains(re.Error(), w.text) {
			t.Errorf("problem %d:\n got %q (row %d, column %q)\nwant %v at row %d, column %q, containing %q",
				i, re, re.Row, re.Column, w.sentinel, w.row, w.column, w.text)
		}
	}
}

// manyProblemsFile has one problem of every kind Validate finds.
func manyProblemsFile(t *testing.T) string {
	fields := []parquet.Field{
		named("id", parquet.Optional(parquet.String())),
		named("input", parquet.Optional(parquet.String())),
		named("expected", parquet.Optional(parquet.Int(64))),
		named("gender", parquet.Optional(parquet.String())),
		named("spans", arrowList),
	}
	rows := []parquet.Row{
		row(opt("a"), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
		row(null(), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
		row(opt(""), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
		row(opt("b"), null(), int64At(1, 1), opt("f"), nullAt(0)),
		row(opt("c"), opt("\xff"), int64At(1, 1), opt("m\xfe"), list(3, "ok", "\xc0")),
		row(opt("a"), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
		row(opt("b"), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
		row(opt("a"), opt("x"), int64At(1, 1), opt("f"), nullAt(0)),
	}
	return writeTestFile(t, "many.parquet", fields, rows)
}

var manyProblems = []problem{
	{ErrWrongType, -1, "expected", `column "expected": wrong type: want string, found int64`},
	{ErrNullID, 1, "id", "row 1 (0-based)"},
	{ErrEmptyID, 2, "id", "row 2 (0-based)"},
	{ErrNullInput, 3, "input", "row 3 (0-based)"},
	{ErrInvalidUTF8, 4, "input", "at byte 0 of a 1-byte value"},
	{ErrInvalidUTF8, 4, "gender", "at byte 1 of a 2-byte value"},
	{ErrInvalidUTF8, 4, "spans", "element 1: invalid UTF-8"},
	{ErrDuplicateID, 5, "id", `duplicate id "a" first seen at row 0`},
	{ErrDuplicateID, 6, "id", `duplicate id "b" first seen at row 3`},
	{ErrDuplicateID, 7, "id", `duplicate id "a" first seen at row 0`},
}

func TestValidate(t *testing.T) {
	path := manyProblemsFile(t)
	seed := maphash.MakeSeed()
	hashes := []struct {
		name string
		hash func(string) uint64
	}{
		{"maphash", func(s string) uint64 { return maphash.String(seed, s) }},
		// Every id collides: the exact second pass must still report only
		// true duplicates.
		{"constant hash", func(string) uint64 { return 7 }},
		{"length hash", func(s string) uint64 { return uint64(len(s)) }},
	}
	for _, h := range hashes {
		t.Run(h.name, func(t *testing.T) {
			probs, err := validate(path, h.hash)
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, probs, manyProblems)
		})
	}
}

func TestValidateCases(t *testing.T) {
	idInput := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("input", parquet.Optional(parquet.String()))}
	tests := []struct {
		name   string
		fields []parquet.Field
		rows   func() []parquet.Row
		want   []problem
	}{
		{
			name:   "clean",
			fields: idInput,
			rows:   func() []parquet.Row { return []parquet.Row{row(opt("a"), opt("x")), row(opt("b"), opt("x"))} },
		},
		{
			name:   "no id and no input",
			fields: []parquet.Field{named("task", parquet.Optional(parquet.String()))},
			rows:   func() []parquet.Row { return []parquet.Row{row(opt("bad\xff"))} },
			want: []problem{
				{ErrMissingColumn, -1, "id", `column "id": missing required column`},
				{ErrMissingColumn, -1, "input", `column "input": missing required column`},
				{ErrInvalidUTF8, 0, "task", "invalid UTF-8"},
			},
		},
		{
			name:   "more problems than listed",
			fields: idInput,
			rows: func() []parquet.Row {
				var rows []parquet.Row
				for range MaxProblems + 50 {
					rows = append(rows, row(opt(""), opt("x")))
				}
				return rows
			},
			want: func() []problem {
				var want []problem
				for i := range MaxProblems {
					want = append(want, problem{ErrEmptyID, int64(i), "id", "empty id"})
				}
				return append(want, problem{nil, -1, "", "and 50 more problems"})
			}(),
		},
		{
			name:   "more duplicates than listed",
			fields: idInput,
			rows: func() []parquet.Row {
				var rows []parquet.Row
				for range 2*MaxProblems + 50 {
					rows = append(rows, row(opt("same"), opt("x")))
				}
				return rows
			},
			want: func() []problem {
				var want []problem
				for i := range MaxProblems {
					want = append(want, problem{ErrDuplicateID, int64(i + 1), "id", `duplicate id "same" first seen at row 0`})
				}
				return append(want, problem{nil, -1, "", fmt.Sprintf("and %d more problems", MaxProblems+49)})
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestFile(t, "v.parquet", tt.fields, tt.rows())
			probs, err := Validate(path)
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, probs, tt.want)
			for _, p := range probs {
				if !strings.HasPrefix(p.Error(), path+": ") {
					t.Errorf("problem %q does not start with the file name", p)
				}
			}
		})
	}
}

func TestValidateUnreadable(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		sentinel error
		text     string
	}{
		{"empty", "", ErrCorrupt, "file is 0 bytes, too short for Parquet (truncated?)"},
		{"not parquet", "\x00\x01binary, not Parquet at all", ErrCorrupt, "no Parquet magic at the start"},
		{"csv", "question,answer\nWhat is 2+2?,4\n", ErrNotParquet, "not a Parquet file: this looks like CSV; convert it with `evalgate dataset import"},
		{"tsv", "question\tanswer\nWhat is 2+2?\t4\n", ErrNotParquet, "this looks like TSV"},
		{"jsonl", "{\"question\": \"What is 2+2?\"}\n", ErrNotParquet, "this looks like JSONL"},
		{"truncated", "PAR1 and then the file stops", ErrCorrupt, "no Parquet magic at the end of the file (truncated?)"},
		{"encrypted footer", "PARE................PARE", ErrUnsupported, "the footer is encrypted"},
		{"huge footer length", "PAR1\x00\x00\x00\x00\xff\xff\xff\x7fPAR1", ErrCorrupt, "footer length 2147483647 exceeds the 16-byte file"},
		{"garbage footer", "PAR1\x01\x02\x03\x04\x05\x06\x04\x00\x00\x00PAR1", ErrCorrupt, "corrupt Parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeBytes(t, []byte(tt.data))
			probs, err := Validate(path)
			if err == nil {
				t.Fatalf("Validate: got problems %v and no error", probs)
			}
			wantRowError(t, err, tt.sentinel, -1, "")
			if !containsAll(err.Error(), "read eval set: ", path, tt.text) {
				t.Errorf("error %q, want it to name the file and contain %q", err, tt.text)
			}
		})
	}
}
