package history_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/evalgate/evalgate/internal/testkeys"

	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

func historySigner(t *testing.T, seed byte) (*signing.Signer, *signing.Verifier) {
	return testkeys.Pair(t, seed)
}

func TestReadSignedReports(t *testing.T) {
	s, v := historySigner(t, 1)
	other, _ := historySigner(t, 2)
	sign := func(s *signing.Signer, r *reports.Report) []byte {
		b, err := reports.SignReport(s, r, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := func(r *reports.Report) []byte {
		var b bytes.Buffer
		reports.WriteJSON(&b, r)
		return b.Bytes()
	}
	r1, r2 := reportstest.WeekReport(0, 360, 400, 3, "bot"), reportstest.WeekReport(1, 350, 400, 3, "bot")
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
		r.Timing = reports.Timing{}
		st := reports.NewStatement(&r, "")
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
		"m/other-report.dsse.json": {Data: sign(s, reportstest.WeekReport(2, 361, 400, 2, "bot"))},
	}
	set, err := history.ReadSignedReports(fsys, v)
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
		{"b/copy.dsse.json", history.ExcludedDuplicate, "the same signed report as a/report.dsse.json"},
		{"c/report.dsse.json", history.ExcludedTampered, "the payload or the signature was changed after signing"},
		{"d/report.dsse.json", history.ExcludedBadSignature, "the envelope names signing key"},
		{"e/report.json", history.ExcludedUnsigned, "no signature envelope"},
		{"f/plain.dsse.json", history.ExcludedUnsigned, "a plain report"},
		{"g/report.dsse.json", history.ExcludedInvalid, "not a DSSE envelope"},
		{"h/report.dsse.json", history.ExcludedInvalid, `payloadType "text/plain"`},
		{"n/bad-time.dsse.json", history.ExcludedInvalid, `no finish time and timeVerified "last Tuesday"`},
	}
	got := map[string]history.Exclusion{}
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
		opt       history.Options
		err       error
		errText   string
		metrics   []string
		charts    []string
		reference string
	}{
		{name: "defaults", weeks: 12, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "all 12 reports, 2026-01-05 to 2026-03-23"},
		{name: "first 6", weeks: 12, opt: history.Options{Reference: 6}, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "the first 6 reports, 2026-01-05 to 2026-02-09"},
		{name: "until a day", weeks: 12, opt: history.Options{Until: until}, metrics: []string{"accuracy", "errors.rate"}, charts: []string{"p", "p"}, reference: "the 6 reports up to 2026-02-09T23:59:59Z, 2026-01-05 to 2026-02-09"},
		{name: "named metrics, one without counts", weeks: 12, opt: history.Options{Metrics: []string{"tokens.total", "accuracy.ci_low", "errors.rate"}}, metrics: []string{"tokens.total", "accuracy.ci_low", "errors.rate"}, charts: []string{"xmr", "xmr", "p"}, reference: "all 12 reports, 2026-01-05 to 2026-03-23"},
		{name: "no reports", weeks: 0, err: history.ErrNoReports},
		{name: "reference past the reports", weeks: 12, opt: history.Options{Reference: 13}, err: history.ErrOptions, errText: "reference 13 reports, and only 12 verified"},
		{name: "negative reference", weeks: 12, opt: history.Options{Reference: -1}, err: history.ErrOptions, errText: "want 1 or more"},
		{name: "both references", weeks: 12, opt: history.Options{Reference: 2, Until: until}, err: history.ErrOptions, errText: "by count and by date at once"},
		{name: "until before the first", weeks: 12, opt: history.Options{Until: until.AddDate(0, -3, 0)}, err: history.ErrOptions, errText: "no report finished by 2025-11-09T23:59:59Z"},
		{name: "unknown metric", weeks: 12, opt: history.Options{Metrics: []string{"acuracy"}}, err: history.ErrOptions, errText: `metric "acuracy" is in none of the 12 reports`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := history.New(reportstest.WeekSet(tt.weeks), tt.opt)
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
	set := reportstest.WeekSet(5)
	set.Reports[0], set.Reports[4] = set.Reports[4], set.Reports[0]
	set.Reports[1].Path = "z-late-in-the-walk.dsse.json"
	h, err := history.New(set, history.Options{})
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
	set := reportstest.WeekSet(6)
	for i, sr := range set.Reports {
		if i != 2 {
			sr.Report.Metrics.Fairness = []metrics.FairnessColumn{{Column: "region", Disparities: []metrics.Disparity{{Metric: "accuracy", Gap: metrics.Estimate{Value: 0.02 + 0.01*float64(i%2), Low: 0, High: 0.1}}}}}
		}
	}
	h, err := history.New(set, history.Options{Metrics: []string{"fairness.accuracy.gap"}})
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
	h, _ = history.New(set, history.Options{})
	for _, m := range h.Metrics {
		if m.Metric == "fairness.accuracy.gap" {
			t.Error("a metric some reports lack is among the defaults")
		}
	}
}

func TestHistoryPosition(t *testing.T) {
	h11, err := history.New(reportstest.WeekSet(11), history.Options{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	h12, err := history.New(reportstest.WeekSet(12), history.Options{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	latest12 := h12.Latest()
	tests := []struct {
		name string
		h    *history.History
		r    *reports.Report
		want []reports.ControlPosition
	}{
		{
			// A new week is judged after the history, against its limits,
			// exactly as a history that includes it judges it.
			name: "next week", h: h11, r: reportstest.WeekReport(11, reportstest.WeekAccuracy[11], 400, reportstest.WeekErrors[11], "bot"), want: latest12,
		},
		{
			name: "a report of the history", h: h12, r: reportstest.WeekReport(8, reportstest.WeekAccuracy[8], 400, reportstest.WeekErrors[8], "bot"),
			want: []reports.ControlPosition{history.PositionOf(h12, h12.Metrics[0], h12.Metrics[0].Chart.Points[8]), history.PositionOf(h12, h12.Metrics[1], h12.Metrics[1].Chart.Points[8])},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := history.Position(tt.h, tt.r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// Week 9's drop is out of control, on rule 1, below.
	drop := history.Position(h12, reportstest.WeekReport(8, reportstest.WeekAccuracy[8], 400, reportstest.WeekErrors[8], "bot"))[0]
	if drop.Metric != "accuracy" || len(drop.Signals) == 0 || drop.Signals[0] != (metrics.Signal{Rule: metrics.Rule1, Side: -1}) || drop.N != 400 {
		t.Errorf("week 9: %+v, want accuracy out of control on rule 1, below", drop)
	}
	// A report lacking a metric gets no position for it.
	noCalls := reportstest.WeekReport(12, 360, 400, 0, "bot")
	noCalls.Candidate.Calls = 0
	if got := history.Position(h12, noCalls); len(got) != 1 || got[0].Metric != "accuracy" {
		t.Errorf("positions %+v, want accuracy only (errors.rate needs calls)", got)
	}
}

// TestBackfillChartsByDataWindow runs a 12-week backfill "in one day": 12
// weekly samples, all finished within the same hour, whose data windows
// are the weeks they sampled. History places each in its own week, in
// window order, not on the run day (and not in run order, which here is
// reversed), and charts 12 points.
func TestBackfillChartsByDataWindow(t *testing.T) {
	s, v := historySigner(t, 1)
	fsys := fstest.MapFS{}
	ranAt := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for w := range 12 {
		r := reportstest.WeekReport(w, reportstest.WeekAccuracy[w], 400, reportstest.WeekErrors[w], "bot")
		since := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
		until := since.AddDate(0, 0, 7)
		r.Dataset.Window = &reports.DataWindow{Since: &since, Until: &until, Column: "timestamp"}
		// The newest week ran first.
		finished := ranAt.Add(time.Duration(12-w) * time.Minute)
		r.Timing = reports.Timing{StartedAt: finished.Add(-time.Minute), FinishedAt: finished, Seconds: 60}
		b, err := reports.SignReport(s, r, "")
		if err != nil {
			t.Fatal(err)
		}
		fsys[fmt.Sprintf("run-%02d/report.dsse.json", w)] = &fstest.MapFile{Data: b}
	}
	set, err := history.ReadSignedReports(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.New(set, history.Options{Metrics: []string{"accuracy"}})
	if err != nil {
		t.Fatal(err)
	}
	weeks := map[string]bool{}
	for i, r := range h.Reports {
		want := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i)
		if !r.Time.Equal(want) {
			t.Errorf("report %d (%s) placed at %s, want its window's start %s", i, r.Path, r.Time, want)
		}
		y, wk := r.Time.ISOWeek()
		weeks[fmt.Sprintf("%d-W%02d", y, wk)] = true
	}
	if len(weeks) != 12 || len(h.Metrics[0].Chart.Points) != 12 {
		t.Errorf("%d distinct weeks and %d chart points, want 12 of each", len(weeks), len(h.Metrics[0].Chart.Points))
	}
	// The chart follows the windows: week i's accuracy is point i.
	for i, p := range h.Metrics[0].Chart.Points {
		if want := float64(reportstest.WeekAccuracy[i]) / 400; p.Value != want {
			t.Errorf("point %d = %v, want week %d's accuracy %v", i, p.Value, i, want)
			break
		}
	}
}
