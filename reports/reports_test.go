package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testConfig = `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive-v2"}
production: {provider: "builtin:extractive-v1"}
scoring: {method: contains}
fairness: {groups: [region], min_group_size: 3}
gate:
  - {metric: accuracy, min: 0.5, description: "half right at least"}
  - {metric: accuracy.ci_low, min: 0.9}
  - {metric: fairness.accuracy.gap, max: 0.5}
  - {metric: regression.accuracy.delta, min: -0.05}
  - {metric: accuracy.task.refunds, min: 0.1, optional: true}
  - {metric: errors.rate, max: 0.2}
`

func testInput(t *testing.T) Input {
	t.Helper()
	cfg, err := configs.Parse("eval.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(model string, correct []bool) []records.Result {
		var out []records.Result
		for i, ok := range correct {
			s := 0.0
			if ok {
				s = 1
			}
			r := records.Result{
				ID: fmt.Sprintf("q-%02d", i), Model: model, Output: "<b>answer</b>",
				Task:         []string{"billing", "shipping"}[i%2],
				Groups:       map[string]string{"region": []string{"eu", "us", "apac"}[i%3]},
				Scores:       map[string]float64{"exact": 0, "normalized": s, "contains": s, "f1": s},
				PromptTokens: 10, CompletionTokens: 3, Attempts: 1, LatencyMS: float64(40 + 7*i),
			}
			if i == 8 && model == "v2" {
				r.Error, r.ErrorKind, r.Scores["contains"] = "status 500", "http_500", 0
			}
			out = append(out, r)
		}
		return out
	}
	cand := mk("v2", []bool{true, true, true, false, true, true, true, false, true, true, true, true})
	prod := mk("v1", []bool{true, false, true, false, true, true, false, false, true, true, false, true})
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	return Input{
		Config:     cfg,
		Dataset:    DatasetInfo{Path: "set.parquet", Name: "support-qa", Version: "1.0.0", SHA256: strings.Repeat("ab", 32), Rows: 12},
		Candidate:  ModelResults{Results: cand, ResultsFile: "results.parquet", ResultsSHA256: strings.Repeat("cd", 32)},
		Production: &ModelResults{Results: prod, ResultsFile: "production-results.parquet", ResultsSHA256: strings.Repeat("ef", 32)},
		Timing:     Timing{StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Seconds: 1.5},
	}
}

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
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestReportGolden(t *testing.T) {
	r := Build(testInput(t))
	var js, sum bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js.Bytes())
	if err := WriteSummary(&sum, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", sum.Bytes())
}

func TestReportDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	WriteJSON(&a, Build(testInput(t)))
	WriteJSON(&b, Build(testInput(t)))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same input gave different report bytes")
	}
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	WriteJSON(&c, back)
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("decode → encode changed the report:\n%s", c.String())
	}
}

func TestGate(t *testing.T) {
	r := Build(testInput(t))
	want := []struct {
		metric, outcome string
	}{
		{"accuracy", Pass},                  // 9/12
		{"accuracy.ci_low", Fail},           // Wilson low of 9/12 is 0.47
		{"fairness.accuracy.gap", Pass},     // groups of 4
		{"regression.accuracy.delta", Pass}, // 9/12 − 7/12
		{"accuracy.task.refunds", NotEvaluated},
		{"errors.rate", Pass}, // 1/12
	}
	if len(r.Gate.Rules) != len(want) {
		t.Fatalf("got %d rules, want %d", len(r.Gate.Rules), len(want))
	}
	for i, w := range want {
		got := r.Gate.Rules[i]
		if got.Metric != w.metric || got.Outcome != w.outcome {
			t.Errorf("rule %d: got %s %s (%s), want %s %s", i, got.Metric, got.Outcome, got.Reason, w.metric, w.outcome)
		}
	}
	if r.Verdict != Block || r.Gate.Failed != 1 || r.Gate.Passed != 5 {
		t.Errorf("verdict %s with %d passed / %d failed, want BLOCK with 5/1", r.Verdict, r.Gate.Passed, r.Gate.Failed)
	}
	if got := r.Gate.Rules[0]; math.Abs(got.Observed-0.75) > 1e-12 || !(got.Low < 0.75 && got.High > 0.75) {
		t.Errorf("accuracy observed %v [%v, %v], want 0.75 inside its interval", got.Observed, got.Low, got.High)
	}
}

