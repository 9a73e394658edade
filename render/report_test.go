package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

func TestSummaryHasNoModelText(t *testing.T) {
	var sum bytes.Buffer
	WriteSummary(&sum, reports.Build(reportstest.Input(t)))
	if strings.Contains(sum.String(), "<b>") {
		t.Error("the terminal summary repeats model output")
	}
}

// controls is text a model could write to take over a terminal: erase
// the screen, set the window title (OSC 0), a C1 CSI, a right-to-left
// override, a carriage return that would overwrite the line, a tab and a
// newline that would break the columns, and a byte that is not UTF-8.
const controls = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202e\r\t\n\xff"

// controlReport is the integrity report with controls planted in every
// config-, dataset- and model-written string the terminal summary prints.
func controlReport(t *testing.T) *reports.Report {
	r := reportstest.IntegrityReport(t)
	r.Dataset.Name += controls
	r.Candidate.Provider += controls
	r.Metrics.Accuracy.ByTask[0].Name += controls
	r.Metrics.Fairness[0].Groups[0].Value += controls
	g := r.Metrics.Groundedness
	g.Method += controls
	g.Hallucinated[0].ID += controls
	g.Hallucinated[0].Unsupported[0].Text = controls + "claim"
	g.Hallucinated[0].Unsupported[0].Missing[0] += controls
	g.ByGroup[0].Groups[0].Name += controls
	r.Metrics.Boundaries.Rules[0].Rule += controls
	r.Metrics.Boundaries.Items[0].ID += controls
	r.Metrics.Boundaries.Items[0].Violations[0].Detail += controls
	r.Metrics.PII.Locations[0].Location += controls
	r.Review.ByReason[0].Reason += controls
	r.History[1].Metric += controls
	r.Judge = &reports.JudgeRun{Provider: "openai" + controls, Model: "judge" + controls, Version: "v1", Calls: 11}
	r.Gate.Rules[0].Metric += controls
	r.Gate.Rules[0].Reason += controls
	g.Warnings = append(g.Warnings, errors.New("warning"+controls))
	r.Status, r.StatusReason = reports.Incomplete, "stopped"+controls
	return r
}

// terminalUnsafe returns the first character of s a terminal would act on
// (a control other than newline, a bidirectional control) or a byte that is
// not UTF-8, with its offset; ok is false when there is none.
func terminalUnsafe(s string) (at int, what string, ok bool) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return i, fmt.Sprintf("byte %#x", s[i]), true
		case r != '\n' && termUnsafe(r):
			return i, fmt.Sprintf("%U", r), true
		}
	}
	return 0, "", false
}

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, ünïcode — ok", "plain text, ünïcode — ok"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"title\x1b]0;owned\x07", `title\x1b]0;owned\x07`},
		{"c1 \u009b31m csi", `c1 \u009b31m csi`},
		{"tab\tnew\nline\rreturn", `tab\tnew\nline\rreturn`},
		{"del\x7f nul\x00", `del\x7f nul\x00`},
		{"bidi \u202egnp.exe\u202c \u2066iso\u2069", `bidi \u202egnp.exe\u202c \u2066iso\u2069`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"replacement \uFFFD kept", "replacement \uFFFD kept"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := termSafe(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if _, what, bad := terminalUnsafe(termSafe(tt.in)); bad {
				t.Errorf("termSafe left %s", what)
			}
		})
	}
}

// TestSummaryNeutralisesControls writes the terminal summary of a report
// whose every printed name, claim, detail and reason carries terminal
// controls, and checks that none reaches the output, that they show as
// escapes, and that they add no line.
func TestSummaryNeutralisesControls(t *testing.T) {
	var clean, hostile bytes.Buffer
	ref := reportstest.IntegrityReport(t)
	ref.Judge = &reports.JudgeRun{Provider: "openai", Model: "judge", Version: "v1", Calls: 11}
	ref.Metrics.Groundedness.Warnings = append(ref.Metrics.Groundedness.Warnings, errors.New("warning"))
	ref.Status, ref.StatusReason = reports.Incomplete, "stopped"
	if err := WriteSummary(&clean, ref); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&hostile, controlReport(t)); err != nil {
		t.Fatal(err)
	}
	out := hostile.String()
	if at, what, bad := terminalUnsafe(out); bad {
		t.Fatalf("the summary passes %s through at byte %d:\n%s", what, at, out)
	}
	for _, want := range []string{`\x1b[2J\x1b]0;owned\x07\u009b31m\u202e\r\t\n\xff`, "claim", "stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	if got, want := strings.Count(out, "\n"), strings.Count(clean.String(), "\n"); got != want {
		t.Errorf("%d lines, want %d as without the controls:\n%s", got, want, out)
	}
}

