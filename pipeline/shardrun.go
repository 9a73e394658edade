package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// A shard run (run --shard i/n) calls the models on one shard's items
// only and writes, in <run.out>/shard-<i>-of-<n>/, the results files, the
// journals and, last, shard.json: no report, no verdict and no review
// files, which belong to evalgate merge, over every shard. The folder,
// not run.out, is locked, so that n shard processes share one run.out.
// Each shard's journals carry the shard in their fingerprint: a shard
// resumes its own journal and never another shard's or a whole run's.

// ShardOutcome is what a shard run wrote.
type ShardOutcome struct {
	// Dir is the shard's folder, under run.out.
	Dir string
	// Manifest is shard.json as written.
	Manifest *ShardManifest
	// Written lists the files written, in order, shard.json last.
	Written []string
}

// checkShardOptions refuses a shard with options that belong to the merge
// of the shards, and a shard outside 0 <= index < count <= MaxShards.
func checkShardOptions(opts Options) error {
	s := opts.Shard
	if s == nil {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count || s.Count > MaxShards {
		return inputErr(fmt.Errorf("shard %d/%d: want 0 <= index < count <= %d", s.Index, s.Count, MaxShards))
	}
	var merge []string
	if opts.Signer != nil {
		merge = append(merge, "signing")
	}
	if opts.History != nil {
		merge = append(merge, "history")
	}
	if opts.Reviews != nil {
		merge = append(merge, "reviews")
	}
	if len(merge) > 0 {
		return inputErr(fmt.Errorf("shard %s: %s belong to evalgate merge, which writes the report; a shard writes none", s, strings.Join(merge, ", ")))
	}
	return nil
}

// outDir is where the plan's run writes: run.out, or the shard's folder
// under it.
func (p *Plan) outDir() string {
	if s := p.opts.Shard; s != nil {
		return filepath.Join(p.cfg.Run.Out, ShardDir(*s))
	}
	return p.cfg.Run.Out
}

// shardName is the shard as journals record it ("3/8"); "" for a whole
// run.
func (p *Plan) shardName() string {
	if s := p.opts.Shard; s != nil {
		return s.String()
	}
	return ""
}

// source is src, or with a shard the shard's items of src.
func (p *Plan) source(src eval.Source) eval.Source {
	if s := p.opts.Shard; s != nil {
		return &shardSource{src: src, shard: *s}
	}
	return src
}

// Items counts the items the plan calls each model on: the set's rows, or
// with a shard the shard's items.
func (p *Plan) Items() int64 { return p.items }

// shardSource yields the items of src that are in shard.
type shardSource struct {
	src   eval.Source
	shard Shard
	item  records.Item
}

func (s *shardSource) Scan() bool {
	for s.src.Scan() {
		if item := s.src.Item(); s.shard.Has(item.ID) {
			s.item = item
			return true
		}
	}
	return false
}

func (s *shardSource) Item() records.Item { return s.item }
func (s *shardSource) Err() error         { return s.src.Err() }

// RunShard calls the models on the shard's items (Options.Shard) and
// writes the results, the judge's replies (groundedness.method judge),
// the journals and last shard.json into the shard's folder under run.out.
// A shard stopped early (interrupt, deadline, circuit breaker, a judge
// that could not finish) or whose every call failed still writes its
// results and an INCOMPLETE shard.json saying how to finish it, and
// returns with an error wrapping ErrIncomplete; an endpoint that rejects
// a call is an ErrInput, as for Run, with no shard.json.
func (p *Plan) RunShard(ctx context.Context) (*ShardOutcome, error) {
	cfg, shard := p.cfg, p.opts.Shard
	if shard == nil {
		return nil, inputErr(errors.New("run shard: no shard given"))
	}
	started := time.Now().UTC()
	if cfg.Run.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Run.Deadline, fmt.Errorf("run.deadline of %s reached", cfg.Run.Deadline))
		defer cancel()
	}
	dir := p.outDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, runErr(fmt.Errorf("create shard directory: %w", err))
	}
	lock, err := lockOut(dir, p.opts.logf)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	// A manifest left by an earlier run of this folder no longer describes
	// it once this run starts writing: until this run writes its own, the
	// shard has none, and a merge calls it missing.
	if err := os.Remove(filepath.Join(dir, ShardFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, runErr(fmt.Errorf("remove old %s: %w", ShardFile, err))
	}

	cand, prod, incomplete, err := p.callModels(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := &ShardOutcome{Dir: dir, Written: []string{cand.path}}
	if prod != nil {
		out.Written = append(out.Written, prod.path)
	}
	var judge *modelCall
	if judging(p.integrity) && cand.results > 0 && len(incomplete) == 0 {
		judge, _, err = p.runJudge(ctx, cand.path)
		switch {
		case errors.Is(err, ErrIncomplete):
			incomplete = append(incomplete, fmt.Sprintf("groundedness.judge did not finish: %v", err))
		case err != nil:
			return nil, err
		default:
			out.Written = append(out.Written, judge.path)
			if cand.sha256, err = p.rewriteJudged(cand.path, judge.path); err != nil {
				return nil, err
			}
		}
	}
	// The eval set must still be the one every read was checked against.
	if err := p.set.Check(); err != nil {
		return nil, inputErr(err)
	}

	m := &ShardManifest{
		Kind: ShardKind, Harness: reports.Version, Index: shard.Index, Count: shard.Count,
		ConfigSHA256: cfg.SHA256,
		Dataset:      ShardDataset{Path: cfg.DatasetPath(), Name: p.info.Name, Version: p.info.Version, SHA256: p.info.SHA256, Rows: p.info.Rows},
		Items:        p.items,
		Candidate:    shardModel(cfg.Candidate, cand),
		Status:       reports.Complete,
		StartedAt:    started,
	}
	if prod != nil {
		pm := shardModel(*cfg.Production, prod)
		m.Production = &pm
	}
	if judge != nil {
		jm := shardModel(*cfg.Groundedness.Judge, judge)
		m.Judge = &jm
	}
	if p.cache != nil {
		st := p.cache.Stats()
		m.Cache = &st
	}
	if len(incomplete) > 0 {
		m.Status = reports.Incomplete
		m.StatusReason = strings.Join(incomplete, "; ") + fmt.Sprintf("; run the same command again (or add --resume) to finish shard %s: calls already made are not made again", shard)
	}
	m.FinishedAt = time.Now().UTC()
	path, err := WriteShardManifest(dir, m)
	if err != nil {
		return nil, runErr(fmt.Errorf("write shard manifest: %w", err))
	}
	out.Manifest = m
	out.Written = append(out.Written, path)
	if m.Status != reports.Complete {
		return out, runErr(fmt.Errorf("shard %s incomplete: %s", shard, m.StatusReason))
	}
	return out, nil
}

// shardModel is model m's part of a shard manifest, from its calls mc.
func shardModel(m configs.Model, mc *modelCall) ShardModel {
	return ShardModel{
		Provider: m.Provider, Model: m.Model, Version: m.Version, BaseURL: configs.RedactURL(m.BaseURL),
		ResultsFile: filepath.Base(mc.path), ResultsSHA256: mc.sha256,
		Results: mc.results, Failed: mc.failed,
		Stats: mc.stats, Adaptive: mc.adaptive, CacheOrigins: mc.origins,
	}
}
