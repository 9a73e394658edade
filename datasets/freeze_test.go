package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// copyFile copies src into a new temporary directory and returns the copy's path.
func copyFile(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestFreeze(t *testing.T) {
	own := func(t *testing.T) string {
		return writeItemsFile(t, "own.parquet", sampleItems(), []string{"gender", "locale"},
			map[string]string{"owner": "support", MetaName: "old-name"})
	}
	duckdb := func(file string) func(t *testing.T) string {
		return func(t *testing.T) string { return copyFile(t, sharedData(t, "interop", file)) }
	}
	tests := []struct {
		name     string
		src      func(t *testing.T) string
		inPlace  bool
		keepMeta map[string]string
	}{
		{name: "own file to a new path", src: own, keepMeta: map[string]string{"owner": "support"}},
		{name: "own file in place", src: own, inPlace: true, keepMeta: map[string]string{"owner": "support"}},
		{name: "DuckDB lists, 3 row groups", src: duckdb("qa-duckdb-snappy.parquet"), inPlace: true},
		{name: "DuckDB string context with nulls", src: duckdb("qa-duckdb-nulls-stringcontext.parquet")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src(t)
			before, beforeInfo, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			dst := src
			if !tt.inPlace {
				dst = filepath.Join(t.TempDir(), "frozen.parquet")
			}
			info, err := Freeze(src, dst, "refunds", "2026.10.1")
			if err != nil {
				t.Fatal(err)
			}
			after, afterInfo, err := readAll(t, dst)
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != "refunds" || info.Version != "2026.10.1" || afterInfo.Name != "refunds" || afterInfo.Version != "2026.10.1" {
				t.Errorf("identity: Freeze returned %q %q, Open sees %q %q", info.Name, info.Version, afterInfo.Name, afterInfo.Version)
			}
			if info.SHA256 == beforeInfo.SHA256 {
				t.Error("the digest did not change")
			}
			if info.SHA256 != afterInfo.SHA256 {
				t.Errorf("Freeze returned digest %s, the file has %s", info.SHA256, afterInfo.SHA256)
			}
			diffItems(t, after, before)
			if !reflect.DeepEqual(afterInfo.Columns, beforeInfo.Columns) {
				t.Errorf("schema changed:\n got %v\nwant %v", afterInfo.Columns, beforeInfo.Columns)
			}
			if afterInfo.RowGroups != beforeInfo.RowGroups {
				t.Errorf("got %d row groups, want %d", afterInfo.RowGroups, beforeInfo.RowGroups)
			}
			for k, v := range tt.keepMeta {
				if afterInfo.Metadata[k] != v {
					t.Errorf("metadata %q = %q, want %q kept", k, afterInfo.Metadata[k], v)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(dst))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}

			// Freezing is deterministic: the same input gives the same digest.
			again := filepath.Join(t.TempDir(), "again.parquet")
			info2, err := Freeze(dst, again, "refunds", "2026.10.1")
			if err != nil {
				t.Fatal(err)
			}
			if info2.SHA256 != info.SHA256 {
				t.Errorf("re-freezing gave digest %s, want %s", info2.SHA256, info.SHA256)
			}
		})
	}
}

func TestFreezeRefuses(t *testing.T) {
	dup := writeItemsFile(t, "dup.parquet", []records.Item{{ID: "a", Input: "x"}, {ID: "a", Input: "y"}}, nil, nil)
	good := writeItemsFile(t, "good.parquet", []records.Item{{ID: "a", Input: "x"}}, nil, nil)
	tests := []struct {
		name                string
		src                 string
		setName, setVersion string
		is                  error
		text                string
	}{
		{"invalid set", dup, "n", "v", ErrDuplicateID, `duplicate id "a" first seen at row 0`},
		{"empty name", good, "", "v", nil, "freeze eval set: empty name"},
		{"empty version", good, "n", "", nil, "freeze eval set: empty version"},
		{"missing file", good + ".missing", "n", "v", nil, "good.parquet.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out.parquet")
			_, err := Freeze(tt.src, dst, tt.setName, tt.setVersion)
			if err == nil {
				t.Fatal("got no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "freeze eval set: ") {
				t.Errorf("error %q, want it to contain %q", err, tt.text)
			}
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("dst exists after a failed Freeze (stat error %v)", err)
			}
		})
	}
}
