package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockOut checks the output directory's lock: a second taker is
// refused as ErrInput naming the holder, a released lock can be taken
// again, and a lock file whose process is gone is taken over with a note.
func TestLockOut(t *testing.T) {
	dir := t.TempDir()
	var notes strings.Builder
	logf := func(format string, args ...any) { fmt.Fprintf(&notes, format, args...) }
	l, err := lockOut(dir, logf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockOut(dir, logf)
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d on host", os.Getpid())) {
		t.Errorf("second lock: %v, want ErrInput naming this process", err)
	}
	l.release()
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file left after release (err %v)", err)
	}
	l, err = lockOut(dir, logf)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.release()
	if notes.Len() > 0 {
		t.Errorf("notes %q for locks nobody else held", notes.String())
	}

	// A run killed with its lock file in place: flock went with it.
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte("pid 4242\nhost old\nstarted 2026-01-02T03:04:05Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = lockOut(dir, logf)
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	defer l.release()
	if !strings.Contains(notes.String(), "took over the lock") || !strings.Contains(notes.String(), "pid 4242 on host old, started 2026-01-02T03:04:05Z") {
		t.Errorf("notes %q: want the stale holder named", notes.String())
	}
	b, _ := io.ReadAll(io.NewSectionReader(l.f, 0, 1<<10))
	if !strings.HasPrefix(string(b), fmt.Sprintf("pid %d\n", os.Getpid())) {
		t.Errorf("lock file %q does not record this process", b)
	}
}
