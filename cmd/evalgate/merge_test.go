package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// splitRun splits the results files of the whole run in runOut into n
// shard folders under root (shard-i-of-n, by pipeline.Shard.Has), each
// written as a shard run writes it: the same results writer and file
// metadata, and a shard.json. It returns the folders, by index.
func splitRun(t *testing.T, cfgPath, runOut, root string, n int) []string {
	t.Helper()
	cfg, err := pipeline.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, runOut)
	type part struct {
		file  string
		model configs.Model
		set   func(m *pipeline.ShardManifest, sm *pipeline.ShardModel)
		judge bool
	}
	parts := []part{{pipeline.ResultsFile, cfg.Candidate, func(m *pipeline.ShardManifest, sm *pipeline.ShardModel) { m.Candidate = *sm }, false}}
	if cfg.Production != nil {
		parts = append(parts, part{pipeline.ProductionResultsFile, *cfg.Production, func(m *pipeline.ShardManifest, sm *pipeline.ShardModel) { m.Production = sm }, false})
	}
	if fileExistsT(filepath.Join(runOut, pipeline.JudgeResultsFile)) {
		parts = append(parts, part{pipeline.JudgeResultsFile, *cfg.Groundedness.Judge, func(m *pipeline.ShardManifest, sm *pipeline.ShardModel) { m.Judge = sm }, true})
	}
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var dirs []string
	for i := range n {
		s := pipeline.Shard{Index: i, Count: n}
		dir := filepath.Join(root, pipeline.ShardDir(s))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		m := &pipeline.ShardManifest{Kind: pipeline.ShardKind, Harness: reports.Version, Index: i, Count: n, ConfigSHA256: cfg.SHA256,
			Dataset: pipeline.ShardDataset{Path: rep.Dataset.Path, Name: rep.Dataset.Name, Version: rep.Dataset.Version, SHA256: rep.Dataset.SHA256, Rows: rep.Dataset.Rows},
			Status:  reports.Complete, StartedAt: started.Add(time.Duration(i) * time.Minute), FinishedAt: started.Add(time.Duration(10+i) * time.Minute)}
		for _, p := range parts {
			all, meta, err := datasets.ReadResults(filepath.Join(runOut, p.file))
			if err != nil {
				t.Fatal(err)
			}
			var mine []records.Result
			items := map[string]bool{}
			for _, r := range all {
				id := r.ID
				if p.judge {
					id = judgeItem(id)
				}
				if s.Has(id) {
					mine = append(mine, r)
					items[id] = true
				}
			}
			groups, scores := cfg.Fairness.Groups, configs.Methods()
			if p.judge {
				groups, scores = nil, nil
			}
			sum := writeResultsFile(t, filepath.Join(dir, p.file), mine, groups, scores, meta)
			sm := &pipeline.ShardModel{Provider: p.model.Provider, Model: p.model.Model, Version: p.model.Version, ResultsFile: p.file, ResultsSHA256: sum,
				Results: int64(len(mine)), Stats: records.RunStats{Done: len(mine), Retries: i, Cached: 1}}
			if p.model.Provider == "openai" {
				sm.BaseURL = configs.RedactURL(p.model.BaseURL)
			}
			p.set(m, sm)
			if p.file == pipeline.ResultsFile {
				m.Items = int64(len(items))
			}
		}
		if _, err := pipeline.WriteShardManifest(dir, m); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// judgeItem is the item id of a judge-results row id,
// "<item id>#<sample>#<digest>".
func judgeItem(id string) string {
	for range 2 {
		if i := strings.LastIndexByte(id, '#'); i >= 0 {
			id = id[:i]
		}
	}
	return id
}

// writeResultsFile writes results to path with the results writer a run
// uses, and returns the file's SHA-256.
func writeResultsFile(t *testing.T, path string, results []records.Result, groups, scores []string, meta map[string]string) string {
	t.Helper()
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	w, err := datasets.NewResultsWriter(f, groups, scores, meta)
	if err != nil {
		t.Fatal(err)
	}
	for i := range results {
		if err := w.Write(&results[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sum := f.SHA256()
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// mergeMasked is r's report.json with what a merge may differ in from a
// run or a score masked: timing and the run statistics (runOnly), and the
// shards.
func mergeMasked(t *testing.T, r *reports.Report) []byte {
	t.Helper()
	r.Shards = nil
	return runOnly(t, r)
}

// TestMergeEqualsRunAndScore runs a whole set once, splits its results
// into shard folders, merges them, and checks that the merged results
// files are the run's byte for byte, and that the merged report equals
// the run's and score's on the merged results apart from timing, the run
// statistics and the shards.
func TestMergeEqualsRunAndScore(t *testing.T) {
	srv, _ := judgeServer(t)
	judged := judgedConfig(exampleSet, srv.URL, "")
	tests := []struct {
		name     string
		config   string
		n        int
		baseline bool
	}{
		{"quickstart, 4 shards", quickstart, 4, true},
		{"regression demo, 3 shards", filepath.Join("..", "..", "configs", "regression-demo.yaml"), 3, true},
		{"judge, 2 shards", judged, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, env, runOut, res := runToCompare(t, tt.config)
			mergeOut := t.TempDir()
			splitRun(t, cfg, runOut, mergeOut, tt.n)
			mres := runCLI(t, context.Background(), env, "merge", "-c", cfg, "--out", mergeOut)
			if mres.code != res.code {
				t.Fatalf("merge: exit %d, run exited %d\n%s\n%s", mres.code, res.code, mres.stdout, mres.stderr)
			}
			for _, f := range []string{pipeline.ResultsFile, pipeline.ProductionResultsFile, pipeline.JudgeResultsFile} {
				want, err := os.ReadFile(filepath.Join(runOut, f))
				if os.IsNotExist(err) {
					if fileExistsT(filepath.Join(mergeOut, f)) {
						t.Errorf("merge wrote %s, which the run did not", f)
					}
					continue
				}
				got, err := os.ReadFile(filepath.Join(mergeOut, f))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("merged %s differs from the run's (%d bytes, want %d)", f, len(got), len(want))
				}
			}
			merged := readReport(t, mergeOut)
			if len(merged.Shards) != tt.n {
				t.Fatalf("report lists %d shards, want %d", len(merged.Shards), tt.n)
			}
			if merged.Timing.Seconds != float64(10*60+(tt.n-1)*60) {
				t.Errorf("timing spans %gs, want the earliest shard start to the latest finish, %ds", merged.Timing.Seconds, 10*60+(tt.n-1)*60)
			}
			if want := 0 + 1 + 2 + 3; tt.n == 4 && merged.Candidate.Retries != want {
				t.Errorf("candidate retries %d, want the shards' sum %d", merged.Candidate.Retries, want)
			}
			got, want := mergeMasked(t, readReport(t, mergeOut)), mergeMasked(t, readReport(t, runOut))
			if !bytes.Equal(got, want) {
				t.Errorf("merged report differs from the run's beyond timing, run statistics and shards:\n%s", firstDiff(got, want))
			}
			scoreOut := t.TempDir()
			args := []string{"score", "-c", cfg, "--results", filepath.Join(mergeOut, pipeline.ResultsFile), "--out", scoreOut}
			if tt.baseline {
				args = append(args, "--baseline", filepath.Join(mergeOut, pipeline.ProductionResultsFile))
			}
			if sres := runCLI(t, context.Background(), env, args...); sres.code != res.code {
				t.Fatalf("score: exit %d, want %d\n%s", sres.code, res.code, sres.stderr)
			}
			got, want = mergeMasked(t, readReport(t, mergeOut)), mergeMasked(t, readReport(t, scoreOut))
			if !bytes.Equal(got, want) {
				t.Errorf("merged report differs from score's on the merged results:\n%s", firstDiff(got, want))
			}
		})
	}
}

// editManifest rewrites dir's shard.json through edit.
func editManifest(t *testing.T, dir string, edit func(m *pipeline.ShardManifest)) {
	t.Helper()
	m, err := pipeline.ReadShardManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	if _, err := pipeline.WriteShardManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

// rewriteResults rewrites dir's results.parquet through edit, with its
// metadata through editMeta (nil: kept), and returns the new SHA-256.
func rewriteResults(t *testing.T, dir string, edit func([]records.Result) []records.Result, editMeta func(map[string]string)) string {
	t.Helper()
	path := filepath.Join(dir, pipeline.ResultsFile)
	all, meta, err := datasets.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if editMeta != nil {
		editMeta(meta)
	}
	cfg, err := pipeline.LoadConfig(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	return writeResultsFile(t, path, edit(all), cfg.Fairness.Groups, configs.Methods(), meta)
}

// TestMergeRefuses checks that a merge refuses shards of another config,
// eval set, model or shard count, and changed results files (exit 2,
// naming the shard's folder and both values, writing nothing), and that a
// missing, duplicated or incomplete shard makes the report INCOMPLETE,
// naming the shard (exit 3).
func TestMergeRefuses(t *testing.T) {
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	runOut := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", quickstart, "--out", runOut, "--quiet"); res.code != exitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	cfg, err := pipeline.LoadConfig(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	// Another config: the quickstart with a larger min_group_size, run
	// whole and split the same way.
	body, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	otherBody := strings.Replace(strings.Replace(string(body), "path: ../datasets/examples/support-qa.parquet", "path: "+exampleSet, 1), "min_group_size: 30", "min_group_size: 31", 1)
	otherCfgPath := writeConfig(t, otherBody)
	otherCfg, err := pipeline.LoadConfig(otherCfgPath)
	if err != nil {
		t.Fatal(err)
	}
	otherOut := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", otherCfgPath, "--out", otherOut, "--quiet"); res.code != exitOK {
		t.Fatalf("run other config: exit %d\n%s", res.code, res.stderr)
	}
	otherShards := splitRun(t, otherCfgPath, otherOut, t.TempDir(), 4)
	threeShards := splitRun(t, quickstart, runOut, t.TempDir(), 3)
	otherSet := strings.Repeat("ab", 32)

	tests := []struct {
		name string
		// setup changes the shard folders (dirs, under root) and returns
		// the folders to merge (nil: let merge find them under root).
		setup func(t *testing.T, root string, dirs []string) []string
		code  int
		// want are what the message (exit 2) or the status_reason (exit
		// 3) must say; "%s" in one is the folder of shard 1.
		want []string
	}{
		{"missing shard", func(t *testing.T, root string, dirs []string) []string {
			if err := os.RemoveAll(dirs[2]); err != nil {
				t.Fatal(err)
			}
			return nil
		}, exitRunFail, []string{"shard 2/4 is missing; run it (evalgate run -c " + quickstart + " --shard 2/4, with the shards' --out) and merge again"}},
		{"two shards missing", func(t *testing.T, root string, dirs []string) []string {
			return dirs[1:3]
		}, exitRunFail, []string{"shards 0/4, 3/4 are missing"}},
		{"duplicated shard", func(t *testing.T, root string, dirs []string) []string {
			dup := filepath.Join(t.TempDir(), "copy", "shard-1-of-4")
			if err := os.CopyFS(dup, os.DirFS(dirs[1])); err != nil {
				t.Fatal(err)
			}
			return append(dirs, dup)
		}, exitRunFail, []string{"shard 1/4 is claimed by 2 folders", "%s and ", filepath.Join("copy", "shard-1-of-4")}},
		{"incomplete shard", func(t *testing.T, root string, dirs []string) []string {
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) {
				m.Status, m.StatusReason = reports.Incomplete, "candidate stopped after 40 of 97 calls: interrupted"
			})
			return nil
		}, exitRunFail, []string{"shard 1/4 in %s is INCOMPLETE (candidate stopped after 40 of 97 calls: interrupted)", "run shard 1/4 again"}},
		{"another config", func(t *testing.T, root string, dirs []string) []string {
			dirs[1] = otherShards[1]
			return dirs
		}, exitUsage, []string{"shard " + otherShards[1] + ": run under config sha256 " + otherCfg.SHA256 + ", but " + quickstart + " has sha256 " + cfg.SHA256}},
		{"another eval set", func(t *testing.T, root string, dirs []string) []string {
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) { m.Dataset.SHA256 = otherSet })
			return nil
		}, exitUsage, []string{"shard %s: run on eval set sha256 " + otherSet + ", but", "has sha256 " + readReport(t, runOut).Dataset.SHA256}},
		{"another model version", func(t *testing.T, root string, dirs []string) []string {
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) { m.Candidate.Version = "extractive-v3" })
			return nil
		}, exitUsage, []string{`shard %s: candidate version "extractive-v3", but ` + quickstart + ` has "extractive-v2"`}},
		{"another shard count", func(t *testing.T, root string, dirs []string) []string {
			return append(dirs, threeShards[0])
		}, exitUsage, []string{"shard " + threeShards[0] + ": shard count 3, but shard ", "shard-0-of-4 has 4"}},
		{"tampered results file", func(t *testing.T, root string, dirs []string) []string {
			rewriteResults(t, dirs[1], func(rs []records.Result) []records.Result {
				rs[0].Output = "a better answer"
				return rs
			}, nil)
			return nil
		}, exitUsage, []string{"shard %s: results.parquet has sha256 ", "the file changed after the shard wrote it"}},
		{"results metadata of another model", func(t *testing.T, root string, dirs []string) []string {
			sum := rewriteResults(t, dirs[1], func(rs []records.Result) []records.Result { return rs }, func(m map[string]string) { m["evalgate.model"] = "extractive-v1" })
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) { m.Candidate.ResultsSHA256 = sum })
			return nil
		}, exitUsage, []string{`shard %s: results.parquet's metadata evalgate.model is "extractive-v1", want "extractive-v2"`}},
		{"result of another shard", func(t *testing.T, root string, dirs []string) []string {
			first, _, err := datasets.ReadResults(filepath.Join(dirs[0], pipeline.ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			sum := rewriteResults(t, dirs[1], func(rs []records.Result) []records.Result { return append([]records.Result{first[0]}, rs...) }, nil)
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) { m.Candidate.ResultsSHA256 = sum })
			return nil
		}, exitUsage, []string{"shard %s: results.parquet row 1 is item", "which is in shard 0/4, not 1/4"}},
		{"result of an item not in the set", func(t *testing.T, root string, dirs []string) []string {
			ghost := ""
			for i := 0; ghost == ""; i++ {
				if id := fmt.Sprintf("ghost-%d", i); (pipeline.Shard{Index: 1, Count: 4}).Has(id) {
					ghost = id
				}
			}
			sum := rewriteResults(t, dirs[1], func(rs []records.Result) []records.Result {
				g := rs[len(rs)-1]
				g.ID = ghost
				return append(rs, g)
			}, nil)
			editManifest(t, dirs[1], func(m *pipeline.ShardManifest) { m.Candidate.ResultsSHA256 = sum })
			return nil
		}, exitUsage, []string{`shard %s: results.parquet row `, `is item "ghost-`, "which is not in the eval set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dirs := splitRun(t, quickstart, runOut, root, 4)
			shard1 := dirs[1]
			args := append([]string{"merge", "-c", quickstart, "--out", root}, tt.setup(t, root, slices.Clone(dirs))...)
			res := runCLI(t, context.Background(), env, args...)
			if res.code != tt.code {
				t.Fatalf("merge: exit %d, want %d\n%s\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			said := res.stderr
			if tt.code == exitRunFail {
				rep := readReport(t, root)
				if rep.Status != reports.Incomplete || rep.Verdict != reports.Block {
					t.Errorf("report %s %s, want INCOMPLETE BLOCK", rep.Status, rep.Verdict)
				}
				said = rep.StatusReason
			} else if fileExistsT(filepath.Join(root, pipeline.ResultsFile)) || fileExistsT(filepath.Join(root, pipeline.ReportFile)) {
				t.Error("a refused merge wrote results.parquet or report.json")
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "%s", shard1); !strings.Contains(said, w) {
					t.Errorf("merge does not say %q:\n%s", w, said)
				}
			}
		})
	}
}

