package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// LoadHistory reads and verifies, with the public key at keyPath, the
// signed reports under dir, for placing a run's report on their control
// charts (run --history). A folder with no verifiable report yet (the
// first week) is not an error: it returns nil, with a note to log.
func LoadHistory(dir, keyPath string, log io.Writer) (*history.History, error) {
	note := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format, args...)
		}
	}
	pub, err := inputfile.Read(keyPath, "key", inputfile.MaxKey)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history-key: %w", err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history-key %s: %w", keyPath, err))
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		note("history: %s does not exist yet; no control charts this time\n", dir)
		return nil, nil
	}
	set, err := history.ReadSignedReports(os.DirFS(dir), v)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history %s: %w", dir, err))
	}
	for _, x := range set.Excluded {
		note("history: left out %s: %s\n", x.Path, x.Reason)
	}
	h, err := history.New(set, history.Options{})
	if errors.Is(err, history.ErrNoReports) {
		note("history: no verified report under %s yet; no control charts this time\n", dir)
		return nil, nil
	}
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history %s: %w", dir, err))
	}
	return h, nil
}

// PolicyDiff compares gate, the rules in force, with the report rules of
// the protected config at policyPath (reports.GateDiff): run --policy and
// verify --policy. An error is a policy file that cannot be read.
func PolicyDiff(policyPath string, gate []configs.Rule) ([]string, error) {
	policy, err := configs.Load(policyPath)
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	want, _ := reports.RulesFor(reports.DocReport, policy.Gate)
	got, _ := reports.RulesFor(reports.DocReport, gate)
	return reports.GateDiff(want, got), nil
}

// Provenance is the CI provenance of this run (reports.ProvenanceFromEnv)
// with the SHA-256 of the running executable, when it can be read.
func Provenance(getenv func(string) string) reports.Provenance {
	p := reports.ProvenanceFromEnv(getenv)
	if exe, err := os.Executable(); err == nil {
		p.EvalgateSHA256, _ = inputfile.SHA256(exe)
	}
	return p
}
