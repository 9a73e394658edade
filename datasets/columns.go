package datasets

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// ValueKind says how ColumnReader decodes a top-level column.
type ValueKind uint8

// Value kinds of ColumnReader.
const (
	// ValueOther is a column ColumnReader cannot decode: a list, a struct,
	// a timestamp, a decimal, an unsigned integer or a boolean.
	ValueOther ValueKind = iota
	// ValueNumber is a scalar INT32 or INT64 (plain or signed INT
	// annotation) or a FLOAT or DOUBLE without a logical type.
	ValueNumber
	// ValueString is a scalar BYTE_ARRAY string (STRING, ENUM or no
	// annotation).
	ValueString
)

// String names the kind for messages: "number", "string" or "other".
func (k ValueKind) String() string {
	switch k {
	case ValueNumber:
		return "number"
	case ValueString:
		return "string"
	}
	return "other"
}

// ErrNotScalar reports a column that ColumnReader.Select cannot decode.
var ErrNotScalar = errors.New("not a number or string column")

// columnBatchSize bounds the values a ColumnBatch holds.
const columnBatchSize = 1024

// ColumnReader streams the values of chosen scalar columns of any
// Parquet file — an eval set, a results file, a production log — column
// chunk by column chunk: for each row group, every value of the first
// chosen column, then of the second, and so on. Its memory is one page
// and one batch per column read, whatever the number of rows; it reads
// nothing else of a row. Use it as
//
//	r, err := datasets.OpenColumns(path)
//	if err != nil { ... }
//	defer r.Close()
//	if err := r.Select("input", "latency_ms"); err != nil { ... }
//	for r.Scan() {
//		b := r.Batch() // b.Column indexes the names given to Select
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// The file is checked as Open checks an eval set before the Parquet
// library reads it (framing, footer, every page header), and errors are
// *RowError values naming the file, and the row and column when known.
// A ColumnReader is not safe for concurrent use.
type ColumnReader struct {
	src     *source
	cols    []field // selected, in Select order
	checker *chunkChecker
	vals    []parquet.Value
	batch   ColumnBatch

	rg, ci  int   // current row group and index into cols
	rgStart int64 // file index of the row group's first row
	chunk   *colValues
	want    int64 // rows the row group declares
	err     error
	done    bool
}

// ColumnBatch is a run of consecutive rows of one column.
type ColumnBatch struct {
	// Column is the index of the column in the names given to Select.
	Column int
	// Row is the 0-based file index of the batch's first row, and Rows
	// the number of rows it covers, nulls included.
	Row  int64
	Rows int
	// Numbers holds the non-null values of a ValueNumber column, in row
	// order; integers are converted to float64.
	Numbers []float64
	// Strings holds the non-null values of a ValueString column, in row
	// order, each checked to be valid UTF-8. They point into the
	// reader's buffers and are valid only until the next Scan.
	Strings [][]byte
	// Nulls counts the rows whose value is null.
	Nulls int
}

// OpenColumns opens the Parquet file at path for ColumnReader: it
// computes the SHA-256 of its bytes (streaming them), checks its framing
// and footer and resolves its top-level columns. The caller must Close
// the reader.
func OpenColumns(path string) (*ColumnReader, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return &ColumnReader{src: src}, nil
}

// NewColumnReader returns a ColumnReader over the size bytes of ra, any
// Parquet file held anywhere, checked as OpenColumns checks a file, with
// name standing for the file in errors and Info.Path. The bytes must not
// change while the reader reads them. Closing the reader does not close
// ra.
func NewColumnReader(ra io.ReaderAt, size int64, name string) (*ColumnReader, error) {
	src, err := newSource(name, ra, size)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return &ColumnReader{src: src}, nil
}

// Info describes the file: digest, size, row count and columns.
func (r *ColumnReader) Info() Info { return r.src.info }

// Kind returns how the top-level column name would be decoded, and false
// when the file has no such column.
func (r *ColumnReader) Kind(name string) (ValueKind, bool) {
	i := r.src.field(name)
	if i < 0 {
		return ValueOther, false
	}
	return valueKind(r.src.fields[i]), true
}

// Type returns the column's type as Info spells it ("string", "double",
// "list<string>", …), or "" when the file has no such column.
func (r *ColumnReader) Type(name string) string {
	if i := r.src.field(name); i >= 0 {
		return r.src.fields[i].Type
	}
	return ""
}

func valueKind(f field) ValueKind {
	if f.leaf < 0 || f.maxDef > 1 {
		return ValueOther
	}
	switch f.kind {
	case kindInt, kindFloat:
		return ValueNumber
	case kindString:
		return ValueString
	}
	return ValueOther
}

// Select chooses the columns Scan reads, in this order; a name may not
// repeat. It must be called once, before the first Scan. A missing column
// is an error wrapping ErrMissingColumn, one that is not a number or a
// string an error wrapping ErrNotScalar.
func (r *ColumnReader) Select(names ...string) error {
	if r.cols != nil || r.checker != nil {
		return errors.New("read columns: Select called twice")
	}
	seen := map[string]bool{}
	cols := make([]field, 0, len(names))
	for _, name := range names {
		i := r.src.field(name)
		if i < 0 {
			return fmt.Errorf("read columns: %w", &RowError{File: r.src.path, Row: -1, Column: name, Err: ErrMissingColumn})
		}
		f := r.src.fields[i]
		if valueKind(f) == ValueOther {
			return fmt.Errorf("read columns: %w", &RowError{File: r.src.path, Row: -1, Column: name, Err: fmt.Errorf("%w: it is %s", ErrNotScalar, f.Type)})
		}
		if seen[name] {
			return fmt.Errorf("read columns: column %q selected twice", name)
		}
		seen[name] = true
		cols = append(cols, f)
	}
	r.cols = cols
	r.checker = &chunkChecker{r: r.src.ra, size: r.src.info.Size}
	r.vals = make([]parquet.Value, columnBatchSize)
	return nil
}

