package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// columnOptions are the settings of an ItemColumnReader under test.
type columnOptions struct {
	input, system, context, mustNotContain bool
	extra                                  []string
}

// projectedItems reads path with Reader's row assembly and item decoder,
// restricted to the columns an ItemColumnReader with opts reads: the
// reference the columnar reader is checked against.
func projectedItems(t *testing.T, path string, opts columnOptions) ([]records.Item, error) {
	t.Helper()
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	defer src.close()
	if probs := schemaProblems(path, src.fields); len(probs) > 0 {
		errs := make([]error, len(probs))
		for i, p := range probs {
			errs[i] = p
		}
		return nil, fmt.Errorf("read eval set: %w", errors.Join(errs...))
	}
	d := newItemDecoder(src, false)
	keep := d.uses[:0]
	d.extras = 0
	for _, u := range d.uses {
		switch u.role {
		case roleID, roleExpected, roleExpectedAny, roleTask:
		case roleInput:
			if !opts.input {
				continue
			}
		case roleSystem:
			if !opts.system {
				continue
			}
		case roleContext:
			if !opts.context {
				continue
			}
		case roleMustNotContain:
			if !opts.mustNotContain {
				continue
			}
		case roleExtra:
			if !slices.Contains(opts.extra, u.field.Name) {
				continue
			}
			d.extras++
		default:
			continue
		}
		keep = append(keep, u)
	}
	d.uses, d.leaves = keep, nil
	for i := range d.byLeaf {
		d.byLeaf[i] = -1
	}
	for i := range d.uses {
		d.uses[i].slot = i
		d.leaves = append(d.leaves, d.uses[i].field.leaf)
		d.byLeaf[d.uses[i].field.leaf] = i
	}
	d.spans = make([][]parquet.Value, len(d.uses))
	stream := newRowStream(src, d.leaves)
	defer stream.close()
	var items []records.Item
	var probs []*RowError
	for {
		row, idx, ok := stream.next()
		if !ok {
			break
		}
		var it records.Item
		if probs = d.decode(row, idx, &it, probs[:0]); len(probs) > 0 {
			return items, fmt.Errorf("read eval set: %w", probs[0])
		}
		items = append(items, it)
	}
	if stream.err != nil {
		return items, fmt.Errorf("read eval set: %w", stream.err)
	}
	return items, nil
}

// readItemColumns reads path with an ItemColumnReader set up with opts.
func readItemColumns(path string, opts columnOptions) ([]*ItemColumns, error) {
	r, err := OpenItemColumns(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.Input, r.System, r.Context, r.MustNotContain, r.Extra = opts.input, opts.system, opts.context, opts.mustNotContain, opts.extra
	var out []*ItemColumns
	for r.Next() {
		out = append(out, r.Columns())
	}
	return out, r.Err()
}

// checkItemColumns fails unless ItemColumnReader, reading pages as arrays
// and value by value, gives the items and error the projected Reader
// gives. It returns the number of items.
func checkItemColumns(t *testing.T, path string, opts columnOptions) int {
	t.Helper()
	want, wantErr := projectedItems(t, path, opts)
	defer func() { valueResults = false }()
	for _, values := range []bool{false, true} {
		valueResults = values
		batches, err := readItemColumns(path, opts)
		what := fmt.Sprintf("%s (values %v)", filepath.Base(path), values)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: error\n got %v\nwant %v", what, err, wantErr)
		}
		row := 0
		for _, b := range batches {
			if b.Row != int64(row) {
				t.Fatalf("%s: batch starts at row %d, want %d", what, b.Row, row)
			}
			for i := range b.Len() {
				if row >= len(want) {
					t.Fatalf("%s: more than the %d items the reader gives", what, len(want))
				}
				w := want[row]
				got := records.Item{Row: b.Row + int64(i), ID: b.ID[i], Expected: b.Expected[i], ExpectedAny: b.ExpectedAny[i], Task: b.Task[i]}
				if opts.input {
					got.Input = b.Input[i]
				}
				if opts.system {
					got.System = b.System[i]
				}
				if opts.context {
					got.Context = b.Context[i]
				}
				if opts.mustNotContain {
					got.MustNotContain = b.MustNotContain[i]
				}
				if len(opts.extra) > 0 {
					got.Extra = map[string]string{}
					for x, name := range opts.extra {
						if _, ok := w.Extra[name]; ok || b.Extra[x][i] != "" {
							got.Extra[name] = b.Extra[x][i]
						}
					}
					if w.Extra == nil {
						w.Extra = map[string]string{}
					}
				}
				if !reflect.DeepEqual(got, w) {
					t.Fatalf("%s: item %d:\n got %#v\nwant %#v", what, row, got, w)
				}
				row++
			}
		}
		if row != len(want) {
			t.Errorf("%s: %d items, want %d", what, row, len(want))
		}
	}
	return len(want)
}