func TestGateVerdicts(t *testing.T) {
	tests := []struct {
		name       string
		rules      string
		production bool
		incomplete string
		want       string
	}{
		{"all pass", "[{metric: accuracy, min: 0.5}]", true, "", Allow},
		{"empty gate", "[]", true, "", Allow},
		{"one fails", "[{metric: accuracy, min: 0.5}, {metric: errors.rate, max: 0}]", true, "", Block},
		{"not evaluated blocks", "[{metric: regression.accuracy.delta, min: -0.02}]", false, "", Block},
		{"optional not evaluated allows", "[{metric: regression.accuracy.delta, min: -0.02, optional: true}]", false, "", Allow},
		{"incomplete run blocks", "[{metric: accuracy, min: 0.5}]", true, "interrupted", Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(t)
			cfg, err := configs.Parse("eval.yaml", []byte(strings.Replace(testConfig, testConfig[strings.Index(testConfig, "gate:"):], "gate: "+tt.rules+"\n", 1)))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.production {
				cfg.Production, in.Production = nil, nil
			}
			in.Config, in.Incomplete = cfg, tt.incomplete
			if got := Build(in).Verdict; got != tt.want {
				t.Errorf("verdict %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	cfg, err := configs.Parse("eval.yaml", []byte(testConfig+"  - {metric: acuracy, min: 1}\n  - {metric: fairness.gender.accuracy.gap, max: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckRules(cfg)
	for _, want := range []string{`gate rule 7: unknown metric "acuracy"`, `gate rule 8: unknown metric "fairness.gender.accuracy.gap" ("gender" is not in fairness.groups)`, "--list-metrics"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckRules error %v does not contain %q", err, want)
		}
	}
	cfg.Gate = cfg.Gate[:6]
	if err := CheckRules(cfg); err != nil {
		t.Errorf("known metrics rejected: %v", err)
	}
}

func TestSummaryHasNoModelText(t *testing.T) {
	var sum bytes.Buffer
	WriteSummary(&sum, Build(testInput(t)))
	if strings.Contains(sum.String(), "<b>") {
		t.Error("the terminal summary repeats model output")
	}
}

// integrityConfig adds groundedness, boundaries (one rule named with
// Markdown and HTML syntax, as a config may), PII redaction and review
// routing to testConfig, with gate rules on each.
const integrityConfig = `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive-v2", logprobs: true}
production: {provider: "builtin:extractive-v1"}
scoring: {method: contains}
fairness: {groups: [region], min_group_size: 3}
groundedness: {method: lexical}
boundaries:
  must_not_match:
    - {name: "no-script|` + "`<b>`" + `", pattern: "(?i)<script"}
  max_chars: 120
pii: {redact: true}
review: {confidence_below: 0.5}
gate:
  - {metric: accuracy, min: 0.5}
  - {metric: groundedness, min: 0.9}
  - {metric: groundedness.hallucinated, max: 3}
  - {metric: boundaries.violations, max: 0}
  - {metric: boundaries.rule.max_chars, max: 1}
  - {metric: pii.output, max: 0}
  - {metric: review.routed, max: 10}
`

// integrityOutputs are the candidate's answers to the twelve items of
// testInput (item 8's call failed). Some are hostile: HTML that would end
// a table cell or run a script, Markdown pipes and backticks, and ANSI
// escapes (colour, OSC 8 hyperlink, a carriage return that would overwrite
// the line, a right-to-left override).
var integrityOutputs = []string{
	"Refunds are issued within 5 business days.",
	"Shipping to the EU takes 3 to 7 days.",
	"Refunds take 45 days and Acme Corp pays them.",
	"Shipping takes 3 to 7 days. <script>alert(1)</script> Express costs 99 EUR | `rm -rf /` </td>.",
	"The context does not say.",
	"\x1b[31mRefunds\x1b[0m are approved by Zorg Industries within 2 hours.\r\x1b]8;;https://evil.example\x07Click\x1b]8;;\x07 \u202eseton\u202c",
	"Refunds are issued within 5 business days to the original card, and you can write to billing@example.com for help with a refund today.",
	"Express shipping takes 2 days.",
	"",
	"Shipping to the EU takes 3 to 7 days.",
	"Refunds are issued within 5 business days.",
	"Shipping to the EU takes 3 to 7 days; ask @evalgate/security or call +1 415 555 0100.",
}

// integrityContext is every item's retrieved context; the second passage
// carries markup, as scraped pages do.
var integrityContext = []string{
	"Refunds are issued within 5 business days to the original card. Write to billing@example.com for help.",
	"Shipping to the EU takes 3 to 7 days | express `2 days` </td><script>alert('ctx')</script>.",
}

// integrityInput is testInput with the integrity checks run on the
// candidate's answers (through integrity.Checker, as evalgate run
// does, with pii.redact on) and a history of eight earlier weekly reports
// to place the run on.
func integrityInput(t *testing.T) Input {
	t.Helper()
	in := testInput(t)
	cfg, err := configs.Parse("eval.yaml", []byte(integrityConfig))
	if err != nil {
		t.Fatal(err)
	}
	in.Config = cfg
	bounds, err := integrity.CompileBoundaries(cfg.Boundaries, nil)
	if err != nil {
		t.Fatal(err)
	}
	checker := integrity.NewChecker(integrity.Options{
		Grounder: integrity.NewGrounder(integrity.GroundOptions{}), Boundaries: bounds,
		DetectPII: true, Redact: true, ConfidenceBelow: cfg.Review.ConfidenceBelow,
		Groups: cfg.Fairness.Groups, Level: cfg.Scoring.Confidence,
	})
	cand := in.Candidate.Results
	for i := range cand {
		res := &cand[i]
		res.Output = integrity.RedactPII(integrityOutputs[i])
		res.Confidence = 0.92
		item := records.Item{ID: res.ID, Input: "How long do refunds and shipping take?", Context: integrityContext,
			Expected: "5 business days", Task: res.Task, Extra: res.Groups}
		switch i {
		case 5:
			res.Confidence = 0.31
			item.MustNotContain = []string{"zorg", "acme"}
		case 9:
			res.Confidence = 0.45
		case 11:
			item.Input = "My number is +44 20 7946 0958; when does my parcel arrive?"
		}
		checker.Add(&item, cand[i:i+1], nil)
	}
	ig := checker.Result()
	in.Integrity, in.Redacted = &ig, true

	set := &SignedSet{KeyID: "SHA256:integrity-test"}
	for w, week := range []struct{ right, grounded, violations, errs int }{
		{322, 381, 0, 4}, {318, 379, 1, 3}, {325, 383, 0, 5}, {320, 380, 0, 4},
		{317, 378, 1, 3}, {323, 382, 0, 4}, {321, 380, 0, 6}, {319, 381, 1, 4},
	} {
		r := integrityHistoryReport(w, week.right, week.grounded, week.violations, week.errs)
		set.Reports = append(set.Reports, SignedReport{Path: fmt.Sprintf("w%02d/report.dsse.json", w+1), Time: r.Timing.FinishedAt, Report: r})
	}
	h, err := NewHistory(set, HistoryOptions{Metrics: []string{"accuracy", "groundedness", "boundaries.violations", "errors.rate"}})
	if err != nil {
		t.Fatal(err)
	}
	in.History = h
	return in
}

// integrityHistoryReport is an earlier week's report (weekly from
// 2026-10-01) over 400 items: right answers, grounded answers, boundary
// violations and failed calls.
func integrityHistoryReport(w, right, grounded, violations, errs int) *Report {
	const n = 400
	finished := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
	acc := metrics.Accuracy{Method: "contains", Overall: metrics.NewProportion(right, n, 0.95), ByMethod: map[string]metrics.Proportion{}, Warnings: metrics.Warnings{}}
	r := &Report{
		SchemaVersion: SchemaVersion, Status: Complete, Harness: Harness{"evalgate", Version},
		Dataset:   DatasetInfo{Name: "support-qa", Version: "1.0.0", Rows: n},
		Candidate: ModelRun{Provider: "builtin:extractive-v1", Model: "extractive-v1", Version: "extractive-v1", ResultsSHA256: fmt.Sprintf("%064x", w+1), Calls: n, Errors: errs, ErrorKinds: map[string]int{}, ErrorRate: metrics.NewProportion(errs, n, 0.95), Accuracy: acc},
		Metrics: Metrics{Accuracy: acc,
			Groundedness: &integrity.Groundedness{Method: integrity.GroundLexical, Rate: metrics.NewProportion(grounded, n, 0.95)},
			Boundaries:   &integrity.BoundaryReport{Checked: n, Violations: violations, ViolatingItems: violations}},
		Timing: Timing{StartedAt: finished.Add(-time.Minute), FinishedAt: finished, Seconds: 60},
	}
	ApplyGate(r, nil)
	return r
}

func TestIntegrityGolden(t *testing.T) {
	r := Build(integrityInput(t))
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-integrity.json", js.Bytes())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(inst); err != nil {
		t.Errorf("report-integrity.json does not match report.schema.json: %v", err)
	}
	back, err := ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file  string
		write func(io.Writer, *Report) error
	}{
		{"report-integrity.md", WriteMarkdown},
		{"report-integrity.html", WriteHTML},
		{"report-integrity.junit.xml", WriteJUnit},
		{"report-integrity.summary.txt", WriteSummary},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.write(&a, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, a.Bytes())
			// From report.json, as `evalgate report render` does.
			if err := tt.write(&b, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("rendering the decoded report.json gives other bytes")
			}
		})
	}
}

