package datasets

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// switchable is an io.ReaderAt over data that fails every read once
// replaced is set, as an ETag-pinned read of a replaced object does.
type switchable struct {
	data     []byte
	replaced atomic.Bool
	closed   atomic.Bool
}

func (s *switchable) ReadAt(p []byte, off int64) (int, error) {
	if s.replaced.Load() {
		return 0, errors.New("HTTP 412 PreconditionFailed")
	}
	return bytes.NewReader(s.data).ReadAt(p, off)
}

func (s *switchable) changed() (string, error) {
	if s.replaced.Load() {
		return "its ETag went from \"a\" to \"b\" (replaced)", nil
	}
	return "", nil
}

// TestOpenSetAt opens a set through an io.ReaderAt with a change check:
// it reads and hashes as the file does, and once the source is replaced
// every check and every failed read is an ErrChanged naming it.
func TestOpenSetAt(t *testing.T) {
	path := writeManyItems(t, 2000, setItem)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	local, err := OpenSet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()

	src := &switchable{data: data}
	const name = "s3://evals/sets/many.parquet"
	s, err := OpenSetAt(Remote{Name: name, ReaderAt: src, Size: int64(len(data)), Changed: src.changed,
		Close: func() error { src.closed.Store(true); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().SHA256 != local.Info().SHA256 || s.Info().Rows != 2000 || s.Info().Path != name {
		t.Fatalf("Info = %+v; want the local file's digest and rows, named %s", s.Info(), name)
	}
	r, err := s.Reader()
	if err != nil {
		t.Fatal(err)
	}
	items, err := scanItems(r)
	r.Close()
	if err != nil || len(items) != 2000 {
		t.Fatalf("read %d items: %v", len(items), err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check on an unchanged source: %v", err)
	}

	r, err = s.Reader()
	if err != nil {
		t.Fatal(err)
	}
	src.replaced.Store(true)
	_, err = scanItems(r)
	r.Close()
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "ETag") {
		t.Errorf("reading a replaced source: %v; want ErrChanged naming %s", err, name)
	}
	if err := s.Check(); !errors.Is(err, ErrChanged) {
		t.Errorf("Check on a replaced source: %v; want ErrChanged", err)
	}
	if err := s.Close(); !errors.Is(err, ErrChanged) || !src.closed.Load() {
		t.Errorf("Close: %v (closed %v); want ErrChanged and the source closed", err, src.closed.Load())
	}
}