// TestItemColumnsGenerated checks ItemColumnReader on sets written by
// WriteItems: several row groups, lists of every length (some spanning
// pages), nulls, empty lists, extra columns, with every option.
func TestItemColumnsGenerated(t *testing.T) {
	for _, n := range []int{0, 1, chunkRows + 3, writeRowGroupRows + 2*chunkRows + 11} {
		items := make([]records.Item, n)
		for i := range items {
			it := records.Item{ID: fmt.Sprintf("q-%06d", i), Input: fmt.Sprintf("question %d", i), System: []string{"", "be brief"}[i%2], Task: []string{"a", "", "b"}[i%3],
				Expected: []string{"", "30 days", fmt.Sprintf("answer %d", i)}[i%3],
				Extra:    map[string]string{"region": []string{"eu", "", "us"}[i%3]}}
			switch i % 4 {
			case 1:
				it.ExpectedAny = []string{}
			case 2:
				it.ExpectedAny = []string{"thirty days", fmt.Sprint(i)}
			case 3:
				it.ExpectedAny = []string{"three", "answers", strings.Repeat("x", i%50)}
				if i%501 == 3 { // a few long lists, which span pages
					it.ExpectedAny = slices.Repeat([]string{"long list " + strings.Repeat("x", i%50)}, 1+i%300)
				}
			}
			if i%5 != 0 {
				it.Context = []string{fmt.Sprintf("passage %d", i), "shared passage"}
			}
			if i%7 == 0 {
				it.MustNotContain = []string{"secret"}
			}
			items[i] = it
		}
		var buf bytes.Buffer
		if err := WriteItems(&buf, items, []string{"region"}, nil); err != nil {
			t.Fatal(err)
		}
		path := writeBytes(t, buf.Bytes())
		for _, opts := range []columnOptions{
			{},
			{context: true, mustNotContain: true, extra: []string{"region", "no-such-column"}},
			{input: true, system: true},
			{input: true, system: true, context: true, mustNotContain: true, extra: []string{"region"}},
		} {
			if got := checkItemColumns(t, path, opts); got != n {
				t.Errorf("%d items: read %d", n, got)
			}
		}
	}
}

// TestItemColumnsShapesAndErrors checks ItemColumnReader against Reader
// on the column shapes other tools write and on bad rows.
func TestItemColumnsShapesAndErrors(t *testing.T) {
	idInput := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("input", parquet.Optional(parquet.String()))}
	with := func(fields ...parquet.Field) []parquet.Field {
		return append(append([]parquet.Field{}, idInput...), fields...)
	}
	all := columnOptions{context: true, mustNotContain: true, extra: []string{"gender"}}
	var manyRows []parquet.Row
	for i := range 3*chunkRows + 5 {
		manyRows = append(manyRows, row(opt(fmt.Sprint(i)), opt("x"), list(3, "a", fmt.Sprint(i)), opt(fmt.Sprintf("e%d", i%4))))
	}
	badID := slices.Clone(manyRows)
	badID[chunkRows+9] = row(null(), opt("x"), list(3, "a"), opt("e"))
	badList := slices.Clone(manyRows)
	badList[2*chunkRows-1] = row(opt("z"), opt("x"), list(3, "ok", "\xff"), opt("e"))
	for _, tc := range []struct {
		name   string
		fields []parquet.Field
		rows   []parquet.Row
		opts   []parquet.WriterOption
	}{
		{"spark lists", with(named("context", sparkList), named("expected_any", sparkList)),
			[]parquet.Row{row(opt("a"), opt("x"), list(3, "p", "q"), nullAt(0)), row(opt("b"), opt("y"), nullAt(1), list(3, "z"))}, nil},
		{"two-level and bare lists", with(named("context", twoLevelList), named("must_not_contain", bareList)),
			[]parquet.Row{row(opt("a"), opt("x"), list(2, "p"), list(2, "q", "r"))}, nil},
		{"context as a string", with(named("context", parquet.Optional(parquet.String()))),
			[]parquet.Row{row(opt("a"), opt("x"), opt("passage")), row(opt("b"), opt("x"), null())}, nil},
		{"dictionary strings", with(named("expected", parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))),
			named("gender", parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)))),
			[]parquet.Row{row(opt("a"), opt("x"), opt("e"), opt("f")), row(opt("b"), opt("x"), opt("e"), null())}, nil},
		{"empty id", idInput, []parquet.Row{row(opt("a"), opt("x")), row(opt(""), opt("x"))}, nil},
		{"null input (not read)", idInput, []parquet.Row{row(opt("a"), null()), row(opt("b"), opt("x"))}, nil},
		{"invalid UTF-8 in a list element", with(named("context", arrowList)),
			[]parquet.Row{row(opt("a"), opt("x"), list(3, "fine", "bad\xc3"))}, nil},
		{"invalid UTF-8 in a group column", with(named("gender", parquet.Optional(parquet.String()))),
			[]parquet.Row{row(opt("a"), opt("x"), opt("ok")), row(opt("b"), opt("x"), opt("f\xffe"))}, nil},
		{"many rows, small pages", with(named("expected_any", arrowList), named("gender", parquet.Optional(parquet.String()))),
			manyRows, []parquet.WriterOption{parquet.PageBufferSize(300)}},
		{"null id after a few batches", with(named("expected_any", arrowList), named("gender", parquet.Optional(parquet.String()))),
			badID, []parquet.WriterOption{parquet.PageBufferSize(300)}},
		{"bad list element after a few batches", with(named("expected_any", arrowList), named("gender", parquet.Optional(parquet.String()))),
			badList, []parquet.WriterOption{parquet.PageBufferSize(300)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTestFile(t, "set.parquet", tc.fields, tc.rows, tc.opts...)
			checkItemColumns(t, path, columnOptions{})
			checkItemColumns(t, path, all)
		})
	}
}

