package render

import (
	"fmt"

	"github.com/evalgate/evalgate/reports"
)

// mdExampleClip is the longest question, reference or answer report.md
// shows in an example, in code points.
const mdExampleClip = 400

// hallucinationScoreLabel says what a hallucination score means, for
// every format.
const hallucinationScoreLabel = "hallucination score, " + hallucinationScoreMeaning

// hallucinationScoreMeaning is what the score measures.
const hallucinationScoreMeaning = "0 to 1: how much of the answer its context does not support, 0 when every claim is supported, higher is worse"

// failuresFirst reports whether the failures are shown expanded, before
// everything else: on a BLOCK.
func failuresFirst(r *reports.Report) bool { return r.Verdict == reports.Block }

// mdExamples is the section of examples with their text: the first
// regressions (production right, candidate wrong) and the worst
// hallucinations. open shows it expanded (on a BLOCK, right after the
// rules); otherwise it is collapsed.
func mdExamples(r *reports.Report, open bool) []mdSection {
	ex := r.Examples
	if ex == nil {
		return nil
	}
	wrap := func(title, note string) mdSection {
		if open {
			return mdSection{title: title, open: fmt.Sprintf("\n### %s\n\n", title), close: ""}
		}
		return mdSection{title: title, open: fmt.Sprintf("\n<details><summary><b>%s</b>: %s</summary>\n\n", title, note), close: "\n</details>\n"}
	}
	var out []mdSection
	if len(ex.Regressions) > 0 {
		total := len(ex.Regressions)
		if reg := r.Metrics.Regression; reg != nil {
			total = reg.Counts.RightToWrong
		}
		s := wrap("Regressions: production right, candidate wrong", fmt.Sprintf("%d of %d with their text", len(ex.Regressions), total))
		s.lines = append(s.lines, fmt.Sprintf("The first %d of %d items production answered correctly and the candidate does not (texts clipped to %d characters; report.json holds them longer).", len(ex.Regressions), total, mdExampleClip), "",
			"| item | question | reference | candidate (wrong) | production (right) |", "| --- | --- | --- | --- | --- |")
		for _, e := range ex.Regressions {
			prod := "-"
			if e.Production != nil {
				prod = mdText(clip(*e.Production, mdExampleClip))
			}
			s.lines = append(s.lines, fmt.Sprintf("| `%s`%s | %s | %s | %s | %s |", mdCode(e.ID), sampleText(e.Sample, e.Sample > 0), mdText(clip(e.Input, mdExampleClip)), mdText(orDash(clip(e.Expected, mdExampleClip))), mdText(orDash(clip(e.Candidate, mdExampleClip))), prod))
		}
		out = append(out, s)
	}
	if len(ex.Hallucinations) > 0 {
		total := len(ex.Hallucinations)
		if g := r.Metrics.Groundedness; g != nil {
			total = len(g.Hallucinated)
		}
		s := wrap("Hallucinated answers with their text", fmt.Sprintf("%d of %d", len(ex.Hallucinations), total))
		s.lines = append(s.lines, fmt.Sprintf("The %d of %d hallucinated answers with the highest %s.", len(ex.Hallucinations), total, hallucinationScoreLabel), "",
			"| answer | hallucination score | question | reference | candidate answer |", "| --- | --- | --- | --- | --- |")
		for _, e := range ex.Hallucinations {
			score := "-"
			if e.HallucinationScore != nil {
				score = fmt.Sprintf("%.2f of 1", *e.HallucinationScore)
			}
			s.lines = append(s.lines, fmt.Sprintf("| `%s`%s | %s | %s | %s | %s |", mdCode(e.ID), sampleText(e.Sample, e.Sample > 0), score, mdText(clip(e.Input, mdExampleClip)), mdText(orDash(clip(e.Expected, mdExampleClip))), mdText(orDash(clip(e.Candidate, mdExampleClip)))))
		}
		out = append(out, s)
	}
	return out
}

