package render

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// WriteSummary writes the terminal summary of r: identities, the headline
// metrics with intervals, the per-group and per-task tables, the
// regression, groundedness, boundary violations, personal data, the
// answers routed to review, the control-chart flags, every gate rule and
// the verdict. Text from a config, a dataset or a model (names, claims,
// details) goes through termSafe, so that it cannot move the cursor,
// recolour or retitle the terminal, or break the columns.
func WriteSummary(w io.Writer, r *reports.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = termSafe(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	withProd := func(cells []string, prod string) []string {
		if r.Production != nil {
			cells = append(cells, prod)
		}
		return cells
	}

	fmt.Fprintf(tw, "evalgate %s — %s %s (%d rows, sha256 %s)\n", termSafe(r.Harness.Version), termSafe(orDash(r.Dataset.Name)), termSafe(orDash(r.Dataset.Version)), r.Dataset.Rows, termSafe(short(r.Dataset.SHA256)))
	row("candidate", r.Candidate.Provider, r.Candidate.Version)
	if p := r.Production; p != nil {
		row("production", p.Provider, p.Version)
	}
	for _, line := range cacheLines(r) {
		fmt.Fprintf(tw, "cache  %s\n", termSafe(line))
	}
	if line := shardsLine(r); line != "" {
		fmt.Fprintf(tw, "shards  %s\n", termSafe(line))
	}
	row()
	acc := r.Metrics.Accuracy
	var prod reports.ModelRun
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
		row(withProd([]string{"group " + g.Column, "accuracy, " + level + " simultaneous interval"}, "production")...)
		for _, grp := range g.Groups {
			flag := ""
			if grp.Small {
				flag = "  (small: not gated)"
			}
			row(withProd([]string{"  " + grp.Value, grp.Accuracy.String() + flag}, groupBaseline(r.Metrics.Regression, g.Column, grp.Value))...)
		}
		if g.PositiveLabel != "" {
			for _, grp := range g.Groups {
				var cells []string
				for _, r := range []struct {
					name string
					rate *metrics.GroupRate
				}{{"selection", grp.SelectionRate}, {"TPR", grp.TPR}, {"FPR", grp.FPR}, {"FNR", grp.FNR}} {
					cell := r.name + " " + rateCell(r.rate.Proportion)
					if r.rate.Small && !grp.Small {
						cell += " (small)"
					}
					cells = append(cells, cell)
				}
				row("  "+grp.Value, strings.Join(cells, "  "))
			}
		}
		for _, d := range g.Disparities {
			name := "  " + metricLabel(d.Metric) + " gap"
			if math.IsNaN(d.Gap.Value) {
				row(name, "n/a: "+d.Why)
				continue
			}
			row(name, fmt.Sprintf("%s (%s), ratio %s, equality %s", estText(d.Gap), endsText(d, " to "), estText(d.Ratio), testText(d.Test)))
		}
		if g.PositiveLabel != "" {
			four := ""
			if g.MeetsFourFifths != nil && !*g.MeetsFourFifths {
				four = "  (below four-fifths)"
			}
			row("  disparate impact", estText(g.DisparateImpact)+four)
			row("  equalized odds diff.", estText(g.EqualizedOddsDifference))
		}
	}
	if reg := r.Metrics.Regression; reg != nil {
		row()
		row("regression vs production", fmt.Sprintf("%s accuracy on %d paired results, McNemar p = %s",
			estText(metrics.Estimate{Value: reg.Delta, Low: reg.DeltaLow, High: reg.DeltaHigh}), reg.Pairs, FormatP(reg.McNemarP)))
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
	summaryIntegrity(row, r)
	if err := tw.Flush(); err != nil {
		return err
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\ngate\n")
	if len(r.Gate.Rules) == 0 {
		fmt.Fprintf(tw, "  (no rules: the gate allows everything)\n")
	}
	for _, rr := range r.Gate.Rules {
		mark := map[string]string{reports.Pass: "PASS", reports.Fail: "FAIL", reports.NotEvaluated: "N/A "}[rr.Outcome]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, termSafe(rr.Metric), termSafe(ruleReason(r, rr)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	warnings := collectWarnings(r)
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\nwarnings\n")
		for _, m := range warnings {
			fmt.Fprintf(w, "  - %s\n", termSafe(m))
		}
	}
	status := ""
	if r.Status != reports.Complete {
		status = fmt.Sprintf(" (run %s: %s)", termSafe(r.Status), termSafe(r.StatusReason))
	}
	if r.Verdict == reports.None {
		_, err := fmt.Fprintf(w, "\nverdict: %s — no gate rules (--no-gate): this report neither allows nor blocks%s\n", termSafe(r.Verdict), status)
		return err
	}
	_, err := fmt.Fprintf(w, "\nverdict: %s — %d of %d gate rules passed%s\n", termSafe(r.Verdict), r.Gate.Passed, len(r.Gate.Rules), status)
	return err
}

// maxTermExamples is how many hallucinated answers and boundary
// violations the terminal summary quotes. termClip is the longest quote,
// termName the longest rule, reason or metric name and termID the longest
// item id it prints, in code points, so that one long string does not
// widen a column past the screen.
const (
	maxTermExamples = 3
	termClip        = 100
	termName        = 48
	termID          = 24
)

// summaryIntegrity writes the groundedness, boundary, PII, review and
// control-chart lines of the terminal summary; row makes every cell
// terminal-safe.
func summaryIntegrity(row func(...string), r *reports.Report) {
	if g := r.Metrics.Groundedness; g != nil {
		row()
		rate := "n/a (no answer checked)"
		if g.Rate.N > 0 {
			rate = g.Rate.String()
		}
		counts := fmt.Sprintf("%d hallucinated, %d abstained", len(g.Hallucinated), g.Abstained)
		if g.Errors > 0 {
			counts += fmt.Sprintf(", %d not checked", g.Errors)
		}
		row("groundedness ("+orDash(g.Method)+")", rate+"  "+counts)
		if j := r.Judge; j != nil {
			row("  judge", reports.ModelIdentity(reports.ModelRun{Model: j.Model, Version: j.Version})+" ("+j.Provider+"): "+judgeCalls(j))
		}
		if line := judgeUseLine(g.Method, g.Judge); line != "" {
			row("  judge use", line)
		}
		for _, c := range g.Calibration {
			row("  calibration", calibrationLine(c))
		}
		if worst := weakestGroundSlice(g); worst != "" {
			row("  weakest slice", worst)
		}
		for i, h := range g.Hallucinated {
			if i == maxTermExamples {
				row("", fmt.Sprintf("… and %s in report.html", plural(len(g.Hallucinated)-i, "more hallucinated answer", "more hallucinated answers")))
				break
			}
			claim := "(no claim listed)"
			if len(h.Unsupported) > 0 {
				c := h.Unsupported[0]
				claim = "“" + clip(c.Text, termClip) + "”"
				if why := claimWhy(c); len(why) > 0 {
					claim += " — " + clip(why[0], termClip)
				}
			}
			row("  "+clip(h.ID, termID), fmt.Sprintf("hallucination %.2f of 1  %s", h.Score, claim))
		}
	}
	if b := r.Metrics.Boundaries; b != nil {
		row()
		row("boundaries", fmt.Sprintf("%s in %d of %d outputs", plural(b.Violations, "violation", "violations"), b.ViolatingItems, b.Checked))
		for _, rc := range b.Rules {
			if rc.Violations > 0 {
				row("  "+clip(rc.Rule, termName), fmt.Sprint(rc.Violations))
			}
		}
		shown := 0
		for _, it := range b.Items {
			for _, v := range it.Violations {
				if shown < maxTermExamples {
					row("  "+clip(it.ID, termID), clip(v.Rule, termName)+": "+clip(v.Detail, termClip))
				}
				shown++
			}
		}
		if shown > maxTermExamples {
			row("", fmt.Sprintf("… and %s in report.html", plural(shown-maxTermExamples, "more violation", "more violations")))
		}
	}
	if p := r.Metrics.PII; p != nil {
		row()
		var where []string
		for _, l := range p.Locations {
			where = append(where, fmt.Sprintf("%s %d", l.Location, l.Total))
		}
		line := plural(p.Total, "value", "values") + " (" + strings.Join(where, ", ") + ")"
		if r.Redacted {
			line += ", redacted in every file written"
		}
		row("personal data (pii)", line)
		if kinds := piiKinds(p); len(kinds) > 0 {
			var by []string
			for _, k := range kinds {
				by = append(by, fmt.Sprintf("%s %d", k, p.Counts[k]))
			}
			row("  by kind", strings.Join(by, ", "))
		}
	}
	if rv := r.Review; rv != nil {
		row()
		line := plural(rv.Routed, "answer", "answers")
		if rv.Routed > 0 {
			line += " (review.parquet)"
		}
		row("routed to review", line)
		for _, rc := range rv.ByReason {
			row("  "+clip(rc.Reason, termName), fmt.Sprint(rc.Count))
		}
	}
	if ps := r.History; len(ps) > 0 {
		row()
		bad := outOfControl(ps)
		if len(bad) == 0 {
			row("control charts", fmt.Sprintf("in control on %s", plural(len(ps), "metric", "metrics")))
		} else {
			row("control charts", fmt.Sprintf("%d of %d metrics OUT OF CONTROL", len(bad), len(ps)))
		}
		for _, p := range bad {
			row("  "+clip(p.Metric, termName), fmt.Sprintf("%s, limits [%s, %s], center %s: %s", reports.FormatNumber(p.Value), reports.FormatNumber(p.LCL), reports.FormatNumber(p.UCL), reports.FormatNumber(p.Center), signalsList(p.Signals)))
		}
	}
}

// weakestGroundSlice names the task or group value with the lowest
// groundedness rate, or "" when there is no slice or only one.
func weakestGroundSlice(g *integrity.Groundedness) string {
	type slice struct {
		name string
		rate metrics.Proportion
	}
	var all []slice
	for _, t := range g.ByTask {
		all = append(all, slice{"task " + t.Name, t.Rate})
	}
	for _, col := range g.ByGroup {
		for _, v := range col.Groups {
			all = append(all, slice{col.Column + "=" + v.Name, v.Rate})
		}
	}
	var worst *slice
	n := 0
	for i := range all {
		if all[i].rate.N == 0 || math.IsNaN(all[i].rate.Rate) {
			continue
		}
		n++
		if worst == nil || all[i].rate.Rate < worst.rate.Rate {
			worst = &all[i]
		}
	}
	if worst == nil || n < 2 || worst.rate.Rate == g.Rate.Rate {
		return ""
	}
	return worst.name + ": " + worst.rate.String()
}

// collectWarnings gathers every statistical caveat in the report, in a
// stable order.
func collectWarnings(r *reports.Report) []string {
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
	if g := r.Metrics.Groundedness; g != nil {
		for _, e := range g.Warnings {
			out = append(out, "groundedness: "+e.Error())
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

func callCounts(m reports.ModelRun) string {
	return fmt.Sprintf("%d / %d / %d", m.Retries, m.Cached, m.Resumed)
}

func latencyText(l reports.Latency) string {
	if l.P50 == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f", *l.P50, *l.P95, *l.P99)
}

func costText(c *reports.Cost) string {
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

// FormatP formats a p-value as every rendering writes it: four decimals,
// or scientific notation below 1e-4; n/a when undefined.
func FormatP(p float64) string {
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