// TestItemColumnsShared checks ItemColumnReader against Reader on every
// shared Parquet file: eval sets from DuckDB and pyarrow, the Apache
// parquet-testing files (most are not eval sets, and fail to open the
// same way), corrupt files.
func TestItemColumnsShared(t *testing.T) {
	dir := sharedData(t)
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		if st, err := os.Stat(path); err != nil || st.Size() > 64<<20 {
			return err
		}
		checkItemColumns(t, path, columnOptions{context: true, mustNotContain: true, extra: []string{"gender", "locale", "region"}})
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Skip("no shared Parquet files")
	}
}

// TestItemColumnsExtraWrongType checks that an extra column that is not
// a string is an error naming it.
func TestItemColumnsExtraWrongType(t *testing.T) {
	path := writeTestFile(t, "set.parquet", []parquet.Field{named("id", parquet.String()), named("input", parquet.String()), named("n", parquet.Int(64))},
		[]parquet.Row{row(str("a"), str("x"), int64At(0, 1))})
	_, err := readItemColumns(path, columnOptions{extra: []string{"n"}})
	wantRowError(t, err, ErrWrongType, -1, "n")
}

// TestItemColumnsCloseEarly closes a reader whose row groups are still
// being decoded.
func TestItemColumnsCloseEarly(t *testing.T) {
	items := make([]records.Item, 3*writeRowGroupRows)
	for i := range items {
		items[i] = records.Item{ID: fmt.Sprint(i), Input: "x", Expected: "y"}
	}
	var buf bytes.Buffer
	if err := WriteItems(&buf, items, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	for _, batches := range []int{0, 1, 5} {
		r, err := OpenItemColumns(path)
		if err != nil {
			t.Fatal(err)
		}
		for range batches {
			if !r.Next() {
				t.Fatalf("Next stopped: %v", r.Err())
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if r.Next() {
			t.Error("Next after Close returned true")
		}
	}
}

// TestItemColumnsHasExtra checks that HasExtra answers as Reader fills
// records.Item.Extra: string columns other than the fixed ones.
func TestItemColumnsHasExtra(t *testing.T) {
	var buf bytes.Buffer
	items := []records.Item{{ID: "a", Input: "q", Extra: map[string]string{"region": "eu"}}}
	if err := WriteItems(&buf, items, []string{"region"}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := OpenItemColumns(writeBytes(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tt := range []struct {
		name string
		want bool
	}{{"region", true}, {"input", false}, {"expected", false}, {"context", false}, {"no-such-column", false}} {
		if got := r.HasExtra(tt.name); got != tt.want {
			t.Errorf("HasExtra(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
