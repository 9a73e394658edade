// Package inputfile reads the small files evalgate takes whole — configs,
// keys, signed envelopes, the reports of a history folder — with a size
// limit, and only when they are regular files: a config pointed at
// /dev/zero, a 1 GB envelope or a FIFO in a history folder is an error
// naming the file and the limit, within bounded time and memory, instead
// of a hang or an out-of-memory crash. Large inputs (eval sets, results,
// logs) are not read whole: the datasets package streams them.
package inputfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Limits of the files read whole, in bytes.
const (
	// MaxConfig bounds a config file.
	MaxConfig = 4 << 20
	// MaxKey bounds a PEM key file.
	MaxKey = 1 << 20
	// MaxEnvelope bounds a signed envelope (report.dsse.json,
	// drift.dsse.json) and a report.json; the quickstart's is about 0.2 MB.
	MaxEnvelope = 64 << 20
)

var (
	// ErrTooLarge marks a file over its limit.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular marks a path that is not a regular file (a device, a
	// FIFO, a socket, a directory).
	ErrNotRegular = errors.New("not a regular file")
)

// Read reads the regular file at path whole, refusing it when it is not a
// regular file or holds more than limit bytes; what names the file's role
// in messages ("config", "key", "envelope"). A FIFO is refused without
// blocking.
func Read(path, what string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: %w: %s", what, path, ErrNotRegular, kind(st.Mode()))
	}
	// O_NONBLOCK: should the path become a FIFO after the Stat, opening it
	// does not wait for a writer; the Stat below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, path, what, limit)
}

// ReadFS is Read for a file of fsys.
func ReadFS(fsys fs.FS, name, what string, limit int64) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: %w: %s", what, name, ErrNotRegular, kind(st.Mode()))
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, name, what, limit)
}

// read reads f, which was opened as name, up to limit bytes.
func read(f fs.File, name, what string, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: %w: %s", what, name, ErrNotRegular, kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s %s: %w: %d bytes, over the limit of %d", what, name, ErrTooLarge, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit { // it grew after the Stat
		return nil, fmt.Errorf("%s %s: %w: over the limit of %d bytes", what, name, ErrTooLarge, limit)
	}
	return data, nil
}

// SHA256 is the hex SHA-256 of the regular file at path, read as it
// streams (a results file of any size), so that it can be matched to a
// signed subject.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", err
	} else if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %w: %s", path, ErrNotRegular, kind(st.Mode()))
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// kind says in words what a file that is not regular is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
