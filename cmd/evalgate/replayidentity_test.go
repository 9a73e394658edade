package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// TestReplayIdentity replays samples of the production log: the report
// names the model and version of the log's model_version column (so that
// verify --expect-model passes for what production ran), its latency is
// the log's latency_ms, and a week in which the model changed lists both
// versions with their counts and names the more common one.
func TestReplayIdentity(t *testing.T) {
	logs := sampleProdLogs(t)
	priv, pub := keygen(t, signing.KeyEd25519)
	for _, tt := range []struct {
		name, since, until string
		model, version     string
		recorded           []reports.RecordedModel
	}{
		{"one version", "2026-10-05", "2026-10-12", "support-bot", "2026-09-14", nil},
		// The model changed at 2026-10-26 16:40 (request 60000): 2,000 of
		// that week's 16,346 requests went to the old version.
		{"the week the model changed", "2026-10-26", "2026-11-02", "support-bot", "2026-10-20",
			[]reports.RecordedModel{{Identity: "support-bot@2026-10-20", Results: 0}, {Identity: "support-bot@2026-09-14", Results: 0}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			set := filepath.Join(dir, "sample.parquet")
			res := runCLI(t, context.Background(), nil, "sample", "--from", logs, "--n", "400", "--seed", "7",
				"--since", tt.since, "--until", tt.until, "--out", set)
			if res.code != exitOK {
				t.Fatalf("sample: exit %d\n%s", res.code, res.stderr)
			}
			cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\ngate:\n  - {metric: errors.rate, max: 0}\n", set))
			out := filepath.Join(dir, "out")
			res = runCLI(t, context.Background(), map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "run", "-c", cfg, "--out", out, "--quiet", "--key", priv)
			if res.code != exitOK {
				t.Fatalf("run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			rep := readReport(t, out)
			// The report carries the window the sample was drawn from,
			// which history charts it by.
			if w := rep.Dataset.Window; w == nil || w.Since == nil || w.Until == nil ||
				w.Since.Format("2006-01-02") != tt.since || w.Until.Format("2006-01-02") != tt.until || !rep.DataTime().Equal(*w.Since) {
				t.Errorf("dataset window %+v, want [%s, %s)", w, tt.since, tt.until)
			}
			if rep.Candidate.Model != tt.model || rep.Candidate.Version != tt.version {
				t.Errorf("candidate %s@%s, want %s@%s", rep.Candidate.Model, rep.Candidate.Version, tt.model, tt.version)
			}
			// The log's latencies are 120 + 3k ms for k in 0..49.
			lat := rep.Candidate.Latency
			if lat.Calls != 400 || lat.P50 == nil || *lat.P50 < 120 || lat.Max == nil || *lat.Max > 267 || *lat.Max < 200 {
				t.Errorf("latency %+v, want the log's latency_ms (120 to 267 ms) for 400 calls", lat)
			}
			if got := rep.Candidate.RecordedModels; len(got) != len(tt.recorded) {
				t.Errorf("recorded models %+v, want %d identities", got, len(tt.recorded))
			} else if len(got) > 0 {
				sum := 0
				for i, g := range got {
					sum += g.Results
					if g.Identity != tt.recorded[i].Identity {
						t.Errorf("recorded model %d is %q, want %q", i, g.Identity, tt.recorded[i].Identity)
					}
				}
				if sum != 400 || got[0].Results < got[1].Results {
					t.Errorf("recorded models %+v, want 400 results, most common first", got)
				}
			}
			// Each result records the version that produced it.
			results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			versions := map[string]int{}
			for _, r := range results {
				versions[r.Model]++
			}
			if len(versions) != max(1, len(tt.recorded)) || versions["replay"] != 0 {
				t.Errorf("results record models %v", versions)
			}
			res = runCLI(t, context.Background(), nil, "verify", "--key", pub, "--expect-model", tt.model+"@"+tt.version,
				filepath.Join(out, "report.dsse.json"), filepath.Join(out, "results.parquet"))
			if res.code != exitOK {
				t.Errorf("verify --expect-model %s@%s: exit %d\n%s\n%s", tt.model, tt.version, res.code, res.stdout, res.stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
