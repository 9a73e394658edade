package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the file in an output directory that marks it as taken by a
// run, so that two runs never share one directory (and pay for each
// call twice). It records the holder's pid, host and start time.
const LockFile = ".evalgate.lock"

// outLock is a run's hold on its output directory.
type outLock struct {
	f    *os.File
	path string
}

// lockOut takes dir for this process: the lock file is created with
// O_EXCL and, where the system has flock, locked with it, so that a lock
// left by a process that died (flock released with it) is taken over
// with a note to log; a lock held by a live run is an ErrInput naming its
// holder.
func lockOut(dir string, log func(format string, args ...any)) (*outLock, error) {
	path := filepath.Join(dir, LockFile)
	for range 5 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		created := err == nil
		if errors.Is(err, fs.ErrExist) {
			f, err = os.OpenFile(path, os.O_RDWR, 0)
			if errors.Is(err, fs.ErrNotExist) {
				continue // released between the two opens
			}
		}
		if err != nil {
			return nil, runErr(fmt.Errorf("lock output directory: %w", err))
		}
		held, err := tryLock(f, created)
		if err != nil {
			f.Close()
			return nil, runErr(fmt.Errorf("lock output directory: %s: %w", path, err))
		}
		if !held {
			holder := readHolder(f)
			f.Close()
			return nil, inputErr(fmt.Errorf("output directory %s is in use by another evalgate run (%s, lock file %s); wait for it to finish or choose another --out", dir, holder, path))
		}
		// The holder before us may have removed the file between our open
		// and our lock: then we hold a lock on a file nobody else sees.
		if !samePath(f, path) {
			f.Close()
			continue
		}
		if !created {
			log("evalgate: note: took over the lock on %s left by a run that is gone (%s)\n", dir, readHolder(f))
		}
		host, _ := os.Hostname()
		record := fmt.Sprintf("pid %d\nhost %s\nstarted %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(record), 0)
		}
		if err != nil {
			f.Close()
			os.Remove(path)
			return nil, runErr(fmt.Errorf("lock output directory: %s: %w", path, err))
		}
		return &outLock{f: f, path: path}, nil
	}
	return nil, runErr(fmt.Errorf("lock output directory: %s keeps changing under another run", path))
}

// release removes the lock file, then lets go of the lock.
func (l *outLock) release() {
	os.Remove(l.path)
	l.f.Close()
}

// samePath reports whether f is still the file at path.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// readHolder describes the run recorded in a lock file: "pid 12 on host
// h, started 2026-…".
func readHolder(f *os.File) string {
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	var pid, host, started string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "pid":
			pid = v
		case "host":
			host = v
		case "started":
			started = v
		}
	}
	if pid == "" {
		return "holder unknown: the lock file records no pid"
	}
	return fmt.Sprintf("pid %s on host %s, started %s", lockText(pid), lockText(host), lockText(started))
}

// lockText drops control characters from text read from a file.
func lockText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
