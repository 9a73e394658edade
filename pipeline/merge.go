package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// Merge combines the outputs of shard runs (evalgate run --shard, each
// in a shard-<i>-of-<n> folder with its shard.json) into what one run of
// the whole set writes to cfg's run.out: the merged results files, in
// the eval set's order, then report.json, its renderings, the review
// files and, with opts.Signer, the signed report, whose subjects include
// every shard's results files and shard.json. dirs are the shard
// folders; none means every shard-*-of-* folder under run.out.
//
// Every shard.json is read strictly, and a shard run under another
// config, eval set or model, of another shard count, with a results file
// changed since the shard wrote it, or with a result of an item outside
// its shard or the set, is refused with an error wrapping ErrInput that
// names the shard's folder and the two values that differ. A missing
// shard, a shard claimed by two folders or a shard whose manifest says
// INCOMPLETE makes the report INCOMPLETE, naming the shards and how to
// finish them: the report is written from the shards present and
// returned with an error wrapping ErrIncomplete, as a partial run's is.
//
// The report is the one the tallies of the shards give merged
// (Tallies.Merge): it equals what Score gives on the merged results
// files, apart from timing (the earliest shard start to the latest
// finish), the run statistics (summed from the manifests) and Shards.
func Merge(ctx context.Context, cfg *configs.Config, dirs []string, opts Options) (*Outcome, error) {
	if err := CheckGate(cfg, opts.NoGate); err != nil {
		return nil, err
	}
	outDir := cfg.Run.Out
	if len(dirs) == 0 {
		var err error
		if dirs, err = findShardDirs(outDir); err != nil {
			return nil, err
		}
	}
	set, info, err := openSet(cfg, opts.getenv)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	ig, err := IntegrityOptions(cfg)
	if err != nil {
		return nil, err
	}
	var shards []*mergeShard
	for _, dir := range dirs {
		sh, err := readMergeShard(cfg, info, judging(ig), dir)
		if err != nil {
			return nil, err
		}
		if len(shards) > 0 && sh.m.Count != shards[0].m.Count {
			return nil, inputErr(fmt.Errorf("shard %s: shard count %d, but shard %s has %d: every shard of a merge must split the set the same way", sh.dir, sh.m.Count, shards[0].dir, shards[0].m.Count))
		}
		shards = append(shards, sh)
	}
	defer func() {
		for _, sh := range shards {
			sh.close()
		}
	}()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, runErr(fmt.Errorf("create output directory: %w", err))
	}
	lock, err := lockOut(outDir, opts.logf)
	if err != nil {
		return nil, err
	}
	defer lock.release()

	count := shards[0].m.Count
	byIndex := make([][]*mergeShard, count)
	for _, sh := range shards {
		byIndex[sh.m.Index] = append(byIndex[sh.m.Index], sh)
	}
	// used[i] is the shard whose files stand for index i; nil when missing.
	used := make([]*mergeShard, count)
	var missing, problems []string
	for i, claim := range byIndex {
		s := Shard{Index: i, Count: count}
		switch len(claim) {
		case 0:
			missing = append(missing, s.String())
			continue
		case 1:
		default:
			sort.Slice(claim, func(a, b int) bool { return claim[a].dir < claim[b].dir })
			var names []string
			for _, c := range claim {
				names = append(names, c.dir)
			}
			problems = append(problems, fmt.Sprintf("shard %s is claimed by %d folders, %s (the merged figures use %s); remove the wrong one and merge again", s, len(claim), strings.Join(names, " and "), claim[0].dir))
		}
		used[i] = claim[0]
		if m := claim[0].m; m.Status != reports.Complete {
			why := m.StatusReason
			if why == "" {
				why = "no reason given"
			}
			problems = append(problems, fmt.Sprintf("shard %s in %s is %s (%s); run shard %s again (evalgate run -c %s --shard %s, with the shards' --out) to finish it, then merge again", s, claim[0].dir, m.Status, why, s, cfg.Path, s))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		problems = append([]string{fmt.Sprintf("shard %s is missing; run it (evalgate run -c %s --shard %s, with the shards' --out) and merge again", missing[0], cfg.Path, missing[0])}, problems...)
	default:
		problems = append([]string{fmt.Sprintf("shards %s are missing; run each (evalgate run -c %s --shard I/%d, with the shards' --out) and merge again", strings.Join(missing, ", "), cfg.Path, count)}, problems...)
	}

	// The merged results files, in the set's order.
	roles := []mergeRole{{name: "candidate", file: ResultsFile, groups: cfg.Fairness.Groups, scores: configs.Methods(), meta: resultsMeta(cfg, cfg.Candidate, info),
		model: func(m *ShardManifest) *ShardModel { return &m.Candidate }}}
	if cfg.Production != nil {
		roles = append(roles, mergeRole{name: "production", file: ProductionResultsFile, groups: cfg.Fairness.Groups, scores: configs.Methods(), meta: resultsMeta(cfg, *cfg.Production, info),
			model: func(m *ShardManifest) *ShardModel { return m.Production }})
	}
	if judging(ig) {
		meta := resultsMeta(cfg, *cfg.Groundedness.Judge, info)
		meta["evalgate.kind"] = "judge"
		roles = append(roles, mergeRole{name: "judge", file: JudgeResultsFile, meta: meta, judge: true,
			model: func(m *ShardManifest) *ShardModel { return m.Judge }})
	}
	// They are committed once every shard has been read and scored, so
	// that a refused merge leaves no file behind.
	var written []string
	var pending []*atomicfile.File
	defer func() {
		for _, f := range pending {
			f.Abort()
		}
	}()
	merged := map[string]string{} // role → merged file's SHA-256
	for _, role := range roles {
		present := false
		for _, sh := range used {
			present = present || sh != nil && role.model(sh.m) != nil
		}
		if !present {
			continue
		}
		path := filepath.Join(outDir, role.file)
		f, err := atomicfile.Create(path, 0o644)
		if err != nil {
			return nil, runErr(err)
		}
		pending = append(pending, f)
		if merged[role.name], err = mergeResults(ctx, set, used, role, f); err != nil {
			return nil, err
		}
		written = append(written, path)
	}

	// The report: each shard scored on its own, the tallies merged.
	var t *Tallies
	var shardRuns []reports.ShardRun
	var cand, prod runTotals
	var judgeCached int
	var cache *records.CacheStats
	var started, finished time.Time
	for _, sh := range used {
		if sh == nil {
			continue
		}
		s := Shard{Index: sh.m.Index, Count: count}
		in := ScoreInput{Results: sh.files["candidate"], Baseline: sh.files["production"], JudgeResults: sh.files["judge"], Shard: &s}
		st, err := scoreTallies(ctx, cfg, set, info, in, opts)
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", sh.dir, err)
		}
		if t == nil {
			t = st
		} else if err := t.Merge(st); err != nil {
			return nil, fmt.Errorf("shard %s: %w", sh.dir, err)
		}
		cand.add(&sh.m.Candidate)
		if sh.m.Production != nil {
			prod.add(sh.m.Production)
		}
		if sh.m.Judge != nil {
			judgeCached += sh.m.Judge.Stats.Cached
		}
		if c := sh.m.Cache; c != nil {
			if cache == nil {
				cache = &records.CacheStats{}
			}
			cache.Hits, cache.Misses, cache.Corrupt = cache.Hits+c.Hits, cache.Misses+c.Misses, cache.Corrupt+c.Corrupt
		}
		if started.IsZero() || sh.m.StartedAt.Before(started) {
			started = sh.m.StartedAt
		}
		if sh.m.FinishedAt.After(finished) {
			finished = sh.m.FinishedAt
		}
		shardRuns = append(shardRuns, sh.run(outDir))
	}
	for len(pending) > 0 {
		if err := pending[0].Commit(); err != nil {
			return nil, runErr(err)
		}
		pending = pending[1:]
	}
	t.candidate.Info = cand.info(ResultsFile, merged["candidate"])
	if t.production != nil {
		t.production.Info = prod.info(ProductionResultsFile, merged["production"])
	}
	if t.judge != nil {
		t.judge.Cached = judgeCached
	}
	in := t.input()
	in.Cache = cache
	if len(problems) > 0 {
		in.Incomplete = "merge: " + strings.Join(problems, "; ")
	}
	started, finished = started.UTC(), finished.UTC()
	out, err := writeOutcome(cfg, t, in, set, info, outDir, opts, written, shardRuns, func() reports.Timing {
		return reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	})
	if err != nil {
		return nil, err
	}
	if rep := out.Report; rep.Status != reports.Complete {
		return out, runErr(errors.New(rep.StatusReason))
	}
	return out, nil
}

