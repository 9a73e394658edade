package datasets

import (
	"errors"
	"fmt"
	"io"

	"github.com/evalgate/evalgate/records"
)

// Reader streams the items of an eval set, one row group at a time and a
// bounded batch of rows at a time, so its memory does not grow with the
// number of rows. Use it as
//
//	r, err := datasets.Open(path)
//	if err != nil { ... }
//	defer r.Close()
//	for r.Scan() {
//		item := r.Item()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// Scan stops at the first bad row (null or empty id, null input, invalid
// UTF-8, corrupt data). It does not look for duplicate ids, which would
// take memory proportional to the number of rows: run Validate for that.
// A Reader is not safe for concurrent use.
type Reader struct {
	src    *source
	dec    *itemDecoder
	stream *rowStream
	item   records.Item
	probs  []*RowError
	err    error
}

// Open opens the eval set at path: it computes the SHA-256 of the file's
// bytes (streaming them, not loading the file), reads the footer and
// resolves the columns. It fails, with a *RowError naming the file and
// column, when id or input is missing or a fixed column has the wrong type.
// Errors are wrapped as "read eval set: …". The caller must Close the
// Reader.
func Open(path string) (*Reader, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newReader(src)
}

// NewReader returns a Reader over the size bytes of ra, an eval set
// held anywhere (a file, a bytes.Reader, an object store): it digests
// them, reads the footer and resolves the columns as Open does, with the
// same errors, in which name stands for the file (it is also Info.Path).
// Reads go through ra.ReadAt, which must allow concurrent calls, as
// io.ReaderAt requires of an implementation; the bytes must not change
// while the Reader reads them: NewReader cannot check that they do not
// (a Set can, for a file). Closing the Reader does not close ra.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	src, err := newSource(name, ra, size)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newReader(src)
}

// newReader returns a Reader over src, which it closes on error.
func newReader(src *source) (*Reader, error) {
	if err := schemaError(src); err != nil {
		src.close()
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	dec := newItemDecoder(src, false)
	return &Reader{src: src, dec: dec, stream: newRowStream(src, dec.leaves)}, nil
}

// schemaError joins the schema problems of an eval set, or returns nil.
func schemaError(src *source) error {
	probs := schemaProblems(src.path, src.fields)
	if len(probs) == 0 {
		return nil
	}
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Info describes the file: identity, digest, row count and columns.
func (r *Reader) Info() Info { return r.src.info }

// Scan advances to the next item, which Item then returns. It returns
// false at the end of the set or at the first error, which Err reports.
func (r *Reader) Scan() bool {
	if r.err != nil || r.src.closed {
		return false
	}
	row, idx, ok := r.stream.next()
	if !ok {
		if err := r.src.check(); err != nil {
			r.err = fmt.Errorf("read eval set: %w", err)
		} else if r.stream.err != nil {
			r.err = fmt.Errorf("read eval set: %w", r.stream.err)
		}
		return false
	}
	r.probs = r.dec.decode(row, idx, &r.item, r.probs[:0])
	if len(r.probs) > 0 {
		r.err = fmt.Errorf("read eval set: %w", r.probs[0])
		if err := r.src.check(); err != nil {
			r.err = fmt.Errorf("read eval set: %w", err)
		}
		r.item = records.Item{}
		return false
	}
	return true
}

// Item returns the item that the last successful Scan read. Its slices
// and map are not reused by later calls.
func (r *Reader) Item() records.Item { return r.item }

// Err returns the error that stopped Scan, or nil at the end of the set.
// It wraps a *RowError giving the file, row and column, or, for a Reader
// handed out by a Set whose file changed, ErrChanged.
func (r *Reader) Err() error { return r.err }

// Close releases the file that Open opened; it does not close the
// io.ReaderAt given to NewReader, nor the file of the Set that handed the
// Reader out. It is safe to call more than once.
func (r *Reader) Close() error {
	r.stream.close()
	if err := r.src.close(); err != nil {
		return fmt.Errorf("read eval set: %w", err)
	}
	return nil
}
