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
	v, err := readPublicKey(keyPath, "--history-key")
	if err != nil {
		return nil, err
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

// ReadSignedReports reads the public key at keyPath and verifies with it
// the signed reports under dir (history.ReadSignedReports): evalgate
// history, and run --history through LoadHistory. A key or a folder that
// cannot be read is bad input; reports that do not verify are in the
// set's Excluded.
func ReadSignedReports(dir, keyPath string) (*history.SignedSet, *signing.Verifier, error) {
	v, err := readPublicKey(keyPath, "--key")
	if err != nil {
		return nil, nil, err
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, nil, inputErr(err)
	} else if !st.IsDir() {
		return nil, nil, inputErr(fmt.Errorf("%s is not a directory", dir))
	}
	set, err := history.ReadSignedReports(os.DirFS(dir), v)
	if err != nil {
		return nil, nil, inputErr(fmt.Errorf("%s: %w", dir, err))
	}
	return set, v, nil
}

// readPublicKey reads the PEM public key at path, given with flag; its
// errors are bad input naming the flag.
func readPublicKey(path, flag string) (*signing.Verifier, error) {
	pub, err := inputfile.Read(path, "key", inputfile.MaxKey)
	if err != nil {
		return nil, inputErr(fmt.Errorf("%s: %w", flag, err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return nil, inputErr(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return v, nil
}
