package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/internal/testkeys"

	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// updateGolden rewrites the golden files of this package's tests
// (go test ./cmd/evalgate -run History -update).
// weeklyReport builds the report of week w (0-based) as a run would have
// written it: accuracy k of n, errors of n calls, and an accuracy gap
// between regions.
func weeklyReport(w int, model string, k, n, errs int, gap float64) *reports.Report {
	finished := time.Date(2026, 1, 5, 6, 30, 0, 0, time.UTC).AddDate(0, 0, 7*w)
	acc := metrics.Accuracy{Method: "normalized", Overall: metrics.NewProportion(k, n, 0.95), ByMethod: map[string]metrics.Proportion{}, Warnings: metrics.Warnings{}}
	name, version, _ := strings.Cut(model, "@")
	r := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Status:        reports.Complete,
		Harness:       reports.Harness{Name: "evalgate", Version: reports.Version},
		Config:        reports.ConfigInfo{Path: "weekly.yaml", SHA256: strings.Repeat("c0", 32)},
		Dataset: reports.DatasetInfo{Path: "prod-sample.parquet", Name: "prod-sample", Version: fmt.Sprintf("2026-w%02d", w+2),
			SHA256: fmt.Sprintf("%064x", 1000+w), Rows: int64(n)},
		Candidate: reports.ModelRun{Provider: "replay", Model: name, Version: version, ResultsFile: "results.parquet", ResultsSHA256: fmt.Sprintf("%064x", w+1),
			Calls: n, Errors: errs, ErrorKinds: map[string]int{}, ErrorRate: metrics.NewProportion(errs, n, 0.95), Accuracy: acc},
		Metrics: reports.Metrics{Accuracy: acc, Fairness: []metrics.FairnessColumn{{
			Column: "region", Columns: []string{"region"},
			Disparities: []metrics.Disparity{{Metric: "accuracy", Gap: metrics.Estimate{Value: gap, Low: gap - 0.02, High: gap + 0.02},
				Ratio: metrics.Estimate{Value: 1 - gap, Low: 1 - gap - 0.02, High: 1 - gap + 0.02}, Lowest: "eu", Highest: "us", Groups: 3}},
			AccuracyGap:                 metrics.Estimate{Value: gap, Low: gap - 0.02, High: gap + 0.02},
			DemographicParityDifference: metrics.Estimate{Value: 0, Low: 0, High: 0},
			DisparateImpact:             metrics.Estimate{Value: 1, Low: 1, High: 1},
			EqualizedOddsDifference:     metrics.Estimate{Value: 0, Low: 0, High: 0},
			Level:                       0.95, Intervals: metrics.IntervalsSimultaneous, Warnings: metrics.Warnings{},
		}}},
		Timing: reports.Timing{StartedAt: finished.Add(-10 * time.Minute), FinishedAt: finished, Seconds: 600},
	}
	reports.ApplyGate(r, nil)
	return r
}

