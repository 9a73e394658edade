package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/evalgate/evalgate/drift"
)

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