// mdCells counts the cells of a table row: the pipes not escaped by a
// backslash, less one.
func mdCells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}

// TestMarkdownHostile renders reports whose config-, dataset- and
// model-written strings carry HTML, table syntax, mentions and terminal
// controls, and checks that report.md keeps every table row to its
// header's cells, has no HTML of its own, mentions nobody and passes no
// control character through.
func TestMarkdownHostile(t *testing.T) {
	allowed := map[string]bool{"<details>": true, "</details>": true, "<summary>": true, "</summary>": true, "<b>": true, "</b>": true, "<br>": true, "<sub>": true, "</sub>": true}
	tests := []struct {
		name string
		r    *reports.Report
	}{
		{"html payloads", hostileReport(t)},
		{"terminal controls", controlReport(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Metrics.Groundedness.Hallucinated[1].Unsupported[0].Text = "ask @evalgate/security | `x` *now*"
			var b bytes.Buffer
			if err := WriteMarkdown(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if at, what, bad := terminalUnsafe(out); bad {
				t.Errorf("report.md passes %s through at byte %d", what, at)
			}
			cells := -1
			for i, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "|") {
					cells = -1
					continue
				}
				if cells < 0 {
					cells = mdCells(line)
				} else if got := mdCells(line); got != cells {
					t.Errorf("line %d has %d cells, its table %d: %s", i+1, got, cells, line)
				}
				text := mdCodeSpanRE.ReplaceAllString(strings.ReplaceAll(line, "\\`", ""), "")
				for _, tag := range mdTagRE.FindAllString(text, -1) {
					if !allowed[tag] {
						t.Errorf("line %d has raw HTML %q: %s", i+1, tag, line)
					}
				}
				if m := mdMentionRE.FindString(text); m != "" {
					t.Errorf("line %d mentions %q: %s", i+1, m, line)
				}
			}
			for _, want := range []string{"Groundedness", "Hallucinated answers", "Boundaries", "Routed to human review", "Personal data (PII)", "Control charts", "@&#8203;evalgate/security"} {
				if !strings.Contains(out, want) {
					t.Errorf("report.md lacks %q", want)
				}
			}
		})
	}
}

