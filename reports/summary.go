package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/evalgate/evalgate/metrics"
)

// WriteSummary writes the terminal summary of r: identities, the headline
// metrics with intervals, the per-group and per-task tables, the regression,
// every gate rule and the verdict. Model-written text never appears in it.
func WriteSummary(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	withProd := func(cells []string, prod string) []string {
		if r.Production != nil {
			cells = append(cells, prod)
		}
		return cells
	}

	fmt.Fprintf(tw, "evalgate %s — %s %s (%d rows, sha256 %s)\n", r.Harness.Version, orDash(r.Dataset.Name), orDash(r.Dataset.Version), r.Dataset.Rows, short(r.Dataset.SHA256))
	row("candidate", r.Candidate.Provider, r.Candidate.Version)
	if p := r.Production; p != nil {
		row("production", p.Provider, p.Version)
	}
	row()
	acc := r.Metrics.Accuracy
	var prod ModelRun
	if r.Production != nil {
		prod = *r.Production
	}
	row(withProd([]string{"metric", "candidate"}, "production")...)
	row(withProd([]string{"accuracy (" + acc.Method + ")", acc.Overall.String()}, prod.Accuracy.Overall.String())...)
	for _, s := range acc.ByTask {
		row(withProd([]string{"  task " + s.Name, s.Accuracy.String()}, sliceOf(prod.Accuracy.ByTask, s.Name))...)
	}
	row(withProd([]string{"errors", fmt.Sprintf("%d/%d", r.Candidate.Errors, r.Candidate.Calls)}, fmt.Sprintf("%d/%d", prod.Errors, prod.Calls))...)
	row(withProd([]string{"tokens", fmt.Sprint(r.Candidate.PromptTokens + r.Candidate.CompletionTokens)}, fmt.Sprint(prod.PromptTokens+prod.CompletionTokens))...)
	row(withProd([]string{"retries / cached / resumed", callCounts(r.Candidate)}, callCounts(prod))...)
	row(withProd([]string{"latency p50 / p95 / p99 ms", latencyText(r.Candidate.Latency)}, latencyText(prod.Latency))...)
	if r.Candidate.Cost != nil || prod.Cost != nil {
		row(withProd([]string{"cost at list price", costText(r.Candidate.Cost)}, costText(prod.Cost))...)
	}
	level := fmt.Sprintf("%.0f%%", acc.Overall.Level*100)
	for _, g := range r.Metrics.Fairness {
		row()
		row(withProd([]string{"group " + g.Column, "accuracy, " + level + " interval"}, "production")...)
		for _, grp := range g.Groups {
			flag := ""
			if grp.Small {
				flag = "  (small: not gated)"
			}
			row(withProd([]string{"  " + grp.Value, grp.Accuracy.String() + flag}, groupBaseline(r.Metrics.Regression, g.Column, grp.Value))...)
		}
		for _, d := range g.Disparities {
			if d.Metric == "accuracy" && !math.IsNaN(d.Gap.Value) {
				row("  accuracy gap", fmt.Sprintf("%s (%s − %s), ratio %s", estText(d.Gap), d.Highest, d.Lowest, estText(d.Ratio)))
			}
		}
		if g.PositiveLabel != "" {
			four := ""
			if g.MeetsFourFifths != nil && !*g.MeetsFourFifths {
				four = "  (below four-fifths)"
			}
			row("  demographic parity diff.", estText(g.DemographicParityDifference))
			row("  disparate impact", estText(g.DisparateImpact)+four)
			row("  equalized odds diff.", estText(g.EqualizedOddsDifference))
		}
	}
	if reg := r.Metrics.Regression; reg != nil {
		row()
		row("regression vs production", fmt.Sprintf("%s accuracy on %d paired results, McNemar p = %s",
			estText(metrics.Estimate{Value: reg.Delta, Low: reg.DeltaLow, High: reg.DeltaHigh}), reg.Pairs, pText(reg.McNemarP)))
		row("  right → wrong", fmt.Sprint(len(reg.RightToWrong)))
		row("  wrong → right", fmt.Sprint(len(reg.WrongToRight)))
		var worst *metrics.GroupDelta
		for i, gd := range reg.ByGroup {
			if !gd.Small && !math.IsNaN(gd.Delta.Value) && (worst == nil || gd.Delta.Value < worst.Delta.Value) {
				worst = &reg.ByGroup[i]
			}
		}
		if worst != nil {
			row("  weakest group", fmt.Sprintf("%s=%s: %s", worst.Column, worst.Value, estText(worst.Delta)))
		}
	}
	if l := r.Metrics.Labels; l != nil {
		row()
		row("labels", fmt.Sprintf("macro-F1 %.3f, accuracy %s", l.MacroF1, l.Accuracy))
		for _, cm := range l.PerClass {
			row("  "+cm.Class, fmt.Sprintf("precision %.3f  recall %.3f  F1 %.3f  (support %d)", cm.Precision, cm.Recall, cm.F1, cm.Support))
		}
	}
	if rp := r.Metrics.Repeats; rp != nil {
		row()
		row(fmt.Sprintf("repeats (%d samples)", rp.MaxSamples), fmt.Sprintf("mean accuracy %s", rp.MeanAccuracy))
		row("  majority vote", rp.MajorityAccuracy.String())
		row("  consistency", fmt.Sprintf("%.3f (%d items not unanimous)", rp.MeanConsistency, rp.Inconsistent))
		for _, pk := range rp.PassAtK {
			row(fmt.Sprintf("  pass@%d", pk.K), fmt.Sprintf("%.3f", pk.Value))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\ngate\n")
	if len(r.Gate.Rules) == 0 {
		fmt.Fprintf(tw, "  (no rules: the gate allows everything)\n")
	}
	for _, rr := range r.Gate.Rules {
		mark := map[string]string{Pass: "PASS", Fail: "FAIL", NotEvaluated: "N/A "}[rr.Outcome]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, rr.Metric, rr.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	warnings := collectWarnings(r)
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\nwarnings\n")
		for _, m := range warnings {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
	status := ""
	if r.Status != Complete {
		status = fmt.Sprintf(" (run %s: %s)", r.Status, r.StatusReason)
	}
	_, err := fmt.Fprintf(w, "\nverdict: %s — %d of %d gate rules passed%s\n", r.Verdict, r.Gate.Passed, len(r.Gate.Rules), status)
	return err
}

// collectWarnings gathers every statistical caveat in the report, in a
// stable order.
func collectWarnings(r *Report) []string {
	var out []string
	for _, e := range r.Metrics.Accuracy.Warnings {
		out = append(out, "accuracy: "+e.Error())
	}
	for _, g := range r.Metrics.Fairness {
		for _, e := range g.Warnings {
			out = append(out, "fairness: "+e.Error())
		}
	}
	if l := r.Metrics.Labels; l != nil {
		for _, e := range l.Warnings {
			out = append(out, "labels: "+e.Error())
		}
	}
	if rp := r.Metrics.Repeats; rp != nil {
		for _, e := range rp.Warnings {
			out = append(out, "repeats: "+e.Error())
		}
	}
	if reg := r.Metrics.Regression; reg != nil {
		for _, e := range reg.Warnings {
			out = append(out, "regression: "+e.Error())
		}
	}
	return out
}

func sliceOf(slices []metrics.Slice, name string) string {
	for _, s := range slices {
		if s.Name == name {
			return s.Accuracy.String()
		}
	}
	return "-"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func callCounts(m ModelRun) string {
	return fmt.Sprintf("%d / %d / %d", m.Retries, m.Cached, m.Resumed)
}

func latencyText(l Latency) string {
	if l.P50 == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f", *l.P50, *l.P95, *l.P99)
}

func costText(c *Cost) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f %s", c.Total, c.Currency)
}

// estText formats an estimate as "0.178 [0.090, 0.266]".
func estText(e metrics.Estimate) string {
	if math.IsNaN(e.Value) {
		return "n/a"
	}
	if math.IsNaN(e.Low) {
		return fmt.Sprintf("%+.3f", e.Value)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", e.Value, e.Low, e.High)
}

// pText formats a p-value.
func pText(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 1e-4:
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

// groupBaseline is production's accuracy in one group, from the regression.
func groupBaseline(reg *metrics.Regression, column, value string) string {
	if reg == nil {
		return "-"
	}
	for _, gd := range reg.ByGroup {
		if gd.Column == column && gd.Value == value {
			return gd.Baseline.String()
		}
	}
	return "-"
}