// TestMergeSignedVerifies checks that a signed merged report verifies,
// with its merged results and every shard's files as subjects.
func TestMergeSignedVerifies(t *testing.T) {
	priv, pub := keygen(t, "ed25519")
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	runOut := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", quickstart, "--out", runOut, "--quiet"); res.code != exitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	root := t.TempDir()
	splitRun(t, quickstart, runOut, root, 2)
	if res := runCLI(t, context.Background(), env, "merge", "-c", quickstart, "--out", root, "--key", priv, "--require-signing"); res.code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	files := []string{pipeline.ResultsFile, pipeline.ProductionResultsFile}
	for _, s := range []string{"shard-0-of-2", "shard-1-of-2"} {
		files = append(files, s+"/"+pipeline.ResultsFile, s+"/"+pipeline.ProductionResultsFile, s+"/"+pipeline.ShardFile)
	}
	args := []string{"verify", "--key", pub, "--require-allow", filepath.Join(root, pipeline.SignedReportFile)}
	for _, f := range files {
		args = append(args, filepath.Join(root, filepath.FromSlash(f)))
	}
	res := runCLI(t, context.Background(), nil, args...)
	if res.code != exitOK {
		t.Fatalf("verify: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, f := range files {
		if want := "matches subject " + f; !strings.Contains(res.stdout, want) {
			t.Errorf("verify does not say %q:\n%s", want, res.stdout)
		}
	}
	// A shard's manifest changed after the merge no longer matches.
	editManifest(t, filepath.Join(root, "shard-1-of-2"), func(m *pipeline.ShardManifest) { m.Candidate.Failed = 1 })
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, filepath.Join(root, pipeline.SignedReportFile), filepath.Join(root, "shard-1-of-2", pipeline.ShardFile)); res.code == exitOK {
		t.Errorf("verify accepted a shard.json changed after the merge:\n%s", res.stdout)
	}
}

// TestMergeUsage checks merge's flag errors and a folder with no shards.
func TestMergeUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no config", []string{"merge"}, exitUsage, "-c CONFIG is required"},
		{"history without its key", []string{"merge", "-c", quickstart, "--history", empty}, exitUsage, "--history and --history-key go together"},
		{"signing required without a key", []string{"merge", "-c", quickstart, "--require-signing"}, exitUsage, "--require-signing: no signing key"},
		{"no shard folders", []string{"merge", "-c", quickstart, "--out", empty}, exitUsage, "no shard-<i>-of-<n> folder under " + empty},
		{"not a shard folder", []string{"merge", "-c", quickstart, "--out", empty, empty}, exitUsage, "shard " + empty + ": "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), map[string]string{}, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q\n%s", res.code, tt.code, tt.want, res.stderr)
			}
		})
	}
	res := runCLI(t, context.Background(), nil, "merge", "-h")
	if res.code != exitOK || !strings.Contains(res.stdout, "usage: evalgate merge -c CONFIG") || !strings.Contains(res.stdout, "shard-*-of-*") || !strings.Contains(res.stdout, "docs/sharding.md") {
		t.Errorf("merge -h: exit %d\n%s", res.code, res.stdout)
	}
}
