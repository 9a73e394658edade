package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalgate/evalgate/drift"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// goldenDriftReport is the drift package's golden drift.json, decoded:
// renderers work from the document, as evalgate drift's files are made
// from drift.json.
func goldenDriftReport(t *testing.T) *drift.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "drift", "testdata", "drift.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := drift.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func feature(t *testing.T, r *drift.Report, name string) drift.FeatureDrift {
	t.Helper()
	for _, f := range r.Features {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no feature %s among %+v (skipped %+v)", name, r.Features, r.Skipped)
	return drift.FeatureDrift{}
}
