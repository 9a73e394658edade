package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// sharedData returns the path of a file under the shared test data folder,
// which sits beside the repository (/work/shared/data when the repository
// is /work/main), and skips the test when the folder is absent.
func sharedData(t testing.TB, elem ...string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not found at %s (it sits beside the repository; see its README.md): %v", dir, err)
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

// cell produces the values of one leaf column of a hand-built row.
type cell func(col int) []parquet.Value

// str is a present value of a required string column.
func str(s string) cell {
	return func(col int) []parquet.Value {
		return []parquet.Value{parquet.ByteArrayValue([]byte(s)).Level(0, 0, col)}
	}
}

// opt is a present value of an optional string column at the top level.
func opt(s string) cell { return optAt(1, s) }

// optAt is a present byte-array value at definition level def.
func optAt(def int, s string) cell {
	return func(col int) []parquet.Value {
		return []parquet.Value{parquet.ByteArrayValue([]byte(s)).Level(0, def, col)}
	}
}

// nullAt is a null at definition level def: 0 for a null column, the list's
// level minus one for an empty list.
func nullAt(def int) cell {
	return func(col int) []parquet.Value { return []parquet.Value{parquet.NullValue().Level(0, def, col)} }
}

// null is a null optional top-level value.
func null() cell { return nullAt(0) }

// int64At is an INT64 value at definition level def.
func int64At(def int, n int64) cell {
	return func(col int) []parquet.Value { return []parquet.Value{parquet.Int64Value(n).Level(0, def, col)} }
}

// elems is a non-empty list whose present elements sit at definition level
// def; a nil *string element is a null element at level def-1.
func elems(def int, values ...*string) cell {
	return func(col int) []parquet.Value {
		var out []parquet.Value
		for i, v := range values {
			rep := 0
			if i > 0 {
				rep = 1
			}
			if v == nil {
				out = append(out, parquet.NullValue().Level(rep, def-1, col))
				continue
			}
			out = append(out, parquet.ByteArrayValue([]byte(*v)).Level(rep, def, col))
		}
		return out
	}
}

// list is elems without null elements.
func list(def int, values ...string) cell {
	ptrs := make([]*string, len(values))
	for i := range values {
		ptrs[i] = &values[i]
	}
	return elems(def, ptrs...)
}

// sp returns a pointer to s.
func sp(s string) *string { return &s }

// row assembles cells, one per leaf column in order.
func row(cells ...cell) parquet.Row {
	var r parquet.Row
	for i, c := range cells {
		r = append(r, c(i)...)
	}
	return r
}

// named names a node.
func named(name string, n parquet.Node) parquet.Field { return namedNode{n, name} }

// listGroup is a group with the LIST annotation and children of any name,
// to build the list shapes that Spark and older writers use.
type listGroup struct{ parquet.Group }

func (listGroup) Type() parquet.Type { return parquet.List(parquet.String()).Type() }

// writeTestFile writes rows with the given top-level fields to a new file
// in a temporary directory and returns its path.
func writeTestFile(t testing.TB, name string, fields []parquet.Field, rows []parquet.Row, opts ...parquet.WriterOption) string {
	t.Helper()
	var buf bytes.Buffer
	schema := parquet.NewSchema("test", orderedGroup(fields))
	w := parquet.NewWriter(&buf, append([]parquet.WriterOption{schema}, opts...)...)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeItemsFile writes items with WriteItems to a new temporary file.
func writeItemsFile(t testing.TB, name string, items []records.Item, extra []string, meta map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteItems(&buf, items, extra, meta); err != nil {
		t.Fatalf("WriteItems: %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll opens path and scans every item.
func readAll(t testing.TB, path string) ([]records.Item, Info, error) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		return nil, Info{}, err
	}
	defer r.Close()
	var items []records.Item
	for r.Scan() {
		items = append(items, r.Item())
	}
	return items, r.Info(), r.Err()
}

// wantRowError checks that err wraps a *RowError with the given row and
// column whose Err wraps sentinel.
func wantRowError(t testing.TB, err error, sentinel error, row int64, column string) {
	t.Helper()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RowError", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %q", err, sentinel)
	}
	if re.Row != row || re.Column != column {
		t.Errorf("error %q at row %d, column %q; want row %d, column %q", err, re.Row, re.Column, row, column)
	}
}

// diffItems reports the first difference between two item lists.
func diffItems(t testing.TB, got, want []records.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d items, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("item %d:\n got %#v\nwant %#v", i, got[i], want[i])
			return
		}
	}
}

// contains reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// writeBytes writes data to a new temporary file and returns its path.
func writeBytes(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeManyItems streams n generated items to a new temporary file with
// the package's item writer, without holding them in memory.
func writeManyItems(t testing.TB, n int, gen func(i int) records.Item) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "many.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := newItemWriter(bw, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		it := gen(i)
		if err := w.write(int64(i), &it); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
