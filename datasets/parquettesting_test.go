package datasets

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParquetTestingNeverPanics runs Inspect, Validate and a full Scan on
// every file of Apache parquet-testing (data/ and bad_data/, recursively,
// whatever the extension). Each must finish within the timeout, without a
// panic, and either describe the file or reject it with an error that
// names the file.
func TestParquetTestingNeverPanics(t *testing.T) {
	root := sharedData(t, "parquet-testing")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found %d files under %s, want the whole of parquet-testing", len(files), root)
	}
	const timeout = 20 * time.Second
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			type outcome struct {
				inspectErr, validateErr, scanErr error
				report                           Report
				panicked                         any
			}
			done := make(chan outcome, 1)
			go func() {
				var o outcome
				defer func() {
					o.panicked = recover()
					done <- o
				}()
				o.report, o.inspectErr = Inspect(path)
				if o.inspectErr == nil {
					o.inspectErr = o.report.WriteText(io.Discard)
				}
				_, o.validateErr = Validate(path)
				if r, err := Open(path); err != nil {
					o.scanErr = err
				} else {
					for r.Scan() {
					}
					o.scanErr = r.Err()
					r.Close()
				}
			}()
			var o outcome
			select {
			case o = <-done:
			case <-time.After(timeout):
				t.Fatalf("%s: no answer within %v", rel, timeout)
			}
			if o.panicked != nil {
				t.Fatalf("%s: panic: %v", rel, o.panicked)
			}
			name := filepath.Base(path)
			for _, err := range []error{o.inspectErr, o.validateErr, o.scanErr} {
				if err != nil && !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name the file %s", err, name)
				}
			}
			if strings.HasSuffix(name, ".parquet.encrypted") && !errors.Is(o.inspectErr, ErrUnsupported) {
				t.Errorf("Inspect: got %v, want an ErrUnsupported error for an encrypted file", o.inspectErr)
			}
			if o.inspectErr == nil && len(o.report.Columns) == 0 && o.report.Rows > 0 {
				t.Errorf("Inspect described %d rows and no columns", o.report.Rows)
			}
		})
	}
}