// historyFolder writes twelve weekly signed reports (week-01 … week-12)
// into a new folder, with accuracy drawn from a fixed seed around 0.9 and
// week plant (1-based) drawn around 0.72. It also writes what a real
// folder collects: the plain report.json beside each envelope, a report
// tampered after signing (week-13, the newest by its claimed date), a
// report with no signature (week-14/report.json) and one signed by
// another key. It returns the folder and the public key file.
func historyFolder(t *testing.T, plant int) (dir, pub string) {
	t.Helper()
	key := func(seed uint64) (*signing.Signer, []byte) {
		s, _, _, pub := testkeys.Seeded(t, byte(seed))
		return s, pub
	}
	signer, pubPEM := key(1)
	other, _ := key(2)
	dir = t.TempDir()
	pub = filepath.Join(t.TempDir(), "pub.pem")
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 1))
	draw := func(n int, p float64) int {
		k := 0
		for range n {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	sign := func(s *signing.Signer, r *reports.Report) []byte {
		env, err := reports.SignReport(s, r, "")
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	plainJSON := func(r *reports.Report) []byte {
		var b bytes.Buffer
		if err := reports.WriteJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	report := func(w int) *reports.Report {
		n := 400
		p, model := 0.9, "support-bot@v3"
		if w >= 6 {
			model = "support-bot@v4"
		}
		if w == plant-1 {
			p = 0.72
		}
		return weeklyReport(w, model, draw(n, p), n, draw(n, 0.01), 0.03+0.02*rng.Float64())
	}
	for w := range 12 {
		r := report(w)
		write(fmt.Sprintf("week-%02d/report.dsse.json", w+1), sign(signer, r))
		write(fmt.Sprintf("week-%02d/report.json", w+1), plainJSON(r))
	}
	// Week 13 claims a model that never ran: its payload was edited after
	// signing.
	env := sign(signer, report(12))
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
	edited := bytes.ReplaceAll(payload, []byte(`"version":"v4"`), []byte(`"version":"v9"`))
	if bytes.Equal(edited, payload) {
		t.Fatal("the tampering changed nothing")
	}
	m["payload"] = base64.StdEncoding.EncodeToString(edited)
	tampered, _ := json.MarshalIndent(m, "", "  ")
	write("week-13/report.dsse.json", tampered)
	write("week-14/report.json", plainJSON(report(13)))
	write("elsewhere/report.dsse.json", sign(other, report(14)))
	return dir, pub
}

func TestHistory(t *testing.T) {
	dir, pub := historyFolder(t, 8)
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "history", dir, "--key", pub, "--out", out)
	if res.code != exitOK {
		t.Fatalf("exit %d, want 0 (the newest report is in control)\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "history.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "history.md", md)

	var h struct {
		Reports  []struct{ Path, Model string }
		Excluded []history.Exclusion
		Newest   struct {
			OutOfControl bool `json:"out_of_control"`
		}
		Metrics []struct {
			Metric string
			Chart  string
			Points []struct {
				Path    string
				Signals []metrics.Signal
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Reports) != 12 || h.Newest.OutOfControl {
		t.Errorf("%d reports, newest out of control %v; want the 12 verified weeks, in control", len(h.Reports), h.Newest.OutOfControl)
	}
	for _, r := range h.Reports {
		if strings.HasPrefix(r.Path, "week-13") || r.Model == "support-bot@v9" {
			t.Errorf("the tampered report is in the series: %+v", r)
		}
	}
	excluded := map[string]string{}
	for _, x := range h.Excluded {
		excluded[x.Path] = x.Reason
	}
	for path, reason := range map[string]string{"week-13/report.dsse.json": history.ExcludedTampered, "week-14/report.json": history.ExcludedUnsigned, "elsewhere/report.dsse.json": history.ExcludedBadSignature} {
		if excluded[path] != reason {
			t.Errorf("%s excluded as %q, want %q (excluded: %v)", path, excluded[path], reason, excluded)
		}
		if !strings.Contains(res.stdout, path+": "+reason) {
			t.Errorf("stdout does not list %s as %s:\n%s", path, reason, res.stdout)
		}
	}
	if len(h.Excluded) != 3 {
		t.Errorf("excluded %v, want exactly the three bad files (a report.json beside its envelope is not one)", excluded)
	}
	charts := map[string]string{}
	for _, m := range h.Metrics {
		charts[m.Metric] = m.Chart
		if m.Metric != "accuracy" {
			continue
		}
		for _, p := range m.Points {
			planted := strings.HasPrefix(p.Path, "week-08/")
			rule1 := len(p.Signals) > 0 && p.Signals[0] == metrics.Signal{Rule: metrics.Rule1, Side: -1}
			if planted != rule1 {
				t.Errorf("accuracy at %s: signals %v; want rule 1 below on week 8 only", p.Path, p.Signals)
			}
		}
	}
	want := map[string]string{"accuracy": metrics.ChartP, "errors.rate": metrics.ChartP, "fairness.accuracy.gap": metrics.ChartXmR}
	if fmt.Sprint(charts) != fmt.Sprint(want) {
		t.Errorf("charts %v, want %v", charts, want)
	}
	html, err := os.ReadFile(filepath.Join(out, "history.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", `class="flag"`, `class="band"`, "week-13/report.dsse.json"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("history.html lacks %s", s)
		}
	}
	for name, b := range map[string][]byte{"stdout": []byte(res.stdout), "history.md": md, "history.html": html, "history.json": raw} {
		if bytes.Contains(b, []byte("v9")) {
			t.Errorf("%s shows the tampered report's content", name)
		}
	}
}

func TestHistoryExitCodes(t *testing.T) {
	dir, pub := historyFolder(t, 8)
	newestBad, newestPub := historyFolder(t, 12)
	_, otherPub := keygen(t, "ed25519")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"newest in control", []string{dir, "--key", pub}, exitOK, "is in control on every metric"},
		{"newest out of control", []string{newestBad, "--key", newestPub}, exitBlock, "the newest report is out of control on accuracy"},
		{"limits from the first 6 weeks", []string{dir, "--key", pub, "--reference", "6", "--metrics", "accuracy"}, exitOK, "limits from the first 6 reports, 2026-01-05 to 2026-02-09"},
		{"limits up to a date", []string{dir, "--key", pub, "--reference-until", "2026-02-09"}, exitOK, "limits from the 6 reports up to 2026-02-09T23:59:59Z"},
		{"newest out of control against the first 6", []string{newestBad, "--key", newestPub, "--reference", "6"}, exitBlock, "OUT OF CONTROL: rule 1 (one point beyond 3σ, below)"},
		{"no report verifies", []string{dir, "--key", otherPub}, exitBlock, "none of the 15 report files"},
		{"no key", []string{dir}, exitUsage, "--key PUB.pem is required"},
		{"no folder", []string{"--key", pub}, exitUsage, "want one DIR"},
		{"two folders", []string{dir, dir, "--key", pub}, exitUsage, "want one DIR"},
		{"reference 0", []string{dir, "--key", pub, "--reference", "0"}, exitUsage, "--reference 0: want 1 or more"},
		{"both reference flags", []string{dir, "--key", pub, "--reference", "3", "--reference-until", "2026-02-01"}, exitUsage, "give one"},
		{"bad date", []string{dir, "--key", pub, "--reference-until", "last week"}, exitUsage, `--reference-until "last week": want YYYY-MM-DD`},
		{"reference past the reports", []string{dir, "--key", pub, "--reference", "40"}, exitUsage, "reference 40 reports, and only 12 verified"},
		{"date before the reports", []string{dir, "--key", pub, "--reference-until", "2025-12-01"}, exitUsage, "no report finished by 2025-12-01T23:59:59Z"},
		{"unknown metric", []string{dir, "--key", pub, "--metrics", "accuracy,acuracy"}, exitUsage, `metric "acuracy" is in none of the 12 reports`},
		{"empty metric", []string{dir, "--key", pub, "--metrics", "accuracy,"}, exitUsage, "empty metric path"},
		{"missing folder", []string{filepath.Join(dir, "nope"), "--key", pub}, exitUsage, "nope"},
		{"empty folder", []string{t.TempDir(), "--key", pub}, exitUsage, "no signed report (*.dsse.json)"},
		{"private key given", []string{dir, "--key", strings.Replace(otherPub, publicKeyFile, privateKeyFile, 1)}, exitUsage, `want a PKIX "PUBLIC KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, append([]string{"history", "--out", t.TempDir()}, tt.args...)...)
			if res.code != tt.code || !strings.Contains(res.stdout+res.stderr, tt.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, tt.want, res.stdout, res.stderr)
			}
		})
	}
}

// goldenFile compares got with testdata/name, rewriting it under -update.