// mdReviewDecisions is the section of reviewers' decisions counted from
// signed review records.
func mdReviewDecisions(d *reports.ReviewDecisions) mdSection {
	s := detailsNote("Reviewers' decisions", fmt.Sprintf("%d reviewed, %d accepted, %d rejected", d.Reviewed, d.Accepted, d.Rejected), reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, fmt.Sprintf("From %s of earlier reports on this eval set (evalgate review import): %d answers reviewed, %d accepted, %d rejected, %d escalated.",
		plural(d.Records, "signed review record", "signed review records"), d.Reviewed, d.Accepted, d.Rejected, d.Escalated))
	if len(d.Reviewers) > 0 {
		s.lines = append(s.lines, "", "| reviewer | key | reviewed | accepted | rejected | escalated |", "| --- | --- | --- | --- | --- | --- |")
		for _, rc := range d.Reviewers {
			s.lines = append(s.lines, fmt.Sprintf("| %s | `%s` | %d | %d | %d | %d |", mdText(rc.Reviewer), mdCode(rc.KeyID), rc.Reviewed, rc.Accepted, rc.Rejected, rc.Escalated))
		}
	}
	for _, sk := range d.Skipped {
		s.lines = append(s.lines, "", "Not counted: "+mdText(sk))
	}
	return s
}

// htmlExamples are the examples as report.html shows them.
type htmlExamples struct {
	Regressions, Hallucinations []htmlExample
	// RegressionsTotal and HallucinationsTotal count all of each kind.
	RegressionsTotal, HallucinationsTotal int
	ScoreLabel                            string
}

// htmlExample is one example; every text has its controls made visible
// (newlines kept).
type htmlExample struct {
	ID, Sample, Task                       string
	Input, Expected, Candidate, Production string
	HasProduction                          bool
	Score                                  string
}

func htmlExamplesSection(r *reports.Report) *htmlExamples {
	ex := r.Examples
	if ex == nil {
		return nil
	}
	h := &htmlExamples{RegressionsTotal: len(ex.Regressions), HallucinationsTotal: len(ex.Hallucinations), ScoreLabel: hallucinationScoreLabel}
	if reg := r.Metrics.Regression; reg != nil {
		h.RegressionsTotal = reg.Counts.RightToWrong
	}
	if g := r.Metrics.Groundedness; g != nil {
		h.HallucinationsTotal = len(g.Hallucinated)
	}
	conv := func(e reports.Example) htmlExample {
		he := htmlExample{ID: visible(e.ID), Task: visible(e.Task), Input: TermSafeLines(e.Input), Expected: TermSafeLines(orDash(e.Expected)), Candidate: TermSafeLines(orDash(e.Candidate))}
		if e.Sample > 0 {
			he.Sample = fmt.Sprintf("sample %d", e.Sample)
		}
		if e.Production != nil {
			he.Production, he.HasProduction = TermSafeLines(orDash(*e.Production)), true
		}
		if e.HallucinationScore != nil {
			he.Score = fmt.Sprintf("%.2f", *e.HallucinationScore)
		}
		return he
	}
	for _, e := range ex.Regressions {
		h.Regressions = append(h.Regressions, conv(e))
	}
	for _, e := range ex.Hallucinations {
		h.Hallucinations = append(h.Hallucinations, conv(e))
	}
	return h
}

// htmlDecisions are the reviewers' decisions as report.html shows them.
type htmlDecisions struct {
	Summary   string
	Reviewers [][]string
	Skipped   []string
}

func htmlDecisionsSection(d *reports.ReviewDecisions) *htmlDecisions {
	h := &htmlDecisions{Summary: fmt.Sprintf("From %s of earlier reports on this eval set (evalgate review import): %d answers reviewed, %d accepted, %d rejected, %d escalated.",
		plural(d.Records, "signed review record", "signed review records"), d.Reviewed, d.Accepted, d.Rejected, d.Escalated)}
	for _, rc := range d.Reviewers {
		h.Reviewers = append(h.Reviewers, []string{visible(rc.Reviewer), rc.KeyID, fmt.Sprint(rc.Reviewed), fmt.Sprint(rc.Accepted), fmt.Sprint(rc.Rejected), fmt.Sprint(rc.Escalated)})
	}
	for _, s := range d.Skipped {
		h.Skipped = append(h.Skipped, visible(s))
	}
	return h
}
