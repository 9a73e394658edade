package datasets

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// Column shapes that other tools write, built by hand.
var (
	// A BYTE_ARRAY without a STRING annotation, as some writers leave it.
	binaryNode = parquet.Leaf(parquet.ByteArrayType)
	// Spark: optional group (LIST) { repeated group list { optional binary item } }.
	sparkList = parquet.Optional(listGroup{parquet.Group{"list": parquet.Repeated(parquet.Group{"item": parquet.Optional(parquet.String())})}})
	// Legacy 2-level list inside a LIST group: { repeated binary array }.
	twoLevelList = parquet.Optional(listGroup{parquet.Group{"array": parquet.Repeated(parquet.String())}})
	// A group without the LIST annotation around a repeated field.
	bareList = parquet.Optional(parquet.Group{"bag": parquet.Repeated(parquet.Group{"value": parquet.String()})})
	// pyarrow / DuckDB: optional group (LIST) { repeated group list { optional binary element } }.
	arrowList = parquet.Optional(parquet.List(parquet.Optional(parquet.String())))
)

func TestReaderShapes(t *testing.T) {
	idInput := []parquet.Field{named("id", parquet.String()), named("input", parquet.String())}
	with := func(fields ...parquet.Field) []parquet.Field {
		return append(append([]parquet.Field{}, idInput...), fields...)
	}
	tests := []struct {
		name    string
		fields  []parquet.Field
		rows    []parquet.Row
		opts    []parquet.WriterOption
		want    []records.Item
		columns []Column // checked when set
	}{
		{
			name:   "unannotated binary strings",
			fields: []parquet.Field{named("id", binaryNode), named("input", binaryNode), named("grp", parquet.Optional(binaryNode))},
			rows:   []parquet.Row{row(str("a"), str("x"), opt("g1")), row(str("b"), str("y"), null())},
			want: []records.Item{
				{Row: 0, ID: "a", Input: "x", Extra: map[string]string{"grp": "g1"}},
				{Row: 1, ID: "b", Input: "y", Extra: map[string]string{"grp": ""}},
			},
			columns: []Column{{"id", "binary", false}, {"input", "binary", false}, {"grp", "binary", true}},
		},
		{
			name: "dictionary-encoded strings",
			fields: []parquet.Field{
				named("id", parquet.Encoded(parquet.String(), &parquet.RLEDictionary)),
				named("input", parquet.Encoded(parquet.String(), &parquet.RLEDictionary)),
				named("task", parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))),
			},
			rows: []parquet.Row{row(str("a"), str("same"), opt("t")), row(str("b"), str("same"), opt("t"))},
			want: []records.Item{{Row: 0, ID: "a", Input: "same", Task: "t"}, {Row: 1, ID: "b", Input: "same", Task: "t"}},
		},
		{
			name:   "Spark list.item with null, empty and null-element rows",
			fields: with(named("context", sparkList)),
			rows: []parquet.Row{
				row(str("a"), str("x"), list(3, "p1", "p2")),
				row(str("b"), str("x"), nullAt(0)),
				row(str("c"), str("x"), nullAt(1)),
				row(str("d"), str("x"), elems(3, sp("p1"), nil, sp("p3"))),
			},
			want: []records.Item{
				{Row: 0, ID: "a", Input: "x", Context: []string{"p1", "p2"}},
				{Row: 1, ID: "b", Input: "x"},
				{Row: 2, ID: "c", Input: "x", Context: []string{}},
				{Row: 3, ID: "d", Input: "x", Context: []string{"p1", "p3"}},
			},
			columns: []Column{{"id", "string", false}, {"input", "string", false}, {"context", "list<string>", true}},
		},
		{
			name:   "pyarrow list.element",
			fields: with(named("expected_any", arrowList), named("must_not_contain", arrowList)),
			rows:   []parquet.Row{row(str("a"), str("x"), list(3, "yes", "y"), nullAt(1))},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", ExpectedAny: []string{"yes", "y"}, MustNotContain: []string{}}},
		},
		{
			name:   "legacy 2-level list in a LIST group",
			fields: with(named("context", twoLevelList)),
			rows:   []parquet.Row{row(str("a"), str("x"), list(2, "p1", "p2")), row(str("b"), str("x"), nullAt(1)), row(str("c"), str("x"), nullAt(0))},
			want: []records.Item{
				{Row: 0, ID: "a", Input: "x", Context: []string{"p1", "p2"}},
				{Row: 1, ID: "b", Input: "x", Context: []string{}},
				{Row: 2, ID: "c", Input: "x"},
			},
		},
		{
			name:    "legacy top-level repeated field",
			fields:  with(named("context", parquet.Repeated(parquet.String()))),
			rows:    []parquet.Row{row(str("a"), str("x"), list(1, "p1", "p2")), row(str("b"), str("x"), nullAt(0))},
			want:    []records.Item{{Row: 0, ID: "a", Input: "x", Context: []string{"p1", "p2"}}, {Row: 1, ID: "b", Input: "x", Context: []string{}}},
			columns: []Column{{"id", "string", false}, {"input", "string", false}, {"context", "list<string>", false}},
		},
		{
			name:   "list group without the LIST annotation",
			fields: with(named("context", bareList)),
			rows:   []parquet.Row{row(str("a"), str("x"), list(2, "p1"))},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", Context: []string{"p1"}}},
		},
		{
			name:   "context as a plain string",
			fields: with(named("context", parquet.Optional(parquet.String()))),
			rows:   []parquet.Row{row(str("a"), str("x"), opt("only passage")), row(str("b"), str("x"), null())},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", Context: []string{"only passage"}}, {Row: 1, ID: "b", Input: "x"}},
		},
		{
			name: "latency_ms read, other columns ignored but described",
			fields: with(
				named("latency_ms", parquet.Optional(parquet.Int(64))),
				named("when", parquet.Timestamp(parquet.Millisecond)),
				named("ok", parquet.Leaf(parquet.BooleanType)),
				named("spans", arrowList),
				named("meta", parquet.Group{"k": parquet.String()}),
			),
			rows: []parquet.Row{row(str("a"), str("x"), int64At(1, 12), int64At(0, 0),
				func(col int) []parquet.Value { return []parquet.Value{parquet.BooleanValue(true).Level(0, 0, col)} },
				list(3, "s"), str("v"))},
			want: []records.Item{{Row: 0, ID: "a", Input: "x", LatencyMS: 12}},
			columns: []Column{{"id", "string", false}, {"input", "string", false}, {"latency_ms", "int64", true},
				{"when", "timestamp(ms, utc)", false}, {"ok", "bool", false}, {"spans", "list<string>", true},
				{"meta", "struct<k: string>", false}},
		},
		{
			name:   "latency_ms as a double, null read as 0",
			fields: with(named("latency_ms", parquet.Optional(parquet.Leaf(parquet.DoubleType)))),
			rows: []parquet.Row{row(str("a"), str("x"), func(col int) []parquet.Value { return []parquet.Value{parquet.DoubleValue(87.5).Level(0, 1, col)} }),
				row(str("b"), str("x"), null())},
			want: []records.Item{{Row: 0, ID: "a", Input: "x", LatencyMS: 87.5}, {Row: 1, ID: "b", Input: "x"}},
		},
		{
			name:   "latency_ms of strings is an ordinary column",
			fields: with(named("latency_ms", parquet.String())),
			rows:   []parquet.Row{row(str("a"), str("x"), str("12"))},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", Extra: map[string]string{"latency_ms": "12"}}},
		},
		{
			name:   "data page v2",
			fields: with(named("context", arrowList)),
			rows:   []parquet.Row{row(str("a"), str("x"), list(3, "p"))},
			opts:   []parquet.WriterOption{parquet.DataPageVersion(2)},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", Context: []string{"p"}}},
		},
		{
			name:   "several row groups",
			fields: idInput,
			rows:   []parquet.Row{row(str("a"), str("x")), row(str("b"), str("y")), row(str("c"), str("z"))},
			opts:   []parquet.WriterOption{parquet.MaxRowsPerRowGroup(1)},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x"}, {Row: 1, ID: "b", Input: "y"}, {Row: 2, ID: "c", Input: "z"}},
		},
	}
	codecs := []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Brotli, &parquet.Zstd, &parquet.Lz4Raw}
	for _, c := range codecs {
		tests = append(tests, struct {
			name    string
			fields  []parquet.Field
			rows    []parquet.Row
			opts    []parquet.WriterOption
			want    []records.Item
			columns []Column
		}{
			name:   "compression " + c.String(),
			fields: with(named("context", arrowList), named("grp", parquet.Optional(parquet.String()))),
			rows:   []parquet.Row{row(str("a"), str("x"), list(3, "p"), opt("g"))},
			opts:   []parquet.WriterOption{parquet.Compression(c)},
			want:   []records.Item{{Row: 0, ID: "a", Input: "x", Context: []string{"p"}, Extra: map[string]string{"grp": "g"}}},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestFile(t, "shape.parquet", tt.fields, tt.rows, tt.opts...)
			got, info, err := readAll(t, path)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			diffItems(t, got, tt.want)
			if tt.columns != nil && !reflect.DeepEqual(info.Columns, tt.columns) {
				t.Errorf("columns:\n got %v\nwant %v", info.Columns, tt.columns)
			}
			if info.Rows != int64(len(tt.want)) {
				t.Errorf("Info.Rows = %d, want %d", info.Rows, len(tt.want))
			}
			probs, err := Validate(path)
			if err != nil || len(probs) != 0 {
				t.Errorf("Validate: %v, %v; want no problems", probs, err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	idInput := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("input", parquet.Optional(parquet.String()))}
	with := func(fields ...parquet.Field) []parquet.Field {
		return append(append([]parquet.Field{}, idInput...), fields...)
	}
	tests := []struct {
		name     string
		fields   []parquet.Field
		rows     []parquet.Row
		openErr  bool // the error comes from Open, not Scan
		sentinel error
		row      int64
		column   string
		message  string
	}{
		{
			name:   "context of the wrong type",
			fields: with(named("context", parquet.Optional(parquet.Int(64)))),
			rows:   []parquet.Row{row(opt("a"), opt("x"), int64At(1, 1))}, openErr: true,
			sentinel: ErrWrongType, row: -1, column: "context",
			message: `column "context": wrong type: want string or list<string>, found int64`,
		},
		{
			name:   "expected_any as a plain string",
			fields: with(named("expected_any", parquet.Optional(parquet.String()))),
			rows:   []parquet.Row{row(opt("a"), opt("x"), opt("y"))}, openErr: true,
			sentinel: ErrWrongType, row: -1, column: "expected_any",
			message: `column "expected_any": wrong type: want list<string>, found string`,
		},
		{
			name:   "list of integers",
			fields: with(named("must_not_contain", parquet.Optional(parquet.List(parquet.Int(32))))),
			rows:   []parquet.Row{row(opt("a"), opt("x"), nullAt(0))}, openErr: true,
			sentinel: ErrWrongType, row: -1, column: "must_not_contain",
			message: `column "must_not_contain": wrong type: want list<string>, found list<int32>`,
		},
		{
			name:     "missing id",
			fields:   []parquet.Field{named("input", parquet.String())},
			rows:     []parquet.Row{row(str("x"))},
			openErr:  true,
			sentinel: ErrMissingColumn, row: -1, column: "id",
			message: `column "id": missing required column`,
		},
		{
			name:     "empty id",
			fields:   idInput,
			rows:     []parquet.Row{row(opt("a"), opt("x")), row(opt(""), opt("x"))},
			sentinel: ErrEmptyID, row: 1, column: "id",
			message: `row 1 (0-based), column "id": empty id`,
		},
		{
			name:     "null input",
			fields:   idInput,
			rows:     []parquet.Row{row(opt("a"), null())},
			sentinel: ErrNullInput, row: 0, column: "input",
			message: `row 0 (0-based), column "input": null input`,
		},
		{
			name:     "invalid UTF-8 in a group column",
			fields:   with(named("gender", parquet.Optional(parquet.String()))),
			rows:     []parquet.Row{row(opt("a"), opt("x"), opt("ok")), row(opt("b"), opt("x"), opt("f\xffe"))},
			sentinel: ErrInvalidUTF8, row: 1, column: "gender",
			message: `row 1 (0-based), column "gender": invalid UTF-8 at byte 1 of a 3-byte value`,
		},
		{
			name:     "invalid UTF-8 in a list element",
			fields:   with(named("context", arrowList)),
			rows:     []parquet.Row{row(opt("a"), opt("x"), list(3, "fine", "bad\xc3"))},
			sentinel: ErrInvalidUTF8, row: 0, column: "context",
			message: `row 0 (0-based), column "context": element 1: invalid UTF-8 at byte 3 of a 4-byte value`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestFile(t, "bad.parquet", tt.fields, tt.rows)
			r, err := Open(path)
			if tt.openErr {
				if err == nil {
					r.Close()
					t.Fatal("Open succeeded, want an error")
				}
			} else {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				for r.Scan() {
				}
				err = r.Err()
				r.Close()
			}
			wantRowError(t, err, tt.sentinel, tt.row, tt.column)
			if want := "read eval set: " + path + ": " + tt.message; err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
		})
	}
}

func TestReaderLifecycle(t *testing.T) {
	path := writeItemsFile(t, "items.parquet", []records.Item{{ID: "a", Input: "x"}}, nil, nil)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Scan() || r.Item().ID != "a" {
		t.Fatalf("first Scan: got %v, item %+v", r.Err(), r.Item())
	}
	if r.Scan() {
		t.Fatal("second Scan returned true for a one-row file")
	}
	if r.Scan() {
		t.Fatal("Scan after the end returned true")
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err at the end = %v, want nil", err)
	}
	for i := range 2 {
		if err := r.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if r.Scan() {
		t.Fatal("Scan after Close returned true")
	}

	_, err = Open(path + ".missing")
	if err == nil || !strings.Contains(err.Error(), "items.parquet.missing") {
		t.Errorf("Open of a missing file: got %v, want an error naming it", err)
	}
}

func TestRowErrorFormat(t *testing.T) {
	tests := []struct {
		err  *RowError
		want string
	}{
		{&RowError{File: "f.parquet", Row: 42, Column: "id", Err: ErrNullID}, `f.parquet: row 42 (0-based), column "id": null id`},
		{&RowError{File: "f.parquet", Row: -1, Column: "input", Err: ErrMissingColumn}, `f.parquet: column "input": missing required column`},
		{&RowError{File: "f.parquet", Row: 7, Err: ErrCorrupt}, `f.parquet: row 7 (0-based): corrupt Parquet file`},
		{&RowError{File: "f.parquet", Row: -1, Err: ErrCorrupt}, `f.parquet: corrupt Parquet file`},
		{&RowError{Row: 3, Column: "x", Err: ErrInvalidUTF8}, `row 3 (0-based), column "x": invalid UTF-8`},
		{&RowError{Row: -1, Err: errors.New("plain")}, `plain`},
		{&RowError{File: "f", Row: -1}, `f: unknown error`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.err.Err != nil && !errors.Is(tt.err, tt.err.Err) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.err.Err)
			}
			wrapped := fmt.Errorf("read eval set: %w", tt.err)
			var re *RowError
			if !errors.As(wrapped, &re) || re != tt.err {
				t.Errorf("errors.As through a wrap failed")
			}
		})
	}
}
