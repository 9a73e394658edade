package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
)

// buildSource names the source a binary was built from when the build
// cannot stamp it from version control: the GitHub Action builds from a
// download of its own ref, with -ldflags "-X main.buildSource=REPO@REF".
// It is set at link time only, never at run time.
var buildSource string

// versionInfo is what `evalgate version` prints.
type versionInfo struct {
	// Version is the main module's version: a release tag, a
	// pseudo-version for an untagged commit (go install …@SHA), or
	// "(devel)" for a build from a checkout.
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, when the
	// build could read it; Time its commit time (RFC 3339); Modified
	// whether the working tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
	// Source is the source named at link time (buildSource), if any.
	Source string `json:"source,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"go_version"`
	// Harness is the version reports record (reports.Version), and
	// ReportSchema the report schema version they are written in.
	Harness      string `json:"harness_version"`
	ReportSchema string `json:"report_schema"`
}

// readVersion reads versionInfo from bi (debug.ReadBuildInfo), which may
// be nil when the binary carries no build information.
func readVersion(bi *debug.BuildInfo, source string) versionInfo {
	v := versionInfo{Version: "unknown", Source: source, Harness: harnessVersion(), ReportSchema: reportSchema()}
	if bi == nil {
		return v
	}
	v.GoVersion = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line form: version, revision (with "+modified"),
// source, Go version and report schema.
func (v versionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "evalgate %s", v.Version)
	if v.Revision != "" {
		fmt.Fprintf(&b, " revision %s", v.Revision)
		if v.Modified {
			b.WriteString("+modified")
		}
	}
	if v.Source != "" {
		fmt.Fprintf(&b, " source %s", v.Source)
	}
	if v.GoVersion != "" {
		fmt.Fprintf(&b, " %s", v.GoVersion)
	}
	fmt.Fprintf(&b, " (harness %s, report schema %s)", v.Harness, v.ReportSchema)
	return b.String()
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "version [--json]")
	asJSON := fs.Bool("json", false, "print the version as a JSON object")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("version: unexpected argument %q (usage: evalgate version [--json])", pos[0])
	}
	bi, _ := debug.ReadBuildInfo()
	v := readVersion(bi, buildSource)
	if *asJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return runErr(fmt.Errorf("encode version: %w", err))
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintln(e.stdout, v)
	return nil
}