// findShardDirs lists the shard-*-of-* folders under dir, in name order.
func findShardDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, inputErr(fmt.Errorf("find shards: %w", err))
	}
	var dirs []string
	for _, e := range entries {
		if _, ok := ParseShardDir(e.Name()); ok && e.IsDir() {
			dirs = append(dirs, filepath.Join(dir, e.Name()))
		}
	}
	if len(dirs) == 0 {
		return nil, inputErr(fmt.Errorf("find shards: no shard-<i>-of-<n> folder under %s (give the shard folders as arguments, or --out the folder the shards wrote into)", dir))
	}
	return dirs, nil
}

// mergeShard is one shard folder, its manifest checked against the
// config and the set, and its results files opened for the merge.
type mergeShard struct {
	dir         string
	m           *ShardManifest
	manifestSum string
	// files and sums are the results files by role (candidate,
	// production, judge): path and SHA-256.
	files, sums map[string]string
	readers     map[string]*datasets.ResultsReader
}

func (sh *mergeShard) close() {
	for _, r := range sh.readers {
		r.Close()
	}
}

// run is the report's record of the shard; folder names are relative to
// outDir when inside it.
func (sh *mergeShard) run(outDir string) reports.ShardRun {
	folder := sh.dir
	if rel, err := filepath.Rel(outDir, sh.dir); err == nil && !strings.HasPrefix(rel, "..") {
		folder = rel
	}
	r := reports.ShardRun{Index: sh.m.Index, Count: sh.m.Count, Folder: filepath.ToSlash(folder), Status: sh.m.Status, Items: sh.m.Items, ManifestSHA256: sh.manifestSum}
	for _, role := range []string{"candidate", "production", "judge"} {
		if p, ok := sh.files[role]; ok {
			r.Files = append(r.Files, reports.ShardFileDigest{Name: filepath.Base(p), SHA256: sh.sums[role]})
		}
	}
	return r
}