// TestMarkdownIntegrityCaps checks that long integrity lists are capped
// with a count of what was left out, and that report.md stays within
// GitHub's limit.
func TestMarkdownIntegrityCaps(t *testing.T) {
	r := reportstest.IntegrityReport(t)
	g, b, rv := r.Metrics.Groundedness, r.Metrics.Boundaries, r.Review
	// Four unsupported claims in the first answer, two over the cap.
	first := &g.Hallucinated[0]
	for len(first.Unsupported) < 4 {
		first.Unsupported = append(first.Unsupported, first.Unsupported[0])
	}
	first.Unsupported = first.Unsupported[:4]
	for i := range 5000 {
		h := g.Hallucinated[0]
		h.ID = fmt.Sprintf("h-%05d", i)
		g.Hallucinated = append(g.Hallucinated, h)
		it := b.Items[0]
		it.ID = fmt.Sprintf("b-%05d", i)
		b.Items = append(b.Items, it)
		ri := rv.Items[0]
		ri.ID = fmt.Sprintf("r-%05d", i)
		rv.Items = append(rv.Items, ri)
	}
	var out bytes.Buffer
	if err := WriteMarkdown(&out, r); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	if len(md) > MarkdownLimit {
		t.Errorf("%d bytes, over the limit of %d", len(md), MarkdownLimit)
	}
	for _, want := range []string{
		fmt.Sprintf("… and %d more hallucinated answers", len(g.Hallucinated)-maxMDHallucinated),
		fmt.Sprintf("… and %d more outputs", len(b.Items)-maxMDViolations),
		fmt.Sprintf("… and %d more (see review.parquet", len(rv.Items)-maxMDReview),
		"… and 2 more unsupported claims",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("and %d more hallucinated answers", len(g.Hallucinated)-maxHTMLHallucinated),
		fmt.Sprintf("and %d more outputs", len(b.Items)-maxHTMLViolations),
		fmt.Sprintf("The first %d of %d routed answers", maxHTMLReview, len(rv.Items)),
		fmt.Sprintf("The first %d of %d answers, highest hallucination score first", maxHTMLHallucinated, len(g.Hallucinated)),
	} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestJudgeRendering checks each renderer on a run whose groundedness a
// judge model decided: the judge's identity and call counts, its reasons
// (escaped), and the answer whose reply could not be read.
func TestJudgeRendering(t *testing.T) {
	in := reportstest.Input(t)
	checker := integrity.NewChecker(integrity.Options{Judge: true, Groups: in.Config.Fairness.Groups, Level: 0.95})
	cand := in.Candidate.Results
	for i := range cand {
		res := &cand[i]
		res.Output = reportstest.IntegrityOutputs[i]
		claims := integrity.SplitClaims(res.Output)
		item := records.Item{ID: res.ID, Context: reportstest.IntegrityContext, Task: res.Task, Extra: res.Groups}
		checker.Add(&item, cand[i:i+1], func(int) integrity.Judged {
			if i == 7 {
				return integrity.Judged{Err: "judge error: invalid judge reply: no JSON object"}
			}
			var verdicts []integrity.JudgeVerdict
			for k := range claims {
				verdicts = append(verdicts, integrity.JudgeVerdict{Claim: k + 1, Supported: !(k == 0 && (i == 2 || i == 3)), Reason: judgeReason})
			}
			if len(claims) > 0 {
				// The reply goes through the parser, as a judge's would.
				reply, _ := json.Marshal(map[string]any{"verdicts": verdicts})
				var err error
				if verdicts, err = integrity.ParseJudgeReply(string(reply), len(claims)); err != nil {
					t.Fatal(err)
				}
			}
			g, err := integrity.GroundingFromVerdicts(claims, verdicts)
			if err != nil {
				t.Fatal(err)
			}
			return integrity.Judged{Grounding: g}
		})
	}
	ig := checker.Result()
	in.Integrity = &ig
	in.Judge = &reports.JudgeRun{Provider: "openai", Model: "gpt-judge", Version: "2026-01-15", Calls: 11, Errors: 1, Cached: 2}
	r := reports.Build(in)
	if g := r.Metrics.Groundedness; g.Method != integrity.GroundJudge || len(g.Hallucinated) != 2 || g.Errors != 1 {
		t.Fatalf("groundedness method %q, %d hallucinated, %d errors; want judge, 2, 1", g.Method, len(g.Hallucinated), g.Errors)
	}
	tests := []struct {
		name    string
		write   func(io.Writer, *reports.Report) error
		want    []string
		notWant []string
	}{
		{"markdown", WriteMarkdown,
			[]string{"| groundedness judge | gpt-judge version 2026-01-15 (openai) |", "Claims verified by the judge gpt-judge version 2026-01-15 (openai): 11 calls, 1 error, 2 cached.",
				"judge: the context says 5 days &lt;/td&gt;&lt;script&gt;x&lt;/script&gt; \\| \\`y\\` \\\\x1b\\[2J", "`judge_error`", "| groundedness judge | 11 | 1 |"},
			[]string{"<script>", "</td>", "\x1b"}},
		{"html", WriteHTML,
			[]string{"<th>Groundedness judge</th><td class=\"mono\">gpt-judge version 2026-01-15 (openai)</td>", "Each claim was verified by the judge gpt-judge version 2026-01-15 (openai): 11 calls, 1 error, 2 cached.",
				"judge: the context says 5 days &lt;/td&gt;&lt;script&gt;x&lt;/script&gt; | `y` \\x1b[2J", ">judge_error<", "groundedness judge: gpt-judge@2026-01-15"},
			[]string{"<script>x", "\x1b"}},
		{"summary", WriteSummary,
			[]string{"groundedness (judge)", "gpt-judge@2026-01-15 (openai): 11 calls, 1 error, 2 cached", "judge: the context says 5 days </td><script>x</script> | `y` \\x1b[2J", "judge_error"},
			[]string{"\x1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, r); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("got:\n%s", b.String())
			}
		})
	}
}

