package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/evalgate/evalgate/metrics"
)

// histAccuracy and histErrors are twelve weeks of accuracy and error
// counts, of 400 items each; week 9 (index 8) is a drop.
var (
	histAccuracy = []int{361, 356, 366, 359, 362, 358, 364, 360, 290, 363, 357, 361}
	histErrors   = []int{3, 4, 2, 5, 4, 3, 4, 2, 3, 4, 5, 3}
)

// histReport is week w's report (0-based, weekly from 2026-01-05) with k
// of n right and errs failed calls.
func histReport(w, k, n, errs int, model string) *Report {
	finished := time.Date(2026, 1, 5, 6, 30, 0, 0, time.UTC).AddDate(0, 0, 7*w)
	acc := metrics.Accuracy{Method: "normalized", Overall: metrics.NewProportion(k, n, 0.95), ByMethod: map[string]metrics.Proportion{}, Warnings: metrics.Warnings{}}
	r := &Report{
		SchemaVersion: SchemaVersion, Status: Complete, Harness: Harness{"evalgate", Version},
		Dataset:   DatasetInfo{Name: "prod-sample", Version: fmt.Sprintf("w%02d", w+2), Rows: int64(n)},
		Candidate: ModelRun{Provider: "replay", Model: model, Version: "v1", ResultsSHA256: fmt.Sprintf("%064x", w+1), Calls: n, Errors: errs, ErrorKinds: map[string]int{}, ErrorRate: metrics.NewProportion(errs, n, 0.95), Accuracy: acc},
		Metrics:   Metrics{Accuracy: acc},
		Timing:    Timing{StartedAt: finished.Add(-time.Minute), FinishedAt: finished, Seconds: 60},
	}
	ApplyGate(r, nil)
	return r
}

// histSet is the first weeks of the series as a SignedSet.
func histSet(weeks int) *SignedSet {
	set := &SignedSet{KeyID: "SHA256:test"}
	for w := range weeks {
		r := histReport(w, histAccuracy[w], 400, histErrors[w], "bot")
		set.Reports = append(set.Reports, SignedReport{Path: fmt.Sprintf("w%02d/report.dsse.json", w+1), Time: r.Timing.FinishedAt, Report: r})
	}
	return set
}

