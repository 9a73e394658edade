package metrics

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps metrics a statistics package: it may import the
// standard library, gonum and records, and nothing that reads files
// (Parquet, protobuf, YAML) or talks to a model.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot list metrics' dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		switch {
		case !strings.Contains(first, "."): // the standard library
		case strings.HasPrefix(dep, "gonum.org/v1/gonum/"):
		case dep == "github.com/evalgate/evalgate/metrics", dep == "github.com/evalgate/evalgate/records":
		default:
			t.Errorf("metrics depends on %s; want only the standard library, gonum and records", dep)
		}
	}
}
