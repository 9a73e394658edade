package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBoundedInputs feeds every command that reads a file whole an input
// with no bound — /dev/zero, a 1 GB (sparse) envelope, a FIFO — and checks
// that each fails as bad input (exit 2) naming the file, or leaves the
// file out naming it, within 5 s and allocating under 200 MB.
func TestBoundedInputs(t *testing.T) {
	_, pub := keygen(t, "ed25519")
	dir := t.TempDir()
	huge := filepath.Join(dir, "report.dsse.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	hist := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(hist, "zero.dsse.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(hist, "fifo.dsse.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string // in stderr or stdout
	}{
		{"config /dev/zero", []string{"run", "-c", "/dev/zero", "--quiet"}, exitUsage, []string{"/dev/zero", "not a regular file"}},
		{"config FIFO", []string{"run", "-c", fifo, "--dry-run"}, exitUsage, []string{fifo, "not a regular file"}},
		{"1 GB envelope", []string{"verify", "--key", pub, huge}, exitUsage, []string{huge, "over the limit"}},
		{"key /dev/zero", []string{"verify", "--key", "/dev/zero", huge}, exitUsage, []string{"/dev/zero", "not a regular file"}},
		{"report FIFO", []string{"report", "render", fifo, "--format", "md"}, exitUsage, []string{fifo, "not a regular file"}},
		{"history of a link to /dev/zero and a FIFO", []string{"history", hist, "--key", pub, "--out", t.TempDir()}, exitBlock,
			[]string{"zero.dsse.json", "fifo.dsse.json", "not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			res := runCLI(t, context.Background(), nil, tt.args...)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", res.code, tt.code, res.stdout, res.stderr)
			}
			out := res.stdout + res.stderr
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if took > 5*time.Second {
				t.Errorf("took %s, want under 5 s", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
				t.Errorf("allocated %d MB, want under 200 MB", alloc>>20)
			}
		})
	}
}
