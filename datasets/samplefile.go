package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evalgate/evalgate/atomicfile"
)

// ErrWrite marks a failure to write an output file (a full disk, an I/O
// error), as opposed to a problem with the input; ErrCreate an output file
// that cannot be created at all (a missing or read-only directory).
var (
	ErrWrite  = errors.New("write failed")
	ErrCreate = errors.New("cannot create a file")
)

// SampleFile is Sample into the file out, written atomically (see
// atomicfile), so that out is never left half-written; it returns the
// result and the SHA-256 of out. An out that cannot be created is an error
// wrapping ErrCreate and naming the directory; a failure while writing
// wraps ErrWrite.
func SampleFile(from, out string, opts SampleOptions) (*SampleResult, string, error) {
	return sampleFile(out, func(w io.Writer) (*SampleResult, error) { return Sample(from, w, opts) })
}

// SampleFileAt is SampleFile for logs read through an io.ReaderAt (see
// SampleAt).
func SampleFileAt(from Remote, out string, opts SampleOptions) (*SampleResult, string, error) {
	return sampleFile(out, func(w io.Writer) (*SampleResult, error) { return SampleAt(from, w, opts) })
}

// sampleFile runs a sample into out, atomically.
func sampleFile(out string, sample func(io.Writer) (*SampleResult, error)) (*SampleResult, string, error) {
	f, err := atomicfile.Create(out, 0o644)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", fmt.Errorf("%w in %s: %w", ErrCreate, filepath.Dir(out), err)
	}
	defer f.Abort()
	buf := bufio.NewWriterSize(f, 1<<20)
	rec := &recordingWriter{w: buf}
	res, err := sample(rec)
	if err == nil {
		if err = buf.Flush(); err == nil {
			err = f.Commit()
		}
		if err != nil {
			rec.err = err
		}
	}
	switch {
	case err == nil:
		return res, f.SHA256(), nil
	case rec.err != nil:
		return nil, "", fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil, "", err
}

// recordingWriter passes writes on and remembers the first error.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}
