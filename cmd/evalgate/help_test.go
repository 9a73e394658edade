package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// subcommandsIn lists the subcommands a command's help names on its usage
// lines ("evalgate dataset inspect FILE" → inspect): lower-case words
// right after the command's name, before the flag list.
func subcommandsIn(name, help string) []string {
	re := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(name) + ` ([a-z][a-z-]*)\b`)
	var subs []string
	for _, line := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "-") {
			break
		}
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			if !slices.Contains(subs, m[1]) {
				subs = append(subs, m[1])
			}
		}
	}
	return subs
}

// TestHelpEverywhere walks every command and every subcommand its usage
// names: -h, -help and --help print the usage on stdout, nothing on
// stderr, and exit 0; so does "evalgate help CMD".
func TestHelpEverywhere(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, want string, args ...string) string {
		t.Helper()
		r := runCLI(t, ctx, nil, args...)
		if r.code != exitOK || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: evalgate "+want) {
			t.Fatalf("evalgate %s: exit %d, stdout %q, stderr %q; want exit 0 and usage on stdout", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	walked := 0
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var help string
			for _, h := range []string{"-h", "-help", "--help"} {
				help = check(t, c.name, c.name, h)
			}
			check(t, c.name, "help", c.name)
			for _, sub := range subcommandsIn(c.name, help) {
				for _, h := range []string{"-h", "--help"} {
					out := check(t, "", c.name, sub, h)
					if !strings.Contains(out, c.name+" "+sub) {
						t.Errorf("evalgate %s %s %s: the usage does not name the subcommand:\n%s", c.name, sub, h, out)
					}
				}
				check(t, "", "help", c.name, sub)
				walked++
			}
		})
	}
	// The walk must reach the subcommands (dataset inspect|validate|freeze,
	// report render, plan regression|accuracy|fairness).
	if walked < 7 {
		t.Errorf("walked %d subcommands, want at least 7", walked)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		r := runCLI(t, ctx, nil, args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "commands:") {
			t.Errorf("evalgate %s: exit %d, stdout %q", args[0], r.code, r.stdout)
		}
	}
	// A flag error still goes to stderr with exit 2.
	if r := runCLI(t, ctx, nil, "run", "--no-such-flag"); r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "usage: evalgate run") {
		t.Errorf("run --no-such-flag: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