// readMergeShard reads dir's shard.json and opens its results files,
// refusing (ErrInput, naming dir and both values) a shard of another
// config, eval set or model, a results file changed since the shard
// wrote it, and a results file whose metadata names another config, set
// or model.
func readMergeShard(cfg *configs.Config, info datasets.Info, judged bool, dir string) (*mergeShard, error) {
	m, err := ReadShardManifest(dir)
	if err != nil {
		return nil, inputErr(fmt.Errorf("shard %s: %w", dir, err))
	}
	refuse := func(format string, args ...any) error {
		return inputErr(fmt.Errorf("shard %s: %s", dir, fmt.Sprintf(format, args...)))
	}
	if s, ok := ParseShardDir(filepath.Base(filepath.Clean(dir))); ok && (s.Index != m.Index || s.Count != m.Count) {
		return nil, refuse("the folder's name says shard %s, but its %s says %d/%d", s, ShardFile, m.Index, m.Count)
	}
	switch {
	case m.ConfigSHA256 != cfg.SHA256:
		return nil, refuse("run under config sha256 %s, but %s has sha256 %s", m.ConfigSHA256, cfg.Path, cfg.SHA256)
	case m.Dataset.SHA256 != info.SHA256:
		return nil, refuse("run on eval set sha256 %s, but %s has sha256 %s", m.Dataset.SHA256, cfg.DatasetPath(), info.SHA256)
	}
	check := func(role string, want *configs.Model, got *ShardModel) error {
		switch {
		case want == nil && got == nil:
			return nil
		case want == nil:
			return refuse("has a %s model (%s %s), but %s names none", role, got.Model, got.Version, cfg.Path)
		case got == nil:
			return refuse("has no %s model, but %s names %s %s", role, cfg.Path, want.Model, want.Version)
		}
		for _, f := range []struct{ field, got, want string }{
			{"provider", got.Provider, want.Provider},
			{"model", got.Model, want.Model},
			{"version", got.Version, want.Version},
		} {
			if f.got != f.want {
				return refuse("%s %s %q, but %s has %q", role, f.field, f.got, cfg.Path, f.want)
			}
		}
		if url := configs.RedactURL(want.BaseURL); got.BaseURL != url && (want.Provider == "openai" || got.BaseURL != "") {
			return refuse("%s base_url %q, but %s has %q", role, got.BaseURL, cfg.Path, url)
		}
		return nil
	}
	if err := check("candidate", &cfg.Candidate, &m.Candidate); err != nil {
		return nil, err
	}
	if err := check("production", cfg.Production, m.Production); err != nil {
		return nil, err
	}
	var judge *configs.Model
	if judged {
		judge = cfg.Groundedness.Judge
	}
	if judged && m.Judge == nil && (m.Candidate.Results == 0 || m.Status != reports.Complete) {
		judge = nil // the judge had no answer to judge, or the shard stopped first
	}
	if err := check("groundedness.judge", judge, m.Judge); err != nil {
		return nil, err
	}

	sum, err := fileSHA256(filepath.Join(dir, ShardFile))
	if err != nil {
		return nil, inputErr(fmt.Errorf("shard %s: %w", dir, err))
	}
	sh := &mergeShard{dir: dir, m: m, manifestSum: sum, files: map[string]string{}, sums: map[string]string{}, readers: map[string]*datasets.ResultsReader{}}
	for _, r := range []struct {
		role  string
		model *ShardModel
	}{{"candidate", &m.Candidate}, {"production", m.Production}, {"judge", m.Judge}} {
		if r.model == nil {
			continue
		}
		if err := sh.open(cfg, info, r.role, r.model); err != nil {
			sh.close()
			return nil, err
		}
	}
	return sh, nil
}

