package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// TestWeeklyPipeline runs the schedule of examples/weekly on the DuckDB
// production log, week by week, as the cron job does: sample → run (signed,
// on the control charts of earlier weeks) → drift against the first week →
// history. The model changes in week 4, which drift must show in
// model_version; every signed file must verify; history must read every
// week and quietly pass over the drift envelopes.
func TestWeeklyPipeline(t *testing.T) {
	logs := filepath.Join("..", "..", "..", "shared", "data", "interop", "prod-logs-duckdb.parquet")
	if _, err := os.Stat(logs); err != nil {
		t.Skipf("the shared test data is absent (%v); this test needs ../shared/data/interop", err)
	}
	weekly, err := os.ReadFile(filepath.Join("..", "..", "examples", "weekly", "weekly.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := keygen(t, signing.KeyEd25519)
	evidence := t.TempDir()
	weeks := filepath.Join(evidence, "weeks")
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	// The log runs from 2026-10-01 for 42.8 days; the model changes at
	// request 60000, on 2026-10-26.
	mondays := []string{"2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02"}
	var first string
	for w := 0; w+1 < len(mondays); w++ {
		out := filepath.Join(weeks, fmt.Sprintf("2026-W%d", 41+w))
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "weekly.yaml"), weekly, 0o644); err != nil {
			t.Fatal(err)
		}
		sample := filepath.Join(out, "sample.parquet")
		step := func(args ...string) result {
			t.Helper()
			res := runCLI(t, context.Background(), env, args...)
			if res.code != exitOK {
				t.Fatalf("week %d: %s: exit %d\n%s\n%s", w+1, args[0], res.code, res.stdout, res.stderr)
			}
			return res
		}
		step("sample", "--from", logs, "--n", "400", "--seed", fmt.Sprint(202641+w), "--stratify", "model_version",
			"--since", mondays[w], "--until", mondays[w+1], "--out", sample)
		if first == "" {
			first = sample
		}
		// The week's inputs stay beside its run's outputs, never among them.
		runOut := filepath.Join(out, "run")
		step("run", "-c", filepath.Join(out, "weekly.yaml"), "--out", runOut, "--quiet", "--key", priv,
			"--history", weeks, "--history-key", pub)
		step("drift", "--reference", first, "--current", sample, "-c", filepath.Join(out, "weekly.yaml"),
			"--out", filepath.Join(out, "drift"), "--key", priv)
		step("verify", "--key", pub, filepath.Join(runOut, "report.dsse.json"), filepath.Join(runOut, "results.parquet"))
		step("verify", "--key", pub, filepath.Join(out, "drift", "drift.dsse.json"), first, sample)

		rep := readReport(t, runOut)
		if g := rep.Metrics.Groundedness; g == nil || len(g.Hallucinated) == 0 || rep.Verdict != reports.Allow {
			t.Errorf("week %d: verdict %s, groundedness %+v: want ALLOW with the ungrounded tenth found", w+1, rep.Verdict, g)
		}
		if w >= 2 && len(rep.History) == 0 {
			t.Errorf("week %d: no position on the control charts of the earlier weeks", w+1)
		}
		var d struct {
			Features []struct {
				Name, Status string
			} `json:"features"`
		}
		b, err := os.ReadFile(filepath.Join(out, "drift", "drift.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		status := map[string]string{}
		for _, f := range d.Features {
			status[f.Name] = f.Status
		}
		want := "ok"
		if w == 3 { // the week of 2026-10-26 holds both model versions
			want = "alert"
		}
		if status["model_version"] != want || status["gender"] != "ok" {
			t.Errorf("week %d: drift model_version %q gender %q, want %q and ok", w+1, status["model_version"], status["gender"], want)
		}
	}
	res := runCLI(t, context.Background(), env, "history", weeks, "--key", pub, "--out", filepath.Join(evidence, "history"))
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("history: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	var h struct {
		Reports  []json.RawMessage `json:"reports"`
		Excluded []json.RawMessage `json:"excluded"`
	}
	b, err := os.ReadFile(filepath.Join(evidence, "history", "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Reports) != 4 || len(h.Excluded) != 0 {
		t.Errorf("history read %d reports and excluded %d, want 4 and none:\n%s", len(h.Reports), len(h.Excluded), res.stdout)
	}
	if strings.Contains(res.stdout, "drift.dsse.json") {
		t.Errorf("history mentions the drift envelopes:\n%s", res.stdout)
	}
}