// Scan reads the next batch of values, which Batch then returns. It
// returns false at the end of the file or at the first error, which Err
// reports.
func (r *ColumnReader) Scan() bool {
	if r.done || r.err != nil {
		return false
	}
	if r.checker == nil {
		r.err = errors.New("read columns: Scan before Select")
		return false
	}
	for {
		if r.chunk == nil && !r.openChunk() {
			return false
		}
		ok, err := r.fill()
		if err != nil {
			r.fail(err)
			return false
		}
		if ok {
			return true
		}
	}
}

// Batch returns the batch that the last successful Scan read.
func (r *ColumnReader) Batch() *ColumnBatch { return &r.batch }

// Err returns the error that stopped Scan, or nil at the end of the file.
func (r *ColumnReader) Err() error { return r.err }

// Close releases the reader's buffers and the file that OpenColumns
// opened; it does not close the io.ReaderAt given to NewColumnReader.
func (r *ColumnReader) Close() error {
	r.done = true
	r.closeChunk()
	if r.checker != nil {
		r.checker.close()
	}
	return r.src.close()
}

// openChunk opens the next column chunk to read; it returns false at the
// end of the file or on an error.
func (r *ColumnReader) openChunk() bool {
	groups := r.src.pf.Metadata().RowGroups
	if r.ci >= len(r.cols) {
		r.rgStart += r.want
		r.rg, r.ci = r.rg+1, 0
		r.want = 0
	}
	if r.rg >= len(groups) || len(r.cols) == 0 {
		r.done = true
		return false
	}
	f := r.cols[r.ci]
	r.want = groups[r.rg].NumRows
	err := protect(func() error {
		c, err := r.src.columnChunk(r.rg, f.leaf, r.checker)
		if err != nil {
			return err
		}
		r.chunk = &colValues{pages: c.Pages()}
		return nil
	})
	if err != nil {
		r.fail(err)
		return false
	}
	return true
}

// fill reads the next values of the current chunk into the batch. It
// returns false, with no error, when the chunk has ended, and moves to the
// next column.
func (r *ColumnReader) fill() (bool, error) {
	c := r.chunk
	f := r.cols[r.ci]
	var n int
	err := protect(func() error {
		var err error
		n, err = c.read(r.vals)
		return err
	})
	if err == io.EOF {
		if c.n != r.want {
			return false, fmt.Errorf("%w: column %q holds %d values for %d rows", ErrCorrupt, f.Name, c.n, r.want)
		}
		r.closeChunk()
		r.ci++
		return false, nil
	}
	if err != nil {
		return false, wrapRead(err)
	}
	if c.n > r.want {
		return false, fmt.Errorf("%w: column %q holds more values than the %d rows of its row group", ErrCorrupt, f.Name, r.want)
	}
	b := &r.batch
	*b = ColumnBatch{Column: r.ci, Row: r.rgStart + c.n - int64(n), Rows: n, Numbers: b.Numbers[:0], Strings: b.Strings[:0]}
	kind := valueKind(f)
	for i := range r.vals[:n] {
		v := &r.vals[i]
		if v.RepetitionLevel() != 0 {
			return false, fmt.Errorf("%w: column %q: a row continues a scalar column's previous row", ErrCorrupt, f.Name)
		}
		if v.IsNull() || v.DefinitionLevel() < f.maxDef {
			b.Nulls++
			continue
		}
		if kind == ValueString {
			if v.Kind() != parquet.ByteArray {
				return false, fmt.Errorf("%w: column %q holds a %s value", ErrCorrupt, f.Name, v.Kind())
			}
			s := v.ByteArray()
			if !utf8.Valid(s) {
				return false, &RowError{File: r.src.path, Row: b.Row + int64(i), Column: f.Name, Err: utf8Error(string(s))}
			}
			b.Strings = append(b.Strings, s)
			continue
		}
		var x float64
		switch v.Kind() {
		case parquet.Int32:
			x = float64(v.Int32())
		case parquet.Int64:
			x = float64(v.Int64())
		case parquet.Float:
			x = float64(v.Float())
		case parquet.Double:
			x = v.Double()
		default:
			return false, fmt.Errorf("%w: column %q holds a %s value", ErrCorrupt, f.Name, v.Kind())
		}
		b.Numbers = append(b.Numbers, x)
	}
	return true, nil
}

// fail records err, positioned at the current row group, unless it is
// already a *RowError, and stops the reader.
func (r *ColumnReader) fail(err error) {
	var re *RowError
	if !errors.As(err, &re) {
		err = &RowError{File: r.src.path, Row: -1, Err: fmt.Errorf("row group %d (rows from %d): %w", r.rg, r.rgStart, err)}
	}
	r.err = fmt.Errorf("read columns: %w", err)
	r.done = true
	r.closeChunk()
}

// closeChunk releases the current column chunk, if any.
func (r *ColumnReader) closeChunk() {
	if c := r.chunk; c != nil {
		r.chunk = nil
		c.release()
		_ = protect(func() error { return c.pages.Close() })
	}
}
