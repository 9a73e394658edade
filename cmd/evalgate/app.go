package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
)

// Exit codes, for every command.
const (
	exitOK      = 0 // success, or verdict ALLOW
	exitBlock   = 1 // verdict BLOCK, or verification failed
	exitUsage   = 2 // bad usage, config or input
	exitRunFail = 3 // the run could not finish
)

// exitError carries an exit code with the error that caused it: usage
// errors and BLOCK. Errors of the pipeline carry a kind instead
// (pipeline.ErrInput, pipeline.ErrIncomplete), which exitCode maps.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func inputErr(err error) error { return pipeline.InputError(err) }

func runErr(err error) error { return pipeline.IncompleteError(err) }

// env is what a command may touch of the outside world; tests supply their
// own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "write a first config for an eval set, every gate rule evaluable on it (init --dataset SET.parquet [--base-url URL --model M])", cmdInit},
		{"run", "run an evaluation: call the models, score, gate, write the report", cmdRun},
		{"merge", "merge the folders of shard runs (run --shard I/N) into one report, signed like a run's (merge -c FILE [SHARD_DIR...])", cmdMerge},
		{"score", "re-score a results file against the eval set and the config, making no call", cmdScore},
		{"compare", "compare two results files item by item (regression, McNemar, flips)", cmdCompare},
		{"drift", "compare the distributions of two Parquet files: PSI, KS, chi-square (drift --reference A --current B)", cmdDrift},
		{"dataset", "inspect, validate, freeze or import an eval set (dataset inspect|validate|freeze|import FILE)", cmdDataset},
		{"sample", "draw a seeded random sample of production logs into an eval set (sample --from LOGS --n N --seed S --out FILE)", cmdSample},
		{"gate", "list the metric paths gate rules may use (gate --list-metrics -c FILE)", cmdGate},
		{"plan", "how often each gate rule blocks a model that meets it, and the n it needs (plan -c FILE, or plan regression|accuracy|fairness)", cmdPlan},
		{"report", "re-render a report.json (report render FILE --format md|html|junit)", cmdReport},
		{"keygen", "write a signing key pair (keygen --out DIR [--type ed25519|ecdsa-p256])", cmdKeygen},
		{"approve", "sign a decision on a signed report: approve, reject or override (approve --key APPROVER --report-key PUB --decision D --approver NAME report.dsse.json)", cmdApprove},
		{"review", "sign the decisions of a filled review.csv as a review record the next run counts (review import --key PRIV --reviewer NAME --report report.dsse.json review.csv)", cmdReview},
		{"verify", "check a signed report and the files it names (verify --key PUB report.dsse.json [FILE...])", cmdVerify},
		{"card", "write a model card from signed reports, signed like a report (card --key PUB --out DIR report.dsse.json...)", cmdCard},
		{"history", "control charts over a folder of signed reports; exit 1 when the newest is out of control (history DIR --key PUB)", cmdHistory},
		{"evidence", "the signed evidence bundle of an audit period (evidence --since D --until D --key PUB --sign-key PRIV DIR)", cmdEvidence},
		{"cache", "the response cache's directory and a CI cache key for a config (cache key -c FILE [--json])", cmdCache},
		{"version", "print evalgate's module version, VCS revision and Go version (version [--json])", cmdVersion},
	}
}

const usageText = `evalgate decides whether an AI model version may be promoted.

usage: evalgate <command> [flags]

commands:
%s
exit codes: 0 success or ALLOW, 1 BLOCK, 2 bad usage, config or input,
3 the run could not finish.

Run "evalgate <command> -h" for a command's flags.
`

func writeUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// run is the whole CLI: it parses args, runs one command and returns the
// exit code. Only main exits.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return exitUsage
	}
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	if isHelp(args[0]) {
		if len(args) == 1 || args[0] != "help" {
			writeUsage(stdout)
			return exitOK
		}
		// "evalgate help CMD [SUB]" is "evalgate CMD [SUB] -h".
		args = append(args[1:len(args):len(args)], "-h")
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return report(stderr, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "evalgate: unknown command %q\n\n", args[0])
	writeUsage(stderr)
	return exitUsage
}

// report prints err, if any, and returns its exit code.
func report(stderr io.Writer, err error) int {
	code := exitCode(err)
	if code != exitOK && err.Error() != "" {
		// Messages quote configs, eval sets and model output: nothing
		// in them may act on the terminal.
		fmt.Fprintf(stderr, "evalgate: %s\n", render.TermSafeLines(err.Error()))
	}
	return code
}

// exitCode is the one mapping from errors to exit codes: usage errors and
// BLOCK carry their code (exitError); bad input (pipeline.ErrInput) is 2;
// anything else, a run that could not finish included, is 3.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, pipeline.ErrInput):
		return exitUsage
	}
	return exitRunFail
}

// newFlags returns a flag set that reports errors instead of exiting.
// Its usage goes to stderr after a flag error; -h and -help print it on
// stdout instead, and parseFlags then returns flag.ErrHelp (exit 0).
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		printHelp(fs.Output(), usage, "")
		fs.PrintDefaults()
	}
	h := &helpFlag{out: e.stdout}
	fs.Var(h, "h", "print this help on stdout and exit 0")
	fs.Var(h, "help", "same as -h")
	return fs
}

// helpFlag is -h and -help: a boolean that parseFlags checks, so that
// help is printed on stdout rather than on the flag set's stderr.
type helpFlag struct {
	set bool
	out io.Writer
}

func (h *helpFlag) String() string   { return "false" }
func (h *helpFlag) IsBoolFlag() bool { return true }
func (h *helpFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	h.set = h.set || v
	return err
}

// isHelp reports whether arg asks for help, for commands that read a
// subcommand before their flags.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h", "help":
		return true
	}
	return false
}

// printHelp writes a usage line, with one "evalgate …" line per form of
// usage (forms separated by " | " outside brackets), then extra, to w.
func printHelp(w io.Writer, usage, extra string) {
	var forms []string
	depth, start := 0, 0
	for i := 0; i < len(usage); i++ {
		switch usage[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '|':
			if depth == 0 && i > 0 && usage[i-1] == ' ' && strings.HasPrefix(usage[i:], "| ") {
				forms = append(forms, usage[start:i-1])
				start = i + 2
			}
		}
	}
	forms = append(forms, usage[start:])
	fmt.Fprintf(w, "usage: evalgate %s\n", forms[0])
	for _, f := range forms[1:] {
		fmt.Fprintf(w, "       evalgate %s\n", f)
	}
	io.WriteString(w, extra)
}

// parseFlags parses args, turning a flag error into a usage error. Flags
// may follow positional arguments ("dataset inspect FILE --json"). On -h
// or -help it prints the usage on stdout and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{exitUsage, fmt.Errorf("%s: %w", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if f := fs.Lookup("h"); f != nil {
		if h, ok := f.Value.(*helpFlag); ok && h.set {
			stderr := fs.Output()
			fs.SetOutput(h.out)
			fs.Usage()
			fs.SetOutput(stderr)
			return nil, flag.ErrHelp
		}
	}
	return pos, nil
}
