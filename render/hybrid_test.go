package render

import (
	"io"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// TestHybridGolden renders a method-hybrid report: the answers escalated
// to the judge with their tokens and cost, and what the lexical verdicts
// mean per task (the calibration), in every human format, the same from
// the decoded report.json.
func TestHybridGolden(t *testing.T) {
	checkRoundTripGoldens(t, reportstest.HybridReport(t),
		[]string{"went to the judge", "4100 prompt", "230 completion", "0.0123 USD", "precision about 0.61 and recall about 0.55", "5-fold cross-validation"},
		map[string]func(io.Writer, *reports.Report) error{
			"report-hybrid.md":          WriteMarkdown,
			"report-hybrid.html":        WriteHTML,
			"report-hybrid.summary.txt": WriteSummary,
		})
}
