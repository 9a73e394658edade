package pipeline

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/objstore"
)

// ObjectError gives an object-storage error its kind: ErrInput (exit 2)
// for what the user fixes (a bad URL, missing or rejected credentials, a
// missing bucket or object), ErrIncomplete otherwise (the network, the
// store, an object replaced mid-read).
func ObjectError(err error) error {
	if objstore.IsBadInput(err) {
		return inputErr(err)
	}
	return runErr(err)
}

// ObjectClient returns an object-storage client configured from the
// environment read through getenv (see package objstore), its error
// given a kind (ObjectError).
func ObjectClient(ctx context.Context, getenv func(string) string) (*objstore.Client, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c, err := objstore.NewClient(ctx, getenv)
	if err != nil {
		return nil, ObjectError(err)
	}
	return c, nil
}

// openObjectSet opens the eval set at an s3:// URL over ranged reads
// pinned to the object's ETag: nothing is downloaded whole, the digest
// streams the object once, and a replaced object is ErrChanged.
func openObjectSet(cfg *configs.Config, getenv func(string) string) (*datasets.Set, error) {
	ctx := context.Background()
	c, err := ObjectClient(ctx, getenv)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	obj, err := c.Open(ctx, cfg.Dataset.Path)
	if err != nil {
		return nil, ObjectError(fmt.Errorf("read eval set: %w", err))
	}
	set, err := datasets.OpenSetAtColumns(datasets.Remote{
		Name: obj.URL(), ReaderAt: obj, Size: obj.Size(), Changed: obj.Changed,
	}, cfg.Dataset.Columns)
	if err != nil {
		return nil, inputErr(err)
	}
	return set, nil
}

// Staged is a run's output prefix in object storage and the local
// folder the run writes in its place (see StageOut).
type Staged struct {
	// URL is the s3:// prefix (run.out or --out).
	URL string
	// Dir is the local staging folder the run writes to.
	Dir string
	// Temp is whether StageOut made Dir (a temporary folder the caller
	// removes once published) rather than being given it.
	Temp bool
	// Scope is the folder, relative to Dir, whose files this run owns:
	// "" for a whole run or a merge (the top level), shard-I-of-N for a
	// shard. Only its journals are downloaded and only its files are
	// published, so that a process never uploads another's files from a
	// stale copy (a shard re-uploading another shard's journal would make
	// that shard's restart pay again for calls it had made).
	Scope  string
	client *objstore.Client
}

// inScope reports whether rel (slash-separated, relative to Dir) is in
// the run's own folder.
func (s *Staged) inScope(rel string) bool {
	d := path.Dir(rel)
	if d == "." {
		d = ""
	}
	return d == s.Scope
}

// IsJournal reports whether rel (slash-separated, relative to an output
// folder) is a journal a resume needs: journal-*.jsonl at the top or in a
// shard folder (shard-I-of-N/).
func IsJournal(rel string) bool {
	dir, base := path.Split(rel)
	if !strings.HasPrefix(base, "journal-") || !strings.HasSuffix(base, ".jsonl") {
		return false
	}
	if dir == "" {
		return true
	}
	_, ok := ParseShardDir(strings.TrimSuffix(dir, "/"))
	return ok
}

// StageOut prepares a run whose output (out) is an s3:// prefix: it makes
// the local staging folder dir (a new temporary folder when dir is ""),
// downloads the prefix's journals in scope (see Staged.Scope) into it so
// that a restarted run resumes instead of paying for its calls twice,
// and returns where the run writes. The caller sets run.out to
// Staged.Dir and calls Publish at the end.
func StageOut(ctx context.Context, out, dir, scope string, getenv func(string) string, logf func(string, ...any)) (*Staged, error) {
	if _, err := objstore.ParsePrefix(out); err != nil {
		return nil, inputErr(fmt.Errorf("run.out or --out: %w", err))
	}
	c, err := ObjectClient(ctx, getenv)
	if err != nil {
		return nil, err
	}
	temp := dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "evalgate-work-"); err != nil {
			return nil, runErr(fmt.Errorf("create staging folder: %w", err))
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, runErr(fmt.Errorf("create staging folder %s: %w", dir, err))
	}
	st := &Staged{URL: out, Dir: dir, Temp: temp, Scope: scope, client: c}
	got, err := c.Mirror(ctx, out, dir, func(oi objstore.ObjectInfo) bool {
		if !IsJournal(oi.Key) || !st.inScope(oi.Key) {
			return false
		}
		// A journal only grows: a local one at least as long as the
		// prefix's checkpoint (a --work folder kept across restarts) is
		// the newer, and is kept.
		local, err := os.Stat(filepath.Join(dir, filepath.FromSlash(oi.Key)))
		return err != nil || local.Size() < oi.Size
	})
	if err != nil {
		return nil, ObjectError(fmt.Errorf("download the journals of %s: %w", out, err))
	}
	if len(got) > 0 && logf != nil {
		logf("evalgate: downloaded %d journal(s) of %s into %s to resume from\n", len(got), out, dir)
	}
	return st, nil
}

// FetchShards downloads the shard folders under the prefix (every
// shard-I-of-N/ file but the journals: their results files and
// shard.json) into the staging folder, for a merge; it returns how many
// files it downloaded. They are read, never published again.
func (s *Staged) FetchShards(ctx context.Context) (int, error) {
	got, err := s.client.Mirror(ctx, s.URL, s.Dir, func(oi objstore.ObjectInfo) bool {
		_, ok := ParseShardDir(path.Dir(oi.Key))
		return ok && !IsJournal(oi.Key)
	})
	if err != nil {
		return 0, ObjectError(fmt.Errorf("download the shards of %s: %w", s.URL, err))
	}
	return len(got), nil
}

// Publish uploads the staging folder to the prefix, each file atomically
// and the report and its signed envelope last (objstore.Client.Publish),
// leaving out the folder's lock and temporary files. It returns the
// URLs written.
func (s *Staged) Publish(ctx context.Context) ([]string, error) {
	files, err := s.client.Publish(ctx, s.Dir, s.URL, func(rel string) bool { return skipLocal(rel) || !s.inScope(rel) })
	if err != nil {
		return nil, ObjectError(err)
	}
	u, _ := objstore.ParsePrefix(s.URL)
	urls := make([]string, len(files))
	for i, f := range files {
		urls[i] = u.Join(f).String()
	}
	return urls, nil
}

// PublishJournals uploads the staging folder's journals only, so that a
// run killed later resumes from them (run.checkpoint).
func (s *Staged) PublishJournals(ctx context.Context) error {
	_, err := s.client.Publish(ctx, s.Dir, s.URL, func(rel string) bool { return skipLocal(rel) || !IsJournal(rel) || !s.inScope(rel) })
	if err != nil {
		return ObjectError(err)
	}
	return nil
}

// skipLocal leaves out the output folder's lock and temporary files.
func skipLocal(rel string) bool {
	base := path.Base(rel)
	return base == LockFile || strings.HasPrefix(base, ".")
}

// Mirror downloads the prefix url (s3://bucket/prefix) into a new
// temporary folder, for inputs that are folders of small files (history
// folders, shard folders), and returns the folder; the caller removes it.
func Mirror(ctx context.Context, url string, getenv func(string) string) (string, error) {
	c, err := ObjectClient(ctx, getenv)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "evalgate-mirror-")
	if err != nil {
		return "", runErr(fmt.Errorf("mirror %s: %w", url, err))
	}
	if _, err := c.Mirror(ctx, url, dir, nil); err != nil {
		os.RemoveAll(dir)
		return "", ObjectError(err)
	}
	return filepath.Clean(dir), nil
}
