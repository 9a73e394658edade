package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// scanItems reads every item of r and closes it.
func scanItems(r *Reader) ([]records.Item, error) {
	defer r.Close()
	var items []records.Item
	for r.Scan() {
		items = append(items, r.Item())
	}
	return items, r.Err()
}

// drainColumns reads every batch of r, with context and input, and
// closes it.
func drainColumns(r *ItemColumnReader) ([]*ItemColumns, error) {
	defer r.Close()
	r.Input, r.Context = true, true
	var out []*ItemColumns
	for r.Next() {
		out = append(out, r.Columns())
	}
	return out, r.Err()
}

// setItem is the i-th item of the generated test sets.
func setItem(i int) records.Item {
	return records.Item{
		ID: fmt.Sprintf("q-%05d", i), Input: fmt.Sprintf("question %d", i),
		Expected: fmt.Sprint(i % 7), Context: []string{"ctx", fmt.Sprint(i)},
	}
}

// TestSetAgreesWithPathFunctions checks that what a Set hands out reads
// exactly what Validate, Open and OpenItemColumns read from the path:
// the same Info, problems, items, batches and errors.
func TestSetAgreesWithPathFunctions(t *testing.T) {
	idInput := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("input", parquet.Optional(parquet.String()))}
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"generated", func(t *testing.T) string { return writeManyItems(t, 5000, setItem) }},
		{"many problems", manyProblemsFile},
		{"null id", func(t *testing.T) string {
			return writeTestFile(t, "null-id.parquet", idInput, []parquet.Row{row(opt("a"), opt("x")), row(null(), opt("y"))})
		}},
		{"not parquet", func(t *testing.T) string { return writeBytes(t, []byte("id,input\na,b\n")) }},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent.parquet") }},
	}
	for _, f := range []string{"qa-duckdb-snappy.parquet", "qa-duckdb-nulls-stringcontext.parquet", "bad-duplicate-id.parquet",
		"bad-missing-input.parquet", "bad-null-id.parquet", "bad-input-is-integer.parquet", "bad-truncated.parquet"} {
		tests = append(tests, struct {
			name string
			path func(t *testing.T) string
		}{f, func(t *testing.T) string { return sharedData(t, "interop", f) }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			wantProbs, wantErr := Validate(path)
			set, err := OpenSet(path)
			if err != nil {
				if wantErr == nil || err.Error() != wantErr.Error() {
					t.Fatalf("OpenSet: %v; Validate's error is %v", err, wantErr)
				}
				return
			}
			defer func() {
				if err := set.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			if wantErr != nil {
				t.Fatalf("OpenSet succeeded; Validate failed with %v", wantErr)
			}

			src, err := openSource(path)
			if err != nil {
				t.Fatal(err)
			}
			wantInfo := src.info
			src.close()
			if got := set.Info(); !reflect.DeepEqual(got, wantInfo) {
				t.Errorf("Info:\n got %+v\nwant %+v", got, wantInfo)
			}

			probs, err := set.Validate()
			if err != nil {
				t.Fatalf("Set.Validate: %v", err)
			}
			if got, want := fmt.Sprint(probs), fmt.Sprint(wantProbs); got != want {
				t.Errorf("Set.Validate:\n got %s\nwant %s", got, want)
			}

			var wantItems []records.Item
			r, wantOpenErr := Open(path)
			if wantOpenErr == nil {
				wantItems, wantErr = scanItems(r)
			}
			r, err = set.Reader()
			if errString(err) != errString(wantOpenErr) {
				t.Fatalf("Set.Reader: got error %v, want %v", err, wantOpenErr)
			}
			if err == nil {
				items, err := scanItems(r)
				if errString(err) != errString(wantErr) {
					t.Errorf("Reader: got error %v, want %v", err, wantErr)
				}
				diffItems(t, items, wantItems)
			}

			var wantCols []*ItemColumns
			c, wantOpenErr := OpenItemColumns(path)
			if wantOpenErr == nil {
				wantCols, wantErr = drainColumns(c)
			}
			c, err = set.ItemColumns()
			if errString(err) != errString(wantOpenErr) {
				t.Fatalf("Set.ItemColumns: got error %v, want %v", err, wantOpenErr)
			}
			if err == nil {
				cols, err := drainColumns(c)
				if errString(err) != errString(wantErr) {
					t.Errorf("ItemColumns: got error %v, want %v", err, wantErr)
				}
				if !reflect.DeepEqual(cols, wantCols) {
					t.Errorf("ItemColumns: got %d batches, want %d, or their contents differ", len(cols), len(wantCols))
				}
			}
		})
	}
}