// open opens the results file of role, checking its digest against the
// manifest's and its metadata against the config, set and model.
func (sh *mergeShard) open(cfg *configs.Config, info datasets.Info, role string, m *ShardModel) error {
	name := m.ResultsFile
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return inputErr(fmt.Errorf("shard %s: %s results_file %q is not a file name inside the shard's folder", sh.dir, role, name))
	}
	path := filepath.Join(sh.dir, name)
	r, err := datasets.OpenResults(path)
	if err != nil {
		return inputErr(fmt.Errorf("shard %s: %w", sh.dir, err))
	}
	ri := r.Info()
	refuse := func(format string, args ...any) error {
		r.Close()
		return inputErr(fmt.Errorf("shard %s: %s", sh.dir, fmt.Sprintf(format, args...)))
	}
	if ri.SHA256 != m.ResultsSHA256 {
		return refuse("%s has sha256 %s, but its %s says %s: the file changed after the shard wrote it", name, ri.SHA256, ShardFile, m.ResultsSHA256)
	}
	for _, f := range []struct{ key, want string }{
		{"evalgate.config_sha256", cfg.SHA256},
		{"evalgate.dataset_sha256", info.SHA256},
		{"evalgate.model", m.Version},
	} {
		if got := ri.Metadata[f.key]; got != f.want {
			return refuse("%s's metadata %s is %q, want %q", name, f.key, got, f.want)
		}
	}
	sh.files[role], sh.sums[role], sh.readers[role] = path, ri.SHA256, r
	return nil
}

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// mergeRole is one kind of results file the merge writes.
type mergeRole struct {
	name, file     string
	groups, scores []string
	meta           map[string]string
	// judge marks judge-results.parquet, whose ids are
	// "<item id>#<sample>#<digest>".
	judge bool
	// model is the role's part of a manifest; nil when it has none.
	model func(*ShardManifest) *ShardModel
}

// itemID is the eval-set item a result row is about: a judge row's id is
// "<item id>#<sample>#<digest>" (judgeSource).
func (r mergeRole) itemID(id string) string {
	if !r.judge {
		return id
	}
	answer, _, _ := cutLast(id)
	item, _, _ := cutLast(answer)
	return item
}

