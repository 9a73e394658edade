package datasets

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// columnsRow is a file of every scalar kind ColumnReader decodes, and two
// it refuses.
type columnsRow struct {
	I32  int32    `parquet:"i32"`
	I64  *int64   `parquet:"i64,optional"`
	F32  float32  `parquet:"f32"`
	F64  *float64 `parquet:"f64,optional"`
	S    *string  `parquet:"s,optional"`
	Dict string   `parquet:"dict,dict"`
	List []string `parquet:"list,list"`
	U32  uint32   `parquet:"u32"`
}

func writeColumnsFile(t *testing.T, rows []columnsRow, perGroup int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "columns.parquet")
	if err := parquet.WriteFile(path, rows, parquet.MaxRowsPerRowGroup(perGroup)); err != nil {
		t.Fatal(err)
	}
	return path
}

// columnsRows makes n rows; every third has null i64, f64 and s.
func columnsRows(n int) []columnsRow {
	rows := make([]columnsRow, n)
	for i := range rows {
		r := columnsRow{I32: int32(i), F32: float32(i) / 2, Dict: []string{"a", "b", "c"}[i%3], List: []string{"x"}, U32: uint32(i)}
		if i%3 != 0 {
			i64, f64, s := int64(-i), float64(i)+0.25, strings.Repeat("é", i%5)
			r.I64, r.F64, r.S = &i64, &f64, &s
		}
		rows[i] = r
	}
	return rows
}

// readColumns reads the named columns whole, numbers and strings apart,
// checking that batches cover consecutive rows.
func readColumns(t *testing.T, path string, names ...string) (nums map[string][]float64, strs map[string][]string, nulls map[string]int) {
	t.Helper()
	r, err := OpenColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Select(names...); err != nil {
		t.Fatal(err)
	}
	nums, strs, nulls = map[string][]float64{}, map[string][]string{}, map[string]int{}
	next := map[string]int64{}
	for r.Scan() {
		b := r.Batch()
		name := names[b.Column]
		if b.Row != next[name] {
			t.Fatalf("column %s: batch starts at row %d, want %d", name, b.Row, next[name])
		}
		if got := len(b.Numbers) + len(b.Strings) + b.Nulls; got != b.Rows {
			t.Fatalf("column %s: %d values and nulls in a batch of %d rows", name, got, b.Rows)
		}
		next[name] += int64(b.Rows)
		nums[name] = append(nums[name], b.Numbers...)
		for _, s := range b.Strings {
			strs[name] = append(strs[name], string(s))
		}
		nulls[name] += b.Nulls
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if next[name] != r.Info().Rows {
			t.Errorf("column %s: read %d rows of %d", name, next[name], r.Info().Rows)
		}
	}
	return nums, strs, nulls
}

func TestColumnReaderKinds(t *testing.T) {
	const n = 2500 // three row groups, each longer than a batch
	rows := columnsRows(n)
	path := writeColumnsFile(t, rows, 1000)
	r, err := OpenColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]ValueKind{"i32": ValueNumber, "i64": ValueNumber, "f32": ValueNumber, "f64": ValueNumber, "s": ValueString, "dict": ValueString, "list": ValueOther, "u32": ValueOther}
	for name, want := range kinds {
		if got, ok := r.Kind(name); !ok || got != want {
			t.Errorf("Kind(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := r.Kind("absent"); ok {
		t.Error("Kind(absent) found a column")
	}
	r.Close()

	nums, strs, nulls := readColumns(t, path, "i32", "i64", "f32", "f64", "s", "dict")
	var want struct {
		i32, i64, f32, f64 []float64
		s, dict            []string
	}
	for _, row := range rows {
		want.i32 = append(want.i32, float64(row.I32))
		want.f32 = append(want.f32, float64(row.F32))
		want.dict = append(want.dict, row.Dict)
		if row.I64 != nil {
			want.i64 = append(want.i64, float64(*row.I64))
			want.f64 = append(want.f64, *row.F64)
			want.s = append(want.s, *row.S)
		}
	}
	tests := []struct {
		name  string
		got   any
		want  any
		nulls int
	}{
		{"i32", nums["i32"], want.i32, 0},
		{"i64", nums["i64"], want.i64, 834},
		{"f32", nums["f32"], want.f32, 0},
		{"f64", nums["f64"], want.f64, 834},
		{"s", strs["s"], want.s, 834},
		{"dict", strs["dict"], want.dict, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch got := tt.got.(type) {
			case []float64:
				if !slices.Equal(got, tt.want.([]float64)) {
					t.Errorf("values differ: got %d, want %d", len(got), len(tt.want.([]float64)))
				}
			case []string:
				if !slices.Equal(got, tt.want.([]string)) {
					t.Errorf("values differ: got %d, want %d", len(got), len(tt.want.([]string)))
				}
			}
			if nulls[tt.name] != tt.nulls {
				t.Errorf("%d nulls, want %d", nulls[tt.name], tt.nulls)
			}
		})
	}
}

