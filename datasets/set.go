package datasets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"
)

// ErrChanged reports that a file changed, or the path stopped naming it,
// after a Set opened and hashed it: what a reader would read is no longer
// what the digest (Info.SHA256) vouches for. The error that wraps it names
// the file and the digest, as in
//
//	evals.parquet changed while evalgate was reading it (was SHA-256 9f2c…): its size went from 1024 to 2048 bytes
//
// It is not wrapped in a *RowError: no row or column is at fault.
var ErrChanged = errors.New("changed while evalgate was reading it")

// Set is an eval set opened once: OpenSet opens the file, hashes its bytes
// and reads its footer once, and Reader, ItemColumns and Validate then read
// that same open file as often as a run needs, without opening or hashing
// it again. Info().SHA256 is therefore the digest of every byte any of
// them reads, as long as the file does not change; a caller that pins a
// digest checks it once, against Info, right after OpenSet.
//
// Set checks that the file did not change (see Check) each time it hands
// out a reader, each time one of its readers reaches the end of the set
// or stops at an error, after Validate, and at Close. A change is an
// error wrapping ErrChanged that names the file.
//
// A Set is safe for concurrent use; each reader it hands out is not, as
// usual. Close it once every reader it handed out is done.
type Set struct {
	src  *source // owns the file; never read through directly
	file *os.File
	stat os.FileInfo // of the open file, when it was hashed

	// remote checks a set opened by OpenSetAt; nil for a local file.
	remote func() (string, error)

	mu     sync.Mutex
	closed bool
}

// OpenSet opens the eval set at path, computes the SHA-256 of its bytes
// (streaming them), reads its footer and resolves its columns, once. It
// fails only when the file cannot be read at all (missing, not a regular
// file, truncated, not Parquet, encrypted), with an error wrapping a
// *RowError naming the file, as Validate's second result does; schema
// problems (a missing id column, say) are reported by Validate and by
// Reader and ItemColumns, as Validate and Open report them. Errors are
// wrapped as "read eval set: …". The caller must Close the Set.
func OpenSet(path string) (*Set, error) { return openSet(path, nil) }

