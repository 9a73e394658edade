package render

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// TestHybridGolden renders a method-hybrid report: the answers escalated
// to the judge with their tokens and cost, and what the lexical verdicts
// mean per task (the calibration), in every human format, the same from
// the decoded report.json.
func TestHybridGolden(t *testing.T) {
	r := reportstest.HybridReport(t)
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file  string
		write func(io.Writer, *reports.Report) error
	}{
		{"report-hybrid.md", WriteMarkdown},
		{"report-hybrid.html", WriteHTML},
		{"report-hybrid.summary.txt", WriteSummary},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.write(&a, r); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"went to the judge", "4100 prompt", "230 completion", "0.0123 USD", "precision about 0.61 and recall about 0.55", "5-fold cross-validation"} {
				if !strings.Contains(a.String(), want) {
					t.Errorf("%s lacks %q", tt.file, want)
				}
			}
			golden.Check(t, tt.file, a.Bytes())
			if err := tt.write(&b, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("rendering the decoded report.json gives other bytes")
			}
		})
	}
}
