package datasets

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestInspectGolden compares whole reports with golden files. The inputs
// are the DuckDB files, whose bytes never change; Path is shortened to the
// base name so that the report does not depend on where the data sits.
func TestInspectGolden(t *testing.T) {
	tests := []struct {
		file   string
		golden string
	}{
		{"qa-duckdb-snappy.parquet", "inspect-qa-duckdb-snappy.golden"},
		{"qa-duckdb-nulls-stringcontext.parquet", "inspect-qa-duckdb-nulls-stringcontext.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep, err := Inspect(sharedData(t, "interop", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rep.Path = tt.file
			var buf bytes.Buffer
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("report differs from %s (run go test -update after checking):\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestInspectStats(t *testing.T) {
	items := []records.Item{
		{ID: "a", Input: "x", Task: "t1", Extra: map[string]string{"grp": "g1", "note": "n\tl"}},
		{ID: "b", Input: "x", Task: "t2", Extra: map[string]string{"grp": "g1"}},
		{ID: "c", Input: "y", Extra: map[string]string{"grp": "g2"}},
	}
	path := writeItemsFile(t, "stats.parquet", items, []string{"grp", "note"},
		map[string]string{MetaName: "stats", MetaVersion: "3", "comment": "line one\nline two"})
	rep, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]StringStats{
		"id":            {Name: "id", Distinct: 3},
		"input":         {Name: "input", Distinct: 2},
		"system":        {Name: "system", Nulls: 3},
		"task":          {Name: "task", Distinct: 2, Nulls: 1},
		"output":        {Name: "output", Nulls: 3},
		"model_version": {Name: "model_version", Nulls: 3},
		"expected":      {Name: "expected", Nulls: 3},
		"grp":           {Name: "grp", Distinct: 2},
		"note":          {Name: "note", Distinct: 1, Nulls: 2},
	}
	if len(rep.Strings) != len(want) {
		t.Errorf("got %d string columns, want %d: %+v", len(rep.Strings), len(want), rep.Strings)
	}
	for _, s := range rep.Strings {
		if s != want[s.Name] {
			t.Errorf("column %q: got %+v, want %+v", s.Name, s, want[s.Name])
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, sub := range []string{"name:     stats\n", "version:  3\n", `"line one\nline two"`, "rows:     3 in 1 row group\n"} {
		if !strings.Contains(text, sub) {
			t.Errorf("report lacks %q:\n%s", sub, text)
		}
	}
	// 6 header lines, a blank line, the column table with its header, a
	// blank line, and the metadata table with its header: no value may
	// add a line of its own.
	if got, want := strings.Count(text, "\n"), 6+1+1+len(rep.Columns)+1+1+len(rep.Metadata); got != want {
		t.Errorf("got %d lines, want %d; a value broke the layout:\n%s", got, want, text)
	}
}

func TestInspectCapsDistinct(t *testing.T) {
	path := writeManyItems(t, MaxDistinct+10, func(i int) records.Item {
		return records.Item{ID: fmt.Sprintf("id-%d", i), Input: "same"}
	})
	rep, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Strings[0]
	if got.Name != "id" || !got.Capped || got.Distinct != MaxDistinct {
		t.Errorf("id stats = %+v, want capped at %d", got, MaxDistinct)
	}
	if in := rep.Strings[1]; in.Name != "input" || in.Capped || in.Distinct != 1 {
		t.Errorf("input stats = %+v, want 1 distinct value", in)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "≥100000") {
		t.Errorf("report does not show the capped count:\n%s", buf.String())
	}
}