func TestColumnReaderSelectErrors(t *testing.T) {
	path := writeColumnsFile(t, columnsRows(10), 1000)
	tests := []struct {
		name    string
		columns []string
		want    error
		column  string
	}{
		{"missing column", []string{"i32", "absent"}, ErrMissingColumn, "absent"},
		{"list column", []string{"list"}, ErrNotScalar, "list"},
		{"unsigned integer", []string{"u32"}, ErrNotScalar, "u32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenColumns(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			err = r.Select(tt.columns...)
			wantRowError(t, err, tt.want, -1, tt.column)
			if !strings.Contains(err.Error(), "columns.parquet") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("selected twice", func(t *testing.T) {
		r, err := OpenColumns(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Select("i32", "i32"); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("error %v, want one about a column selected twice", err)
		}
	})
}

func TestColumnReaderInvalidUTF8(t *testing.T) {
	rows := columnsRows(1500)
	bad := "ok\xffnot"
	rows[1234].S = &bad
	path := writeColumnsFile(t, rows, 1000)
	r, err := OpenColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Select("s"); err != nil {
		t.Fatal(err)
	}
	for r.Scan() {
	}
	wantRowError(t, r.Err(), ErrInvalidUTF8, 1234, "s")
}

func TestColumnReaderProdLogs(t *testing.T) {
	path := sharedData(t, "interop", "prod-logs-duckdb.parquet")
	nums, strs, nulls := readColumns(t, path, "latency_ms", "model_version", "input")
	// DuckDB wrote latency_ms = 120 + (i % 50) * 3 for i in range(100000).
	sum := 0.0
	for _, x := range nums["latency_ms"] {
		sum += x
	}
	if len(nums["latency_ms"]) != 100000 || sum != 19350000 {
		t.Errorf("latency_ms: %d values summing to %v, want 100000 summing to 19350000", len(nums["latency_ms"]), sum)
	}
	versions := map[string]int{}
	for _, v := range strs["model_version"] {
		versions[v]++
	}
	if versions["support-bot@2026-09-14"] != 60000 || versions["support-bot@2026-10-20"] != 40000 {
		t.Errorf("model versions %v", versions)
	}
	if got := strs["input"][12345]; got != "How do I reset my password, case 12345?" || nulls["input"] != 0 {
		t.Errorf("input row 12345 %q, %d nulls", got, nulls["input"])
	}
}

func TestColumnReaderCorruptFiles(t *testing.T) {
	tests := []struct {
		file string
		want error
	}{
		{"bad-truncated.parquet", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := OpenColumns(sharedData(t, "interop", tt.file))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %v, want %v naming the file", err, tt.want)
			}
		})
	}
}

// TestColumnReaderParquetTesting reads every number and string column of
// every file of Apache parquet-testing: each file is read or refused with
// an error naming it, never a panic or a hang.
func TestColumnReaderParquetTesting(t *testing.T) {
	root := sharedData(t, "parquet-testing")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						done <- errors.New("panic")
					}
				}()
				done <- readEveryScalar(path)
			}()
			select {
			case err := <-done:
				if err != nil && (err.Error() == "panic" || !strings.Contains(err.Error(), filepath.Base(path))) {
					t.Errorf("%v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no answer within 20 s")
			}
		})
	}
}

func readEveryScalar(path string) error {
	r, err := OpenColumns(path)
	if err != nil {
		return err
	}
	defer r.Close()
	var names []string
	for _, c := range r.Info().Columns {
		if k, _ := r.Kind(c.Name); k != ValueOther && !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	if err := r.Select(names...); err != nil {
		return err
	}
	for r.Scan() {
		for _, x := range r.Batch().Numbers {
			_ = math.IsNaN(x)
		}
	}
	return r.Err()
}

// columnSeeds are small valid files with every codec and both data page
// versions, for the mutation test and the fuzz target.
func columnSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range []compress.Codec{&parquet.Snappy, &parquet.Zstd, &parquet.Gzip, &parquet.Lz4Raw, &parquet.Brotli, &parquet.Uncompressed} {
		for _, v := range []int{1, 2} {
			var buf bytes.Buffer
			if err := parquet.Write(&buf, columnsRows(30), parquet.Compression(c), parquet.DataPageVersion(v), parquet.MaxRowsPerRowGroup(20)); err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, buf.Bytes())
		}
	}
	return seeds
}

// readBytes writes data to a file and reads every scalar column of it.
func readBytes(t testing.TB, dir string, data []byte) error {
	path := filepath.Join(dir, "mutant.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return readEveryScalar(path)
}

// TestColumnReaderMutants reads files corrupted in seeded random ways
// (see mutate): each must be read or refused, never a panic or a hang.
func TestColumnReaderMutants(t *testing.T) {
	seeds := columnSeeds(t)
	rng := rand.New(rand.NewSource(2))
	dir := t.TempDir()
	for i := range 1500 {
		data := mutate(rng, seeds[rng.Intn(len(seeds))])
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			_ = readBytes(t, dir, data)
		}()
		select {
		case p := <-done:
			if p != nil {
				t.Fatalf("mutant %d: panic: %v", i, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("mutant %d: no answer within 10 s", i)
		}
	}
}

func FuzzColumnReader(f *testing.F) {
	for _, s := range columnSeeds(f) {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan error, 1)
		go func() { done <- readBytes(t, dir, data) }()
		select {
		case err := <-done:
			if err != nil && !strings.Contains(err.Error(), "mutant.parquet") {
				t.Errorf("error %q does not name the file", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer within 10 s")
		}
	})
}