// countingReaderAt counts the reads that start at byte 0 and are longer
// than the 4-byte magic number: each is the start of a hash of the whole
// file, since Parquet data starts after the magic, the footer sits at the
// end, and only checkFraming reads the magic (4 bytes) otherwise.
type countingReaderAt struct {
	r      io.ReaderAt
	mu     sync.Mutex
	hashes int
	reads  int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.reads++
	if off == 0 && len(p) > 4 {
		c.hashes++
	}
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

func (c *countingReaderAt) counts() (hashes, reads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hashes, c.reads
}

// TestSetHashesOnce runs the reads of a run (Validate, Info, Reader,
// ItemColumns, Reader again) through one Set and counts the passes over
// the whole file: one, the hash. Two NewReaders over the same counter
// hash twice, which shows the counter sees every hash.
func TestSetHashesOnce(t *testing.T) {
	path := writeManyItems(t, 20_000, setItem)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() <= 64<<10 {
		t.Fatalf("test file is %d bytes; want more than one hashing buffer", st.Size())
	}

	var counter *countingReaderAt
	set, err := openSet(path, func(ra io.ReaderAt) io.ReaderAt {
		counter = &countingReaderAt{r: ra}
		return counter
	})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if h, _ := counter.counts(); h != 1 {
		t.Fatalf("OpenSet hashed the file %d times, want 1", h)
	}
	probs, err := set.Validate()
	if err != nil || len(probs) > 0 {
		t.Fatalf("Validate: %v %v", probs, err)
	}
	if info := set.Info(); info.Rows != 20_000 || info.SHA256 == "" {
		t.Fatalf("Info: %d rows, digest %q", info.Rows, info.SHA256)
	}
	for i, read := range []func() (int, error){
		func() (int, error) {
			r, err := set.Reader()
			if err != nil {
				return 0, err
			}
			items, err := scanItems(r)
			return len(items), err
		},
		func() (int, error) {
			r, err := set.ItemColumns()
			if err != nil {
				return 0, err
			}
			cols, err := drainColumns(r)
			n := 0
			for _, c := range cols {
				n += c.Len()
			}
			return n, err
		},
		func() (int, error) {
			r, err := set.Reader()
			if err != nil {
				return 0, err
			}
			items, err := scanItems(r)
			return len(items), err
		},
	} {
		n, err := read()
		if err != nil || n != 20_000 {
			t.Fatalf("read %d: %d items, %v; want 20000", i, n, err)
		}
	}
	hashes, reads := counter.counts()
	if hashes != 1 {
		t.Errorf("Validate→Info→Reader→ItemColumns→Reader hashed the file %d times, want 1", hashes)
	}
	if reads < 10 {
		t.Errorf("only %d reads went through the Set's file: the readers read elsewhere", reads)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	counter = &countingReaderAt{r: bytes.NewReader(data)}
	for range 2 {
		r, err := NewReader(counter, int64(len(data)), "mem")
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	if h, _ := counter.counts(); h != 2 {
		t.Errorf("two NewReaders counted %d hashes, want 2", h)
	}
}

// TestSetDetectsChange changes the file between two readers of one Set
// in each way Check documents, and checks what the second reader, Check,
// Validate and Close say.
func TestSetDetectsChange(t *testing.T) {
	other := func(t *testing.T, n int) []byte {
		t.Helper()
		var buf bytes.Buffer
		items := make([]records.Item, n)
		for i := range items {
			items[i] = setItem(i)
			items[i].Input = "changed " + items[i].Input
		}
		if err := WriteItems(&buf, items, nil, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name   string
		change func(t *testing.T, path string, st os.FileInfo)
		// detail is part of the error's message; "" means the change
		// goes undetected, as Check documents.
		detail string
	}{
		{
			name: "renamed over",
			change: func(t *testing.T, path string, st os.FileInfo) {
				tmp := path + ".new"
				if err := os.WriteFile(tmp, other(t, 100), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, path); err != nil {
					t.Fatal(err)
				}
			},
			detail: "the path now names another file",
		},
		{
			name: "truncated and rewritten, same size, new time",
			change: func(t *testing.T, path string, st os.FileInfo) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				data[len(data)/2] ^= 0xff
				if err := os.WriteFile(path, data, 0o644); err != nil { // O_TRUNC: the same file
					t.Fatal(err)
				}
				if err := os.Chtimes(path, time.Time{}, st.ModTime().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			},
			detail: "its modification time went from",
		},
		{
			name: "appended to",
			change: func(t *testing.T, path string, st os.FileInfo) {
				f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.Write([]byte("more")); err != nil {
					t.Fatal(err)
				}
			},
			detail: "its size went from",
		},
		{
			name: "removed",
			change: func(t *testing.T, path string, st os.FileInfo) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			},
			detail: "the path no longer exists",
		},
		{
			// Documented as not detected: same file, same size, time reset.
			name: "rewritten in place keeping size and time",
			change: func(t *testing.T, path string, st os.FileInfo) {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt([]byte("X"), st.Size()/2); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(path, time.Time{}, st.ModTime()); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeManyItems(t, 100, setItem)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			set, err := OpenSet(path)
			if err != nil {
				t.Fatal(err)
			}
			defer set.Close()
			first, err := set.Reader()
			if err != nil {
				t.Fatalf("first reader: %v", err)
			}
			first.Close()

			tt.change(t, path, st)

			want := path + " changed while evalgate was reading it (was SHA-256 " + set.Info().SHA256 + "): "
			check := func(what string, err error) {
				t.Helper()
				if tt.detail == "" {
					if err != nil {
						t.Errorf("%s: %v; want no error (the change is not detectable)", what, err)
					}
					return
				}
				if !errors.Is(err, ErrChanged) {
					t.Fatalf("%s: got %v, want an error wrapping ErrChanged", what, err)
				}
				if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, tt.detail) {
					t.Errorf("%s: got %q, want it to contain %q and %q", what, msg, want, tt.detail)
				}
			}
			_, err = set.Reader()
			check("second Reader", err)
			_, err = set.ItemColumns()
			check("ItemColumns", err)
			_, err = set.Validate()
			check("Validate", err)
			check("Check", set.Check())
			check("Close", set.Close())
			if err := set.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// TestSetReaderChecksAtEnd replaces the file while readers handed out
// before the change are reading it: they read the hashed bytes of the
// open file to the end, and then report the change.
func TestSetReaderChecksAtEnd(t *testing.T) {
	path := writeManyItems(t, 3000, setItem)
	set, err := OpenSet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	r, err := set.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := set.ItemColumns()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !r.Scan() || r.Item().ID != "q-00000" {
		t.Fatalf("first Scan: %v", r.Err())
	}

	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}

	n := 1
	for r.Scan() {
		want := setItem(n)
		want.Row = int64(n)
		if !reflect.DeepEqual(r.Item(), want) {
			t.Fatalf("item %d: got %+v, want %+v", n, r.Item(), want)
		}
		n++
	}
	if n != 3000 {
		t.Errorf("read %d items, want 3000", n)
	}
	if err := r.Err(); !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), path) {
		t.Errorf("Reader.Err: got %v, want ErrChanged naming %s", err, path)
	}
	cols, err := drainColumns(c)
	if !errors.Is(err, ErrChanged) {
		t.Errorf("ItemColumnReader.Err: got %v, want ErrChanged", err)
	}
	if len(cols) == 0 {
		t.Error("ItemColumnReader read nothing before reporting the change")
	}
}

// TestSetConcurrentReaders reads one Set with several readers at once.
func TestSetConcurrentReaders(t *testing.T) {
	path := writeManyItems(t, 5000, setItem)
	set, err := OpenSet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	want, err := readAllItems(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]records.Item, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Go(func() {
			r, err := set.Reader()
			if err != nil {
				errs[i] = err
				return
			}
			got[i], errs[i] = scanItems(r)
		})
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("reader %d: %v", i, errs[i])
		}
		diffItems(t, got[i], want)
	}
}

// readAllItems reads path with Open.
func readAllItems(path string) ([]records.Item, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	return scanItems(r)
}

// TestSetClosed checks what a closed Set does.
func TestSetClosed(t *testing.T) {
	path := writeManyItems(t, 10, setItem)
	set, err := OpenSet(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Reader(); !errors.Is(err, os.ErrClosed) || errors.Is(err, ErrChanged) {
		t.Errorf("Reader after Close: got %v, want os.ErrClosed", err)
	}
	if _, err := set.Validate(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Validate after Close: got %v, want os.ErrClosed", err)
	}
	if err := set.Check(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Check after Close: got %v, want os.ErrClosed", err)
	}
	if err := set.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestReadersOverReaderAt reads files held in memory, without a path,
// with each reader's New function, and checks that they read what the
// Open function reads from the file and that name stands for the file.
func TestReadersOverReaderAt(t *testing.T) {
	evalPath := writeManyItems(t, 3000, setItem)
	var results bytes.Buffer
	rs := []records.Result{{ID: "a", Model: "m", Output: "x", Attempts: 1}, {ID: "b", Model: "m", Output: "y", Attempts: 1}}
	if err := WriteResults(&results, rs, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	resultsPath := writeBytes(t, results.Bytes())
	idInput := []parquet.Field{named("id", parquet.Optional(parquet.String())), named("input", parquet.Optional(parquet.String()))}
	nullPath := writeTestFile(t, "null-id.parquet", idInput, []parquet.Row{row(opt("a"), opt("x")), row(null(), opt("y"))})

	// Each read returns the file's Info, what it read, and its error.
	type read func(ra io.ReaderAt, size int64, name string) (Info, any, error)
	evalSet := func(ra io.ReaderAt, size int64, name string) (Info, any, error) {
		r, err := NewReader(ra, size, name)
		if err != nil {
			return Info{}, nil, err
		}
		info := r.Info()
		items, err := scanItems(r)
		return info, items, err
	}
	itemColumns := func(ra io.ReaderAt, size int64, name string) (Info, any, error) {
		r, err := NewItemColumnReader(ra, size, name)
		if err != nil {
			return Info{}, nil, err
		}
		info := r.Info()
		cols, err := drainColumns(r)
		return info, cols, err
	}
	resultsFile := func(ra io.ReaderAt, size int64, name string) (Info, any, error) {
		r, err := NewResultsReader(ra, size, name)
		if err != nil {
			return Info{}, nil, err
		}
		defer r.Close()
		var out []records.Result
		for r.Scan() {
			out = append(out, r.Result())
		}
		return r.Info(), out, r.Err()
	}
	columns := func(ra io.ReaderAt, size int64, name string) (Info, any, error) {
		r, err := NewColumnReader(ra, size, name)
		if err != nil {
			return Info{}, nil, err
		}
		defer r.Close()
		if err := r.Select("id"); err != nil {
			return r.Info(), nil, err
		}
		var ids []string
		for r.Scan() {
			for _, s := range r.Batch().Strings {
				ids = append(ids, string(s))
			}
		}
		return r.Info(), ids, r.Err()
	}
	// open reads the same file from its path with the Open function.
	open := func(newFn read, path string) (Info, any, error) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return newFn(f, st.Size(), path)
	}
	tests := []struct {
		name string
		read read
		path string
		// grow adds to the size passed, to claim more bytes than there are.
		grow    int64
		wantErr error
	}{
		{name: "eval set", read: evalSet, path: evalPath},
		{name: "item columns", read: itemColumns, path: evalPath},
		{name: "results", read: resultsFile, path: resultsPath},
		{name: "columns", read: columns, path: evalPath},
		{name: "null id", read: evalSet, path: nullPath, wantErr: ErrNullID},
		{name: "null id, columns", read: itemColumns, path: nullPath, wantErr: ErrNullID},
		{name: "size past the end", read: evalSet, path: evalPath, grow: 10, wantErr: ErrCorrupt},
		{name: "results, size past the end", read: resultsFile, path: resultsPath, grow: 10, wantErr: ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			const name = "in-memory.parquet"
			info, got, err := tt.read(bytes.NewReader(data), int64(len(data))+tt.grow, name)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), name) {
					t.Fatalf("got error %v, want one wrapping %v naming %s", err, tt.wantErr, name)
				}
				if tt.grow == 0 {
					_, _, fileErr := open(tt.read, tt.path)
					if want := strings.ReplaceAll(fileErr.Error(), tt.path, name); err.Error() != want {
						t.Errorf("error\n got %q\nwant %q (as from the file)", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantInfo, want, err := open(tt.read, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Path != name {
				t.Errorf("Info.Path = %q, want %q", info.Path, name)
			}
			wantInfo.Path = name
			if !reflect.DeepEqual(info, wantInfo) {
				t.Errorf("Info:\n got %+v\nwant %+v", info, wantInfo)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read differs from reading %s", tt.path)
			}
		})
	}
}