// TestIntegrityNothingFound renders a run in which the checks found
// nothing to report: every judge call failed, no rule was broken, no
// personal data, nothing routed but the judge errors, and every metric in
// control.
func TestIntegrityNothingFound(t *testing.T) {
	in := reportstest.Input(t)
	bounds, err := integrity.CompileBoundaries(configs.Boundaries{MaxChars: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checker := integrity.NewChecker(integrity.Options{Judge: true, Boundaries: bounds, DetectPII: true, Groups: in.Config.Fairness.Groups, Level: 0.95})
	for i := range in.Candidate.Results {
		item := records.Item{ID: in.Candidate.Results[i].ID, Input: "When does my parcel arrive?", Context: []string{"Parcels arrive in 3 days."}, Extra: in.Candidate.Results[i].Groups}
		checker.Add(&item, in.Candidate.Results[i:i+1], func(int) integrity.Judged { return integrity.Judged{Err: "judge error: the call failed: status 503"} })
	}
	ig := checker.Result()
	in.Integrity = &ig
	in.Judge = &reports.JudgeRun{Provider: "openai", Model: "gpt-judge", Version: "1", Calls: 11, Errors: 11}
	set := &history.SignedSet{KeyID: "SHA256:test"}
	for w, right := range []int{300, 296, 304, 299, 301} {
		r := reportstest.HistoryReport(w, right, 380, 0, 4)
		set.Reports = append(set.Reports, history.SignedReport{Path: fmt.Sprintf("w%d.dsse.json", w), Time: r.Timing.FinishedAt, Report: r})
	}
	h, err := history.New(set, history.Options{Metrics: []string{"accuracy"}})
	if err != nil {
		t.Fatal(err)
	}
	r := reports.Build(in)
	r.History = history.Position(h, r)
	tests := []struct {
		name  string
		write func(io.Writer, *reports.Report) error
		want  []string
	}{
		{"markdown", WriteMarkdown, []string{"<b>Groundedness</b>: no answer checked", "No answer could be checked (11 could not be checked), so groundedness is undefined.",
			"<b>Boundaries</b>: 0 violations in 0 of 11 outputs", "| `max_chars` | 0 |", "No email address, phone number, US SSN, payment card, IBAN or IP address found in 12 prompts, 12 contexts, 11 outputs.",
			"<b>Routed to human review</b>: 11 answers", "| `judge_error` | 11 |", "<b>Control charts</b>: in control on 1 metric", "pii.redact was off"}},
		{"html", WriteHTML, []string{"No answer could be checked (11 could not be checked)", "0 violations in 0 of 11 checked outputs", "and found 0 values.",
			"This report is in control on 1 metric.", "pii.redact was off"}},
		{"summary", WriteSummary, []string{"groundedness (-) n/a (no answer checked) 0 hallucinated, 0 abstained, 11 not checked",
			"judge gpt-judge@1 (openai): 11 calls, 11 errors, 0 cached", "boundaries 0 violations in 0 of 11 outputs",
			"personal data (pii) 0 values (prompt 0, context 0, output 0)", "routed to review 11 answers (review.parquet) judge_error 11", "control charts in control on 1 metric"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, r); err != nil {
				t.Fatal(err)
			}
			// Columns are aligned with spaces; compare words.
			words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			for _, w := range tt.want {
				if !strings.Contains(words(b.String()), words(w)) {
					t.Errorf("lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("got:\n%s", b.String())
			}
		})
	}
}

// mdCodeSpanRE matches a code span (report.md writes backticks outside
// code spans as \`), mdTagRE an HTML tag and mdMentionRE a GitHub mention.
var (
	mdCodeSpanRE = regexp.MustCompile("`[^`]*`")
	mdTagRE      = regexp.MustCompile(`<[^>]*>?`)
	mdMentionRE  = regexp.MustCompile(`@[A-Za-z0-9]`)
)

// judgeReason is a judge's explanation with markup and a terminal control
// in it: a judge is a model too.
const judgeReason = "the context says 5 days </td><script>x</script> | `y` \x1b[2J"