// mergeResults writes role's results of the shards (indexed by shard;
// nil where missing) to out, in the eval set's order: it
// walks the set's ids and takes each item's results, consecutive rows,
// from the reader of the shard that holds the item. Memory holds one row
// group per shard and the writer's. It returns the file's SHA-256. A row
// of an item outside its shard, outside the set or out of the set's
// order is an error wrapping ErrInput naming the shard.
func mergeResults(ctx context.Context, set *datasets.Set, shards []*mergeShard, role mergeRole, out io.Writer) (string, error) {
	count := len(shards)
	type cursor struct {
		sh  *mergeShard
		r   *datasets.ResultsReader
		cur *records.Result
		row int64
	}
	cursors := make([]*cursor, count)
	advance := func(c *cursor) error {
		c.cur = nil
		if !c.r.Scan() {
			if err := c.r.Err(); err != nil {
				return inputErr(fmt.Errorf("shard %s: %w", c.sh.dir, err))
			}
			return nil
		}
		res := c.r.Result()
		c.row++
		id := role.itemID(res.ID)
		if i := ShardOf(id, count); i != c.sh.m.Index {
			return inputErr(fmt.Errorf("shard %s: %s row %d is item %q, which is in shard %d/%d, not %d/%d", c.sh.dir, filepath.Base(c.sh.files[role.name]), c.row, id, i, count, c.sh.m.Index, count))
		}
		c.cur = &res
		return nil
	}
	for i, sh := range shards {
		if sh == nil || sh.readers[role.name] == nil {
			continue
		}
		c := &cursor{sh: sh, r: sh.readers[role.name]}
		if err := advance(c); err != nil {
			return "", err
		}
		cursors[i] = c
	}
	h := sha256.New()
	w, err := datasets.NewResultsWriter(io.MultiWriter(out, h), role.groups, role.scores, role.meta)
	if err != nil {
		return "", runErr(err)
	}
	ids, err := set.ItemColumns()
	if err != nil {
		return "", inputErr(err)
	}
	defer ids.Close()
	for ids.Next() {
		if err := ctx.Err(); err != nil {
			return "", runErr(fmt.Errorf("merge %s: %w", role.file, err))
		}
		for _, id := range ids.Columns().ID {
			c := cursors[ShardOf(id, count)]
			if c == nil {
				continue
			}
			for c.cur != nil && role.itemID(c.cur.ID) == id {
				if err := w.Write(c.cur); err != nil {
					return "", runErr(fmt.Errorf("merge %s: %w", role.file, err))
				}
				if err := advance(c); err != nil {
					return "", err
				}
			}
		}
	}
	if err := ids.Err(); err != nil {
		return "", inputErr(err)
	}
	for _, c := range cursors {
		if c != nil && c.cur != nil {
			return "", inputErr(fmt.Errorf("shard %s: %s row %d is item %q, which is not in the eval set %s (or its rows are out of the set's order)",
				c.sh.dir, filepath.Base(c.sh.files[role.name]), c.row, role.itemID(c.cur.ID), set.Info().Path))
		}
	}
	if err := w.Close(); err != nil {
		return "", runErr(fmt.Errorf("merge %s: %w", role.file, err))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runTotals sums one model's run statistics over the shards' manifests.
type runTotals struct {
	stats    records.RunStats
	adaptive *records.AdaptiveStats
	origins  []records.CacheOrigin
}

// add adds one shard's statistics. Counters add. Adaptive concurrency
// ran in each shard process on its own, so the merged record is of the
// shards side by side: Max and Final add (the limits the processes had
// together at most and at the end), the lowest limit reached is the
// smallest any shard reached, and the moves add. Cache origins with the
// same endpoint, provider, model and evalgate version combine.
func (rt *runTotals) add(m *ShardModel) {
	s := &rt.stats
	s.Done += m.Stats.Done
	s.Errors += m.Stats.Errors
	s.Retries += m.Stats.Retries
	s.Cached += m.Stats.Cached
	s.Resumed += m.Stats.Resumed
	s.Tokens += m.Stats.Tokens
	if a := m.Adaptive; a != nil {
		if rt.adaptive == nil {
			rt.adaptive = &records.AdaptiveStats{Min: a.Min}
		}
		t := rt.adaptive
		t.Enabled = t.Enabled || a.Enabled
		t.Max += a.Max
		t.Final += a.Final
		t.Min = min(t.Min, a.Min)
		t.Decreases += a.Decreases
		t.Increases += a.Increases
	}
	for _, o := range m.CacheOrigins {
		i := slices.IndexFunc(rt.origins, func(p records.CacheOrigin) bool {
			return p.Endpoint == o.Endpoint && p.Provider == o.Provider && p.Model == o.Model && p.Evalgate == o.Evalgate
		})
		if i < 0 {
			rt.origins = append(rt.origins, o)
			continue
		}
		p := &rt.origins[i]
		p.Answers += o.Answers
		if o.Oldest.Before(p.Oldest) {
			p.Oldest = o.Oldest
		}
		if o.Newest.After(p.Newest) {
			p.Newest = o.Newest
		}
	}
}

// info is the ModelResults of the merged file with the summed
// statistics, the cache origins in the runner's order.
func (rt *runTotals) info(file, sum string) reports.ModelResults {
	origins := slices.Clone(rt.origins)
	slices.SortFunc(origins, func(a, b records.CacheOrigin) int {
		return cmp.Or(cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Evalgate, b.Evalgate))
	})
	return reports.ModelResults{ResultsFile: file, ResultsSHA256: sum, Stats: rt.stats, Adaptive: rt.adaptive, CacheOrigins: origins}
}
