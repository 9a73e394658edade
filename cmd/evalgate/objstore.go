package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/objstore"
	"github.com/evalgate/evalgate/pipeline"
)

// workEnv names the staging folder of a run whose output is in object
// storage, when --work is not given.
const workEnv = "EVALGATE_WORK"

// publishTimeout bounds the upload of a run's outputs after the run,
// which goes on after an interrupt (the run's context is then done).
const publishTimeout = 10 * time.Minute

// stageOut prepares a run whose run.out is an s3:// prefix: it downloads
// the prefix's journals into the staging folder (work, else
// $EVALGATE_WORK, else a new temporary folder) and points run.out there.
// It returns nil when run.out is a local folder. scope is the folder the
// command owns under run.out (pipeline.Staged.Scope); cmd names the
// command in messages.
func stageOut(ctx context.Context, e *env, cmd string, cfg *configs.Config, work, scope string) (*pipeline.Staged, error) {
	if !objstore.IsURL(cfg.Run.Out) {
		if work != "" {
			return nil, usageErr("%s: --work is for an s3:// run.out or --out; %s is a local folder", cmd, cfg.Run.Out)
		}
		return nil, nil
	}
	if work == "" {
		work = e.getenv(workEnv)
	}
	st, err := pipeline.StageOut(ctx, cfg.Run.Out, work, scope, e.getenv, func(f string, a ...any) { fmt.Fprintf(e.stderr, f, a...) })
	if err != nil {
		return nil, err
	}
	cfg.Run.Out = st.Dir
	return st, nil
}

// publish uploads a staged run's outputs, after the run whatever its
// outcome, and prints where they went.
func publish(ctx context.Context, e *env, st *pipeline.Staged) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	urls, err := st.Publish(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "evalgate: published %d file(s) of %s to %s\n", len(urls), st.Dir, st.URL)
	if st.Temp {
		os.RemoveAll(st.Dir)
	}
	return nil
}

// localDir returns dir, or for an s3:// prefix a local copy of it (a
// history or shard folder: small files) and the function that removes
// the copy.
func localDir(ctx context.Context, e *env, dir string) (string, func(), error) {
	if !objstore.IsURL(dir) {
		return dir, func() {}, nil
	}
	local, err := pipeline.Mirror(ctx, dir, e.getenv)
	if err != nil {
		return "", nil, err
	}
	return local, func() { os.RemoveAll(local) }, nil
}

// loadHistory reads and verifies the signed reports of the history
// folder dir (local, or an s3:// prefix copied for the reading) with the
// public key at keyPath (pipeline.LoadHistory).
func loadHistory(ctx context.Context, e *env, dir, keyPath string) (*history.History, error) {
	local, cleanup, err := localDir(ctx, e, dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return pipeline.LoadHistory(local, keyPath, e.stderr)
}

// defaultCheckpoint is run.checkpoint when the config leaves it 0.
const defaultCheckpoint = 60 * time.Second

// checkpoint uploads a staged run's journals every interval (run.checkpoint,
// default 60s) until the returned stop is called, so that a run killed
// without warning (SIGKILL, a lost node) loses at most that much work. A
// failed upload is a warning: the run goes on, and the next one retries.
func checkpoint(ctx context.Context, e *env, st *pipeline.Staged, every time.Duration) (stop func()) {
	if every <= 0 {
		every = defaultCheckpoint
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := st.PublishJournals(ctx); err != nil && ctx.Err() == nil {
					fmt.Fprintf(e.stderr, "evalgate: warning: checkpoint of the journals to %s: %v\n", st.URL, err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// datasetSHA256 is the SHA-256 of cfg's eval set, local or in object
// storage (streamed once, never held whole).
func datasetSHA256(cfg *configs.Config, getenv func(string) string) (string, error) {
	if !objstore.IsURL(cfg.Dataset.Path) {
		return inputfile.SHA256(cfg.DatasetPath())
	}
	ctx := context.Background()
	c, err := pipeline.ObjectClient(ctx, getenv)
	if err != nil {
		return "", err
	}
	r, _, err := c.NewReader(ctx, cfg.Dataset.Path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
