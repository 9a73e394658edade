// Package atomicfile writes files so that a reader never sees half of one:
// the bytes go to a temporary file beside the destination, which is synced
// and then renamed over it. A crash, a full disk or a kill -9 leaves the old
// file (or none) and at most a hidden temporary file, never a torn one.
//
// It is the one way evalgate writes a file it produces: results, reports,
// signatures, review files, frozen and sampled eval sets, cache entries.
package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// File is a file being written; its bytes appear at its path only when
// Commit succeeds. Write to it, then call Commit, or Abort to give up; a
// deferred Abort after Commit does nothing.
type File struct {
	// Sync, true by default, makes Commit sync the file to disk before
	// the rename, so that a crash after Commit cannot leave an empty file
	// at path. A cache whose entries are worth only a future call may
	// turn it off; the rename is atomic either way.
	Sync bool

	path string
	perm os.FileMode
	tmp  *os.File
	sum  hash.Hash
	w    io.Writer
	done bool
	err  error // the first write error
}

// Create starts writing path, which gets permissions perm exactly (the
// umask does not apply). The directory must exist.
func Create(path string, perm os.FileMode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	f := &File{Sync: true, path: path, perm: perm, tmp: tmp, sum: sha256.New()}
	f.w = io.MultiWriter(tmp, f.sum)
	return f, nil
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = fmt.Errorf("write %s: %w", f.path, err)
		return n, f.err
	}
	return n, nil
}

// SHA256 is the hex SHA-256 of the bytes written so far.
func (f *File) SHA256() string { return hex.EncodeToString(f.sum.Sum(nil)) }

// Path is the destination path.
func (f *File) Path() string { return f.path }

// Commit syncs the temporary file and renames it over the destination. After
// a failed Commit the destination is unchanged and the temporary file gone.
func (f *File) Commit() error { return f.commit(false) }

// CommitNew is Commit for a destination that must not exist yet (a key):
// it links the synced file into place, which fails, leaving what is there,
// when the destination exists, even if another process created it a
// moment ago.
func (f *File) CommitNew() error { return f.commit(true) }

func (f *File) commit(exclusive bool) error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	f.done = true
	err := f.err
	if err == nil {
		err = f.tmp.Chmod(f.perm)
	}
	if err == nil && f.Sync {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil && exclusive:
		err = os.Link(f.tmp.Name(), f.path)
		os.Remove(f.tmp.Name())
	case err == nil:
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		if f.err != nil {
			return f.err
		}
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort removes the temporary file, leaving the destination unchanged. It
// does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// WriteNew writes data to path atomically with permissions perm, failing
// (an error wrapping fs.ErrExist) when path exists; see CommitNew.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.CommitNew()
}

// WriteFile writes data to path atomically with permissions perm and
// returns its hex SHA-256.
func WriteFile(path string, data []byte, perm os.FileMode) (string, error) {
	f, err := Create(path, perm)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := f.Commit(); err != nil {
		return "", err
	}
	return f.SHA256(), nil
}
