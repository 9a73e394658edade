package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	os.WriteFile(small, []byte("a: 1\n"), 0o644)
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, 101), 0o644)
	fifo := filepath.Join(dir, "fifo.dsse.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero.dsse.json")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr error
	}{
		{"regular file", small, "a: 1\n", nil},
		{"over the limit", big, "", ErrTooLarge},
		{"FIFO", fifo, "", ErrNotRegular},
		{"link to /dev/zero", link, "", ErrNotRegular},
		{"directory", dir, "", ErrNotRegular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				got, err = Read(tt.path, "config", 100)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Read did not return: it blocked")
			}
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && tt.wantErr != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestReadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"a.dsse.json":   {Data: []byte("{}")},
		"big.dsse.json": {Data: make([]byte, 11)},
		"d.dsse.json":   {Mode: os.ModeDir},
		"p.dsse.json":   {Mode: os.ModeNamedPipe},
	}
	tests := []struct {
		name    string
		wantErr error
	}{
		{"a.dsse.json", nil},
		{"big.dsse.json", ErrTooLarge},
		{"d.dsse.json", ErrNotRegular},
		{"p.dsse.json", ErrNotRegular},
	}
	for _, tt := range tests {
		if _, err := ReadFS(fsys, tt.name, "envelope", 10); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}
