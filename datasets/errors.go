package datasets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by RowError. Test for them with errors.Is.
var (
	// ErrMissingColumn reports that a required column (id or input) is absent.
	ErrMissingColumn = errors.New("missing required column")
	// ErrWrongType reports a column whose Parquet type is not the one the
	// schema requires; the message says what was wanted and what was found.
	ErrWrongType = errors.New("wrong type")
	// ErrNullID reports a row whose id is null.
	ErrNullID = errors.New("null id")
	// ErrEmptyID reports a row whose id is the empty string.
	ErrEmptyID = errors.New("empty id")
	// ErrNullInput reports a row whose input is null.
	ErrNullInput = errors.New("null input")
	// ErrDuplicateID reports an id already used by an earlier row.
	ErrDuplicateID = errors.New("duplicate id")
	// ErrBadMessage reports a turn of the messages column that cannot be
	// sent: a null turn, a role the API does not take, empty content, or
	// a conversation without a user turn. The message names the item and
	// the turn (0-based).
	ErrBadMessage = errors.New("bad message")
	// ErrInvalidUTF8 reports a string value that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrCorrupt reports a file that is not readable Parquet: truncated,
	// malformed, or rejected by the Parquet library.
	ErrCorrupt = errors.New("corrupt Parquet file")
	// ErrNotParquet reports a file that is text, not Parquet: JSONL, CSV
	// or TSV, which `evalgate dataset import` (Import) converts. Other
	// files without Parquet magic are ErrCorrupt. An error that wraps
	// ErrNotParquet matches ErrCorrupt too, as such files did before.
	ErrNotParquet = errors.New("not a Parquet file")
	// ErrUnsupported reports valid Parquet that evalgate cannot read, such as
	// an encrypted file.
	ErrUnsupported = errors.New("unsupported Parquet file")
)

// RowError is a problem in a Parquet file, with its position, in the style
// of encoding/csv's ParseError. Err wraps one of the package's sentinel
// errors (or an I/O error).
type RowError struct {
	// File is the path of the file, as given to the function that read
	// it, or the name given to NewReader (or another New… reader).
	File string
	// Row is the 0-based index of the row in the file, or -1 when the
	// problem is not specific to one row (a missing column, a bad footer).
	Row int64
	// Column is the top-level column name, or "" when the problem is not
	// specific to one column.
	Column string
	// Err is the problem itself.
	Err error
}

// Error formats the error as
//
//	file: row 42 (0-based), column "id": null id
//
// leaving out the file, row or column when they are not known.
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	sep := ""
	if e.File != "" {
		sep = ": "
	}
	if e.Row >= 0 {
		b.WriteString(sep)
		b.WriteString("row ")
		b.WriteString(strconv.FormatInt(e.Row, 10))
		b.WriteString(" (0-based)")
		sep = ", "
	}
	if e.Column != "" {
		b.WriteString(sep)
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
		sep = ", "
	}
	if sep != "" {
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("unknown error")
	}
	return b.String()
}

// Unwrap returns Err, so that errors.Is finds the sentinel it wraps.
func (e *RowError) Unwrap() error { return e.Err }

// fileError returns a RowError about the whole file.
func fileError(file string, err error) *RowError {
	return &RowError{File: file, Row: -1, Err: err}
}

// corruptf returns a RowError wrapping ErrCorrupt with a detail message.
func corruptf(file string, row int64, format string, args ...any) *RowError {
	return &RowError{File: file, Row: row, Err: fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))}
}

// utf8Error describes where in value the invalid byte sequence starts.
func utf8Error(value string) error {
	i := firstInvalidUTF8(value)
	return fmt.Errorf("%w at byte %d of a %d-byte value", ErrInvalidUTF8, i, len(value))
}

// protect runs fn and turns a panic inside it (from the Parquet library)
// into an error wrapping ErrCorrupt.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the Parquet library failed: %v", ErrCorrupt, r)
		}
	}()
	return fn()
}