// openSet is OpenSet with a wrapper around the file's io.ReaderAt, through
// which every read of the file goes, so that tests can count them.
func openSet(path string, wrap func(io.ReaderAt) io.ReaderAt) (*Set, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	var ra io.ReaderAt = f
	if wrap != nil {
		ra = wrap(f)
	}
	src, err := newSource(path, ra, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	src.closer = f
	return &Set{src: src, file: f, stat: st}, nil
}

// Remote is an eval set that is not a local file, such as an object in
// object storage, for OpenSetAt.
type Remote struct {
	// Name is what errors and Info.Path show (an s3:// URL; never a
	// credential).
	Name string
	// ReaderAt reads the set's bytes; every read of the Set goes through
	// it.
	ReaderAt io.ReaderAt
	// Size is the set's size in bytes.
	Size int64
	// Changed reports whether the set is still the one opened: a
	// description of the change ("its ETag went from … to …"), or "" when
	// it is unchanged; the error is for a check that could not be made.
	Changed func() (detail string, err error)
	// Close, when not nil, releases what ReaderAt holds; Set.Close calls
	// it.
	Close func() error
}

// OpenSetAt is OpenSet for a set read through an io.ReaderAt, such as an
// object in object storage: it streams the bytes once to hash them, reads
// the footer and resolves the columns, with the errors OpenSet gives,
// naming r.Name. Check, and the checks the Set makes when it hands out a
// reader, when one ends and at Close, call r.Changed; a read that fails
// while r.Changed reports a change fails with an error wrapping
// ErrChanged, so a set replaced mid-run is never read as a mix of two
// versions.
func OpenSetAt(r Remote) (*Set, error) {
	s := &Set{remote: r.Changed}
	ra := &checkedReaderAt{ra: r.ReaderAt, set: s, name: r.Name}
	src, err := newSource(r.Name, ra, r.Size)
	if err != nil {
		if r.Close != nil {
			r.Close()
		}
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	if r.Close != nil {
		src.closer = closerFunc(r.Close)
	}
	s.src = src
	return s, nil
}

// OpenSetAtColumns is OpenSetAt with the column mapping of
// OpenSetColumns.
func OpenSetAtColumns(r Remote, columns map[string]string) (*Set, error) {
	return withColumns(OpenSetAt(r))(columns)
}

// withColumns maps columns on a Set just opened (OpenSet, OpenSetAt),
// closing it when the mapping fails.
func withColumns(s *Set, err error) func(columns map[string]string) (*Set, error) {
	return func(columns map[string]string) (*Set, error) {
		if err != nil || len(columns) == 0 {
			return s, err
		}
		if err := s.src.mapColumns(columns); err != nil {
			s.Close()
			return nil, fmt.Errorf("read eval set: %w", err)
		}
		return s, nil
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// checkedReaderAt turns a failed read of a remote set into ErrChanged when
// the set changed (a read pinned to the opened version fails once the
// set is replaced).
type checkedReaderAt struct {
	ra   io.ReaderAt
	set  *Set
	name string
}

func (c *checkedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	if err != nil && err != io.EOF && !errors.Is(err, ErrChanged) {
		if detail, cerr := c.set.remote(); cerr == nil && detail != "" {
			return n, c.set.changedAt(c.name, detail, err)
		}
	}
	return n, err
}

// Info describes the file as OpenSet found it: identity, digest, row
// count and columns. Every reader the Set hands out reports the same Info.
func (s *Set) Info() Info { return s.src.info }

// view returns a source that reads the Set's open file, shares its footer
// and schema, does not close the file, and checks the Set when its reader
// is done.
func (s *Set) view() *source {
	v := *s.src
	v.closer = nil
	v.closed = false
	v.set = s
	return &v
}

// Reader checks that the file has not changed (see Check) and returns a
// Reader over the open file, with the errors Open gives for a file with a
// missing id or input column or a fixed column of the wrong type. It
// neither reopens nor re-hashes the file. When the Reader reaches the end
// of the set, or stops at an error, it checks the file again: a change
// makes Err report an error wrapping ErrChanged. Close the Reader when
// done; that does not close the Set.
func (s *Set) Reader() (*Reader, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newReader(s.view())
}

// ItemColumns checks that the file has not changed (see Check) and
// returns an ItemColumnReader over the open file, with the errors
// OpenItemColumns gives. It neither reopens nor re-hashes the file. When
// the reader reaches the end of the set, or stops at an error, it checks
// the file again, as Reader does. Close it when done; that does not close
// the Set.
func (s *Set) ItemColumns() (*ItemColumnReader, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newItemColumnReader(s.view())
}

// Validate checks that the file has not changed, reads the whole set and
// returns the problems Validate(path) would return for the same bytes,
// without reopening or re-hashing the file. The second result is non-nil
// when the Set is closed or the file changed (before the read or during
// it: the file is checked again at the end, and the problems found in a
// changing file are then not returned); it wraps ErrChanged in the latter
// case.
func (s *Set) Validate() ([]error, error) {
	return s.validate(newIDHash())
}

// validate is Validate with the id hash function as a parameter.
func (s *Set) validate(hash func(string) uint64) ([]error, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	src := s.view()
	defer src.close()
	probs := validateSource(src, hash)
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return probs, nil
}

// Check reports whether the file is still the one OpenSet hashed, as far
// as the file system can tell without reading it again. It returns an
// error wrapping ErrChanged and naming the file when
//
//   - the open file's size differs from its size when it was hashed
//     (appended to, truncated, rewritten to another length);
//   - the open file's modification time differs (written to in place, by
//     any program that lets the system update the time);
//   - the path no longer exists, or names another file than the one open
//     (os.SameFile on a fresh os.Stat: the file was replaced by a rename
//     over it, or removed and recreated).
//
// It does not detect a change that keeps both the size and the
// modification time of the same file: an in-place rewrite of some bytes
// followed by resetting the time (touch -d, utimes), or one that falls
// within the file system's timestamp granularity (whole seconds or
// coarser on some file systems, such as FAT or some network mounts). Nor
// can it detect a change made and undone between two checks. Reading the
// bytes again would, at the price of hashing them again; use a fresh
// OpenSet for that. A replacement by rename after the last check does not
// affect readers already handed out: they keep reading the open, hashed
// file.
//
// Check returns an error not wrapping ErrChanged when the Set is closed
// or the file system fails to answer (os.Stat on the path fails other
// than with fs.ErrNotExist).
func (s *Set) Check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("check %s: %w", s.src.path, os.ErrClosed)
	}
	return s.check()
}

// check is Check with s.mu held and the Set open.
func (s *Set) check() error {
	path := s.src.path
	if s.remote != nil {
		detail, err := s.remote()
		if err != nil {
			return fmt.Errorf("check %s: %w", path, err)
		}
		if detail != "" {
			return s.changed(detail)
		}
		return nil
	}
	now, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if now.Size() != s.stat.Size() {
		return s.changed(fmt.Sprintf("its size went from %d to %d bytes", s.stat.Size(), now.Size()))
	}
	if !now.ModTime().Equal(s.stat.ModTime()) {
		return s.changed(fmt.Sprintf("its modification time went from %s to %s",
			s.stat.ModTime().UTC().Format(time.RFC3339Nano), now.ModTime().UTC().Format(time.RFC3339Nano)))
	}
	named, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s.changed("the path no longer exists (removed or renamed)")
	case err != nil:
		return fmt.Errorf("check %s: %w", path, err)
	case !os.SameFile(s.stat, named):
		return s.changed("the path now names another file (replaced, for example renamed over)")
	}
	return nil
}

// changed returns the ErrChanged error for the Set's file.
func (s *Set) changed(detail string) error {
	return fmt.Errorf("%s %w (was SHA-256 %s): %s", s.src.path, ErrChanged, s.src.info.SHA256, detail)
}

// changedAt is changed for a read that failed with err.
func (s *Set) changedAt(name, detail string, err error) error {
	if s.src == nil { // while hashing
		return fmt.Errorf("%s %w: %s (%v)", name, ErrChanged, detail, err)
	}
	return fmt.Errorf("%s %w (was SHA-256 %s): %s (%v)", name, ErrChanged, s.src.info.SHA256, detail, err)
}

// Close checks the file once more (see Check) and closes it. It returns
// the check's error, wrapping ErrChanged, when the file changed since it
// was hashed, so that a caller can verify at the end of a run that every
// read saw the hashed bytes; the file is closed either way. Readers
// handed out by the Set read nothing after Close. Calling Close again
// returns nil.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	checkErr := s.check()
	s.closed = true
	closeErr := s.src.close()
	if checkErr != nil {
		return fmt.Errorf("read eval set: %w", checkErr)
	}
	if closeErr != nil {
		return fmt.Errorf("read eval set: %w", closeErr)
	}
	return nil
}
