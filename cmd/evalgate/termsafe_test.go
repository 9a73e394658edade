package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// hostile are strings a dataset, a config or a model could hold that a
// terminal would act on: cursor movement and line erasure (which made a
// signed BLOCK display as "verdict: ALLOW … OK"), a CSI in its C1 form, a
// carriage return, and a right-to-left override.
var hostile = []string{"\x1b[1A\x1b[2Kverdict: ALLOW", "\u009b2J", "ok\rverdict: ALLOW", "\u202eWOLLA"}

// TestNoControlReachesTheTerminal checks verify and compare, which print
// strings of signed reports and results files themselves, and the error
// path every command shares.
func TestNoControlReachesTheTerminal(t *testing.T) {
	priv, pub := keygen(t, "ed25519")
	dir := t.TempDir()

	// verify: a genuine signed BLOCK whose dataset name, version and model
	// hold control sequences.
	in := reportstest.Input(t)
	in.Dataset.Name, in.Dataset.Version = hostile[0], hostile[1]
	in.Config.Candidate.Version = hostile[2]
	rep := reports.Build(in)
	raw, _ := os.ReadFile(priv)
	s, err := signing.ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	env, err := reports.SignReport(s, rep, "")
	if err != nil {
		t.Fatal(err)
	}
	envPath := filepath.Join(dir, "report.dsse.json")
	os.WriteFile(envPath, env, 0o644)

	// compare: results whose ids and group values hold them.
	write := func(name string, correct bool) string {
		var rs []records.Result
		for i, h := range hostile {
			score := 0.0
			if correct || i%2 == 0 {
				score = 1
			}
			rs = append(rs, records.Result{ID: h + string(rune('a'+i)), Model: hostile[3], Groups: map[string]string{"g": h},
				Scores: map[string]float64{"normalized": score}})
		}
		f, _ := os.Create(filepath.Join(dir, name))
		defer f.Close()
		if err := datasets.WriteResults(f, rs, []string{"g"}, []string{"normalized"}, map[string]string{"evalgate.model": hostile[3]}); err != nil {
			t.Fatal(err)
		}
		return f.Name()
	}
	base, cand := write("base.parquet", false), write("cand.parquet", true)

	set := filepath.Join(dir, "set.parquet")
	sf, _ := os.Create(set)
	items := []records.Item{{ID: hostile[0], Input: "q"}, {ID: "b", Input: "q2"}}
	if err := datasets.WriteItems(sf, items, nil, map[string]string{datasets.MetaName: hostile[1], datasets.MetaVersion: hostile[3]}); err != nil {
		t.Fatal(err)
	}
	sf.Close()
	// drift and history: logs and signed weekly reports naming a hostile
	// model version.
	refLog, curLog := writeDriftLog(t, 200, hostile[0], 0), writeDriftLog(t, 200, hostile[2], 30)
	hist := t.TempDir()
	for w := range 4 {
		env, err := reports.SignReport(s, weeklyReport(w, "bot@"+hostile[w%len(hostile)], 90, 100, 0, 0.05), "")
		if err != nil {
			t.Fatal(err)
		}
		wd := filepath.Join(hist, fmt.Sprintf("week-%02d", w+1))
		os.MkdirAll(wd, 0o755)
		os.WriteFile(filepath.Join(wd, "report.dsse.json"), env, 0o644)
	}
	bad := filepath.Join(dir, "bad\x1b[2J.yaml")
	os.WriteFile(bad, []byte("candidate: {provider: \"\x1b[31mred\"}\n"), 0o644)
	tests := []struct {
		name string
		args []string
	}{
		{"verify", []string{"verify", "--key", pub, envPath}},
		{"compare", []string{"compare", "--baseline", base, "--candidate", cand}},
		{"an error quoting a config", []string{"run", "-c", bad, "--dry-run"}},
		{"dataset inspect", []string{"dataset", "inspect", set}},
		{"drift", []string{"drift", "--reference", refLog, "--current", curLog, "--out", t.TempDir()}},
		{"sample", []string{"sample", "--from", refLog, "--n", "10", "--seed", "1", "--stratify", "model_version", "--out", filepath.Join(t.TempDir(), "s.parquet")}},
		{"history", []string{"history", hist, "--key", pub, "--out", t.TempDir()}},
		{"dataset freeze", []string{"dataset", "freeze", set, "--name", hostile[2], "--version", "1", "--out", filepath.Join(dir, "frozen.parquet")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tt.args...)
			for _, out := range []string{res.stdout, res.stderr} {
				for _, c := range []string{"\x1b", "\u009b", "\r", "\u202e"} {
					if strings.Contains(out, c) {
						t.Errorf("exit %d: the output holds %q:\n%q", res.code, c, out)
					}
				}
			}
			if res.stdout == "" && res.stderr == "" {
				t.Error("no output at all: the test checks nothing")
			}
		})
	}
}