func historySigner(t *testing.T, seed byte) (*Signer, *Verifier) {
	t.Helper()
	priv, _, err := GenerateKey(KeyEd25519, rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestReadSignedReports(t *testing.T) {
	s, v := historySigner(t, 1)
	other, _ := historySigner(t, 2)
	sign := func(s *Signer, r *Report) []byte {
		b, err := SignReport(s, r, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := func(r *Report) []byte {
		var b bytes.Buffer
		WriteJSON(&b, r)
		return b.Bytes()
	}
	r1, r2 := histReport(0, 360, 400, 3, "bot"), histReport(1, 350, 400, 3, "bot")
	good := sign(s, r1)
	tampered := bytes.Replace(good, []byte(`"payload": "`), []byte(`"payload": "AAAA`), 1)
	var env map[string]any
	json.Unmarshal(good, &env)
	env["payloadType"] = "text/plain"
	wrongType, _ := json.Marshal(env)
	// A report with no timing is placed by the statement's timeVerified;
	// with neither it is left out.
	signStatement := func(timeVerified string) []byte {
		r := *r2
		r.Timing = Timing{}
		st := NewStatement(&r, "")
		st.Predicate.TimeVerified = timeVerified
		payload, _ := json.Marshal(st)
		env, err := s.SignEnvelope(payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(env)
		return b
	}
	fsys := fstest.MapFS{
		"a/report.dsse.json":       {Data: good},
		"a/report.json":            {Data: plain(r1)}, // the plain copy beside the envelope
		"b/copy.dsse.json":         {Data: good},
		"c/report.dsse.json":       {Data: tampered},
		"d/report.dsse.json":       {Data: sign(other, r2)},
		"e/report.json":            {Data: plain(r2)},
		"f/plain.dsse.json":        {Data: plain(r2)},
		"g/report.dsse.json":       {Data: []byte("{not json")},
		"h/report.dsse.json":       {Data: wrongType},
		"i/no-time.dsse.json":      {Data: signStatement("2026-02-02T06:30:00Z")},
		"n/bad-time.dsse.json":     {Data: signStatement("last Tuesday")},
		"j/notes.json":             {Data: []byte("{}")},
		"k/deep/week.dsse.json":    {Data: sign(s, r2)},
		"k/deep/results.parquet":   {Data: []byte("PAR1")},
		"l/report.dsse.json.bak":   {Data: good},
		"m/other-report.dsse.json": {Data: sign(s, histReport(2, 361, 400, 2, "bot"))},
	}
	set, err := ReadSignedReports(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range set.Reports {
		paths = append(paths, r.Path+"@"+r.Time.Format(time.RFC3339))
	}
	wantPaths := []string{"a/report.dsse.json@2026-01-05T06:30:00Z", "i/no-time.dsse.json@2026-02-02T06:30:00Z", "k/deep/week.dsse.json@2026-01-12T06:30:00Z", "m/other-report.dsse.json@2026-01-19T06:30:00Z"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("verified %v, want %v", paths, wantPaths)
	}
	tests := []struct{ path, reason, detail string }{
		{"b/copy.dsse.json", ExcludedDuplicate, "the same signed report as a/report.dsse.json"},
		{"c/report.dsse.json", ExcludedTampered, "the payload or the signature was changed after signing"},
		{"d/report.dsse.json", ExcludedBadSignature, "the envelope names signing key"},
		{"e/report.json", ExcludedUnsigned, "no signature envelope"},
		{"f/plain.dsse.json", ExcludedUnsigned, "a plain report"},
		{"g/report.dsse.json", ExcludedInvalid, "not a DSSE envelope"},
		{"h/report.dsse.json", ExcludedInvalid, `payloadType "text/plain"`},
		{"n/bad-time.dsse.json", ExcludedInvalid, `no finish time and timeVerified "last Tuesday"`},
	}
	got := map[string]Exclusion{}
	for _, x := range set.Excluded {
		got[x.Path] = x
	}
	if len(set.Excluded) != len(tests) {
		t.Errorf("excluded %+v, want %d files", set.Excluded, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			x := got[tt.path]
			if x.Reason != tt.reason || !strings.Contains(x.Detail, tt.detail) {
				t.Errorf("got %+v, want reason %s, detail with %q", x, tt.reason, tt.detail)
			}
		})
	}
	if set.KeyID != v.KeyID || set.KeyFingerprint != v.Fingerprint {
		t.Errorf("key %s %s, want %s %s", set.KeyID, set.KeyFingerprint, v.KeyID, v.Fingerprint)
	}
}

func TestNewHistoryOptions(t *testing.T) {
	until := time.Date(2026, 2, 9, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name      string
		weeks     int
		opt       HistoryOptions
		err       error
		errText   string
		metrics   []string
		charts    []string
		reference string
	}{
		{name: "defaults", weeks: 12, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "all 12 reports, 2026-01-05 to 2026-03-23"},
		{name: "first 6", weeks: 12, opt: HistoryOptions{Reference: 6}, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "the first 6 reports, 2026-01-05 to 2026-02-09"},
		{name: "until a day", weeks: 12, opt: HistoryOptions{Until: until}, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "the 6 reports up to 2026-02-09T23:59:59Z, 2026-01-05 to 2026-02-09"},
		{name: "named metrics, one without counts", weeks: 12, opt: HistoryOptions{Metrics: []string{"tokens.total", "accuracy.ci_low", "errors.rate"}}, metrics: []string{"tokens.total", "accuracy.ci_low", "errors.rate"}, charts: []string{"xmr", "xmr", "p"}, reference: "all 12 reports, 2026-01-05 to 2026-03-23"},
		{name: "no reports", weeks: 0, err: ErrNoReports},
		{name: "reference past the reports", weeks: 12, opt: HistoryOptions{Reference: 13}, err: ErrHistoryOptions, errText: "reference 13 reports, and only 12 verified"},
		{name: "negative reference", weeks: 12, opt: HistoryOptions{Reference: -1}, err: ErrHistoryOptions, errText: "want 1 or more"},
		{name: "both references", weeks: 12, opt: HistoryOptions{Reference: 2, Until: until}, err: ErrHistoryOptions, errText: "by count and by date at once"},
		{name: "until before the first", weeks: 12, opt: HistoryOptions{Until: until.AddDate(0, -3, 0)}, err: ErrHistoryOptions, errText: "no report finished by 2025-11-09T23:59:59Z"},
		{name: "unknown metric", weeks: 12, opt: HistoryOptions{Metrics: []string{"acuracy"}}, err: ErrHistoryOptions, errText: `metric "acuracy" is in none of the 12 reports`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHistory(histSet(tt.weeks), tt.opt)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want %v with %q", err, tt.err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names, charts []string
			for _, m := range h.Metrics {
				names, charts = append(names, m.Metric), append(charts, m.Chart.Kind)
				if len(m.Chart.Points) != len(h.Reports) || m.Chart.Reference != h.Reference.Reports {
					t.Errorf("%s: %d points, reference %d; want %d, %d", m.Metric, len(m.Chart.Points), m.Chart.Reference, len(h.Reports), h.Reference.Reports)
				}
			}
			if !reflect.DeepEqual(names, tt.metrics) || !reflect.DeepEqual(charts, tt.charts) || h.Reference.String() != tt.reference {
				t.Errorf("metrics %v charts %v reference %q; want %v %v %q", names, charts, h.Reference, tt.metrics, tt.charts, tt.reference)
			}
		})
	}
}

// Reports are ordered by finish time, whatever the order of the folder.
func TestNewHistoryOrder(t *testing.T) {
	set := histSet(5)
	set.Reports[0], set.Reports[4] = set.Reports[4], set.Reports[0]
	set.Reports[1].Path = "z-late-in-the-walk.dsse.json"
	h, err := NewHistory(set, HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(h.Reports); i++ {
		if h.Reports[i].Time.Before(h.Reports[i-1].Time) {
			t.Errorf("report %d (%s) before report %d (%s)", i, h.Reports[i].Time, i-1, h.Reports[i-1].Time)
		}
	}
	if got := h.Metrics[0].Chart.Points[0].Value; got != 361.0/400 {
		t.Errorf("first accuracy %g, want week 1's 361/400", got)
	}
}

// A metric some reports lack is charted over those that have it, and the
// chart says so.
func TestNewHistoryMissingMetric(t *testing.T) {
	set := histSet(6)
	for i, sr := range set.Reports {
		if i != 2 {
			sr.Report.Metrics.Fairness = []metrics.FairnessColumn{{Column: "region", Disparities: []metrics.Disparity{{Metric: "accuracy", Gap: metrics.Estimate{Value: 0.02 + 0.01*float64(i%2), Low: 0, High: 0.1}}}}}
		}
	}
	h, err := NewHistory(set, HistoryOptions{Metrics: []string{"fairness.accuracy.gap"}})
	if err != nil {
		t.Fatal(err)
	}
	m := h.Metrics[0]
	if !reflect.DeepEqual(m.Reports, []int{0, 1, 3, 4, 5}) || m.Chart.Kind != metrics.ChartXmR {
		t.Errorf("reports %v kind %s, want [0 1 3 4 5] xmr", m.Reports, m.Chart.Kind)
	}
	if !strings.Contains(fmt.Sprint(m.Chart.Warnings), "1 of the 6 reports have no value for fairness.accuracy.gap") {
		t.Errorf("warnings %v do not say a report lacks the metric", m.Chart.Warnings)
	}
	// It is not a default: not every report has it.
	h, _ = NewHistory(set, HistoryOptions{})
	for _, m := range h.Metrics {
		if m.Metric == "fairness.accuracy.gap" {
			t.Error("a metric some reports lack is among the defaults")
		}
	}
}

// HistoryCounts gives the counts behind exactly the values Values reports.
func TestHistoryCountsMatchValues(t *testing.T) {
	r := Build(testInput(t))
	values := Values(r)
	counts := HistoryCounts(r)
	if len(counts) < 4 {
		t.Fatalf("only %d counted metrics: %v", len(counts), counts)
	}
	for path, c := range counts {
		v, ok := values[path]
		if !ok || v.V != float64(c.K)/float64(c.N) {
			t.Errorf("%s: counts %d/%d, value %v (present %v)", path, c.K, c.N, v.V, ok)
		}
	}
	for _, path := range []string{"accuracy", "errors.rate", "production.accuracy", "accuracy.task.billing"} {
		if _, ok := counts[path]; !ok {
			t.Errorf("no counts for %s", path)
		}
	}
}

func TestHistoryPosition(t *testing.T) {
	h11, err := NewHistory(histSet(11), HistoryOptions{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	h12, err := NewHistory(histSet(12), HistoryOptions{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	latest12 := h12.Latest()
	tests := []struct {
		name string
		h    *History
		r    *Report
		want []ControlPosition
	}{
		{
			// A new week is judged after the history, against its limits,
			// exactly as a history that includes it judges it.
			name: "next week", h: h11, r: histReport(11, histAccuracy[11], 400, histErrors[11], "bot"), want: latest12,
		},
		{
			name: "a report of the history", h: h12, r: histReport(8, histAccuracy[8], 400, histErrors[8], "bot"),
			want: []ControlPosition{h12.position(h12.Metrics[0], h12.Metrics[0].Chart.Points[8]), h12.position(h12.Metrics[1], h12.Metrics[1].Chart.Points[8])},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HistoryPosition(tt.h, tt.r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// Week 9's drop is out of control, on rule 1, below.
	drop := HistoryPosition(h12, histReport(8, histAccuracy[8], 400, histErrors[8], "bot"))[0]
	if drop.Metric != "accuracy" || len(drop.Signals) == 0 || drop.Signals[0] != (metrics.Signal{Rule: metrics.Rule1, Side: -1}) || drop.N != 400 {
		t.Errorf("week 9: %+v, want accuracy out of control on rule 1, below", drop)
	}
	// A report lacking a metric gets no position for it.
	noCalls := histReport(12, 360, 400, 0, "bot")
	noCalls.Candidate.Calls = 0
	if got := HistoryPosition(h12, noCalls); len(got) != 1 || got[0].Metric != "accuracy" {
		t.Errorf("positions %+v, want accuracy only (errors.rate needs calls)", got)
	}
}

func TestControlPositionJSON(t *testing.T) {
	tests := []struct {
		name string
		p    ControlPosition
		json string
	}{
		{"p-chart, flagged", ControlPosition{"accuracy", metrics.ChartP, 0.725, 400, 0.85, 0.9, 0.95, []metrics.Signal{{Rule: metrics.Rule1, Side: -1}}, "all 12 reports"},
			`{"metric":"accuracy","chart":"p","value":0.725,"n":400,"lcl":0.85,"center":0.9,"ucl":0.95,"signals":[{"rule":1,"side":"below","text":"one point beyond 3σ"}],"reference":"all 12 reports"}`},
		{"no limits", ControlPosition{"tokens.total", metrics.ChartXmR, 1200, 0, math.NaN(), 1100, math.NaN(), nil, "all 1 reports"},
			`{"metric":"tokens.total","chart":"xmr","value":1200,"n":0,"lcl":null,"center":1100,"ucl":null,"signals":[],"reference":"all 1 reports"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.p)
			if err != nil || string(b) != tt.json {
				t.Fatalf("Marshal = %s, %v\nwant %s", b, err, tt.json)
			}
			var back ControlPosition
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(back)
			if string(b2) != tt.json {
				t.Errorf("round trip gave %s", b2)
			}
		})
	}
}

// hostileHistory is a history whose every report-written string (model
// name and version, a fairness column, hence a metric path) and every file
// path and detail carries the script payloads of xss_test.go; week 9 is
// flagged, so the payloads also reach the flagged points' tooltips.
func hostileHistory(t *testing.T) *History {
	t.Helper()
	set := histSet(9)
	col := "region" + xssAttr + xssSVG
	for i, sr := range set.Reports {
		r := sr.Report
		r.Candidate.Model, r.Candidate.Version = "m"+xssImg, "v"+xssScript+"|**x**"
		if i != 3 {
			r.Metrics.Fairness = []metrics.FairnessColumn{{Column: col, Disparities: []metrics.Disparity{{Metric: "accuracy", Gap: metrics.Estimate{Value: 0.02 + 0.01*float64(i%3), Low: 0, High: 0.1}}}}}
		}
	}
	set.Excluded = []Exclusion{{Path: "week" + xssImg + ".dsse.json", Reason: ExcludedInvalid, Detail: "detail" + xssScript + xssSVG}}
	h, err := NewHistory(set, HistoryOptions{Metrics: []string{"accuracy", "fairness." + col + ".accuracy.gap"}})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Metrics[0].Chart.Points[8].OutOfControl() || len(h.Metrics[1].Chart.Warnings) < 2 {
		t.Fatal("the hostile history has no flagged point or no warning naming the metric")
	}
	return h
}

// Every string from a report or a path reaches history.md escaped for
// Markdown (code spans aside, whose content is literal), and history.json
// as JSON.
func TestHistoryRenderEscapes(t *testing.T) {
	h := hostileHistory(t)
	codeSpan := regexp.MustCompile("`[^`\n]*`")
	tests := []struct {
		name  string
		write func(io.Writer, *History) error
		not   []string
		want  []string
	}{
		{"markdown", WriteHistoryMarkdown, []string{"<img", "<script", "<svg", "</text>", "|**x**"}, []string{"&lt;script&gt;", `\|\*\*x\*\*`, "&lt;img src=x"}},
		{"json", WriteHistoryJSON, []string{"<img", "<script"}, []string{`\u003cscript\u003e`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, h); err != nil {
				t.Fatal(err)
			}
			text := codeSpan.ReplaceAllString(b.String(), "`code`")
			for _, s := range tt.not {
				if strings.Contains(text, s) {
					t.Errorf("output contains %q unescaped", s)
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(text, s) {
					t.Errorf("output lacks %q", s)
				}
			}
		})
	}
}

// TestHistoryHTMLEscapesInChromium opens the hostile history.html in a
// real headless Chromium, with and without its Content-Security-Policy,
// and checks in the DOM that no payload ran or became markup (see
// TestHTMLEscapesInChromium, whose helpers and control page it shares).
func TestHistoryHTMLEscapesInChromium(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the headless XSS test")
	}
	var page bytes.Buffer
	if err := WriteHistoryHTML(&page, hostileHistory(t)); err != nil {
		t.Fatal(err)
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	if !csp.Match(page.Bytes()) {
		t.Fatal("history.html has no Content-Security-Policy")
	}
	tests := []struct {
		name string
		page []byte
	}{
		{"history.html", page.Bytes()},
		{"history.html without its CSP", csp.ReplaceAll(page.Bytes(), nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dom := dumpDOM(t, chromium, tt.page)
			if ran := executed(dom); ran != "" {
				t.Fatalf("%s; DOM:\n%s", ran, dom)
			}
			if !strings.Contains(dom, "&lt;img src=x onerror=") || !strings.Contains(dom, "&lt;script&gt;") || !strings.Contains(dom, "<svg") {
				t.Fatalf("the payloads or the charts are missing from the page, so the test checked nothing; DOM:\n%s", dom)
			}
		})
	}
}

func TestHistoryJSON(t *testing.T) {
	h, err := NewHistory(histSet(12), HistoryOptions{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WriteHistoryJSON(&a, h); err != nil {
		t.Fatal(err)
	}
	WriteHistoryJSON(&b, h)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same history gave different bytes")
	}
	golden(t, "history.json", a.Bytes())
	var got struct {
		Reference struct{ Reports int }
		Metrics   []struct {
			Metric string
			Points []struct {
				Reference bool
				Signals   []metrics.Signal
			}
		}
	}
	if err := json.Unmarshal(a.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	acc := got.Metrics[0]
	if got.Reference.Reports != 8 || acc.Metric != "accuracy" || !acc.Points[7].Reference || acc.Points[8].Reference || len(acc.Points[8].Signals) == 0 {
		t.Errorf("reference %d, accuracy points %+v: want 8 reference points and week 9 flagged", got.Reference.Reports, acc.Points)
	}
}

// One report makes a chart with no moving range: the renderers say n/a
// where a limit is undefined, and write null in JSON.
func TestHistoryRenderOneReport(t *testing.T) {
	h, err := NewHistory(histSet(1), HistoryOptions{Metrics: []string{"accuracy", "tokens.total"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(io.Writer, *History) error
		want  string
	}{
		{"markdown", WriteHistoryMarkdown, "| 2026-01-05 | bot@v1 | 0 | - | n/a | 0 | n/a |  |"},
		{"html", WriteHistoryHTML, "no moving range"},
		{"json", WriteHistoryJSON, `"moving_range": null`},
		{"summary", WriteHistorySummary, "limits [n/a, n/a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, h); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}