func TestCriterion(t *testing.T) {
	tests := []struct{ metric, want string }{
		{"accuracy.ci_low", SOC2ProcessingIntegrity},
		{"fairness.accuracy.gap", SOC2ProcessingIntegrity},
		{"groundedness", SOC2ProcessingIntegrity},
		{"groundedness.ci_low", SOC2ProcessingIntegrity},
		{"groundedness.task.billing", SOC2ProcessingIntegrity},
		{"groundedness.hallucinated", SOC2ProcessingIntegrity},
		{"groundedness.judge_errors", SOC2ProcessingIntegrity},
		{"boundaries.violations", SOC2ProcessingIntegrity},
		{"boundaries.rule.max_chars", SOC2ProcessingIntegrity},
		{"review.routed", SOC2ProcessingIntegrity},
		{"errors.rate", SOC2ProcessingIntegrity},
		{"pii.total", SOC2Privacy},
		{"pii.output", SOC2Privacy},
		{"regression.accuracy.delta.ci_low", SOC2ChangeManagement},
		{"production.accuracy", SOC2ChangeManagement},
		{"drift.psi", SOC2Monitoring},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			if got := Criterion(tt.metric); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// controls is text a model could write to take over a terminal: erase
// the screen, set the window title (OSC 0), a C1 CSI, a right-to-left
// override, a carriage return that would overwrite the line, a tab and a
// newline that would break the columns, and a byte that is not UTF-8.
const controls = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202e\r\t\n\xff"

// controlReport is the integrity report with controls planted in every
// config-, dataset- and model-written string the terminal summary prints.
func controlReport(t *testing.T) *Report {
	r := Build(integrityInput(t))
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
	r.Judge = &JudgeRun{Provider: "openai" + controls, Model: "judge" + controls, Version: "v1", Calls: 11}
	r.Gate.Rules[0].Metric += controls
	r.Gate.Rules[0].Reason += controls
	g.Warnings = append(g.Warnings, errors.New("warning"+controls))
	r.Status, r.StatusReason = Incomplete, "stopped"+controls
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
	ref := Build(integrityInput(t))
	ref.Judge = &JudgeRun{Provider: "openai", Model: "judge", Version: "v1", Calls: 11}
	ref.Metrics.Groundedness.Warnings = append(ref.Metrics.Groundedness.Warnings, errors.New("warning"))
	ref.Status, ref.StatusReason = Incomplete, "stopped"
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

// mdCodeSpanRE matches a code span (report.md writes backticks outside
// code spans as \`), mdTagRE an HTML tag and mdMentionRE a GitHub mention.
var (
	mdCodeSpanRE = regexp.MustCompile("`[^`]*`")
	mdTagRE      = regexp.MustCompile(`<[^>]*>?`)
	mdMentionRE  = regexp.MustCompile(`@[A-Za-z0-9]`)
)

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
		r    *Report
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
	r := Build(integrityInput(t))
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

// judgeReason is a judge's explanation with markup and a terminal control
// in it: a judge is a model too.
const judgeReason = "the context says 5 days </td><script>x</script> | `y` \x1b[2J"

// TestJudgeRendering checks each renderer on a run whose groundedness a
// judge model decided: the judge's identity and call counts, its reasons
// (escaped), and the answer whose reply could not be read.
func TestJudgeRendering(t *testing.T) {
	in := testInput(t)
	checker := integrity.NewChecker(integrity.Options{Judge: true, Groups: in.Config.Fairness.Groups, Level: 0.95})
	cand := in.Candidate.Results
	for i := range cand {
		res := &cand[i]
		res.Output = integrityOutputs[i]
		claims := integrity.SplitClaims(res.Output)
		item := records.Item{ID: res.ID, Context: integrityContext, Task: res.Task, Extra: res.Groups}
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
	in.Judge = &JudgeRun{Provider: "openai", Model: "gpt-judge", Version: "2026-01-15", Calls: 11, Errors: 1, Cached: 2}
	r := Build(in)
	if g := r.Metrics.Groundedness; g.Method != integrity.GroundJudge || len(g.Hallucinated) != 2 || g.Errors != 1 {
		t.Fatalf("groundedness method %q, %d hallucinated, %d errors; want judge, 2, 1", g.Method, len(g.Hallucinated), g.Errors)
	}
	tests := []struct {
		name    string
		write   func(io.Writer, *Report) error
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
	in := testInput(t)
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
	in.Judge = &JudgeRun{Provider: "openai", Model: "gpt-judge", Version: "1", Calls: 11, Errors: 11}
	set := &SignedSet{KeyID: "SHA256:test"}
	for w, right := range []int{300, 296, 304, 299, 301} {
		r := integrityHistoryReport(w, right, 380, 0, 4)
		set.Reports = append(set.Reports, SignedReport{Path: fmt.Sprintf("w%d.dsse.json", w), Time: r.Timing.FinishedAt, Report: r})
	}
	if in.History, err = NewHistory(set, HistoryOptions{Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	r := Build(in)
	tests := []struct {
		name  string
		write func(io.Writer, *Report) error
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
