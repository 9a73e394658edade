package evidence

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalgate/evalgate/reports"
)

// The files of a bundle, beside the copies of the signed documents.
const (
	// DocumentsDir holds a copy of every signed document verified in the
	// period, at its path relative to the folder.
	DocumentsDir = "documents"
	// IndexCSV and IndexJSON are the population index of gate decisions.
	IndexCSV  = "index.csv"
	IndexJSON = "index.json"
	// VerificationJSON and VerificationMD list every file of the folder
	// with what verification made of it, failures first in the Markdown.
	VerificationJSON = "verification.json"
	VerificationMD   = "verification.md"
	// MonitoringJSON lists each ISO week of the period with the documents
	// that cover it, and the weeks no document covers (gaps).
	MonitoringJSON = "monitoring.json"
	// ControlsJSON and ControlsMD map each framework's controls to the
	// files of the bundle that evidence them.
	ControlsJSON = "controls.json"
	ControlsMD   = "controls.md"
	// ManifestJSON is the signed manifest: a DSSE envelope over every
	// other file's SHA-256. It is the archive's last entry.
	ManifestJSON = "manifest.json"
)

// ControlEvidence is one control and the files of a bundle that evidence
// it.
type ControlEvidence struct {
	reports.Control
	// Sections are the report sections (reports.Sections) that map to the
	// control.
	Sections []string `json:"sections"`
	// Files are the bundle's files that evidence it, sorted; empty when
	// the period has none.
	Files []string `json:"files"`
}

// Controls maps every control of reports.SectionControls, framework by
// framework (SOC 2, ISO/IEC 42001, EU AI Act, NIST AI RMF) in the order the
// sections first name them, to the files of c's bundle that evidence it:
// each report copy for the sections it has (reports.ReportControls), each
// drift report for drift, each signed history document and the index and
// monitoring files for history (monitoring over the period), and the
// verification list and manifest for signature.
func (c *Collection) Controls() []ControlEvidence {
	bySection := map[string][]string{
		reports.SectionHistory:   {IndexCSV, IndexJSON, MonitoringJSON},
		reports.SectionSignature: {VerificationJSON, ManifestJSON},
	}
	for _, f := range c.Files {
		if f.Status != StatusVerified || !f.InPeriod {
			continue
		}
		name := path.Join(DocumentsDir, f.Path)
		switch {
		case f.report != nil:
			for s := range reports.ReportControls(f.report) {
				bySection[s] = append(bySection[s], name)
			}
		case f.drift != nil:
			bySection[reports.SectionDrift] = append(bySection[reports.SectionDrift], name)
		case f.approval != nil:
			bySection[reports.SectionApproval] = append(bySection[reports.SectionApproval], name)
		case f.history != nil:
			bySection[reports.SectionHistory] = append(bySection[reports.SectionHistory], name)
		}
	}
	type key struct{ framework, id string }
	var order []key
	ev := map[key]*ControlEvidence{}
	for _, s := range reports.Sections() {
		for _, ctl := range reports.SectionControls(s) {
			k := key{ctl.Framework, ctl.ID}
			e := ev[k]
			if e == nil {
				e = &ControlEvidence{Control: ctl, Files: []string{}}
				ev[k] = e
				order = append(order, k)
			}
			e.Sections = append(e.Sections, s)
			e.Files = append(e.Files, bySection[s]...)
		}
	}
	frameworks := []string{reports.FrameworkSOC2, reports.FrameworkISO42001, reports.FrameworkEUAIAct, reports.FrameworkNISTRMF}
	slices.SortFunc(order, func(a, b key) int {
		return cmp.Or(slices.Index(frameworks, a.framework)-slices.Index(frameworks, b.framework), naturalCompare(a.id, b.id))
	})
	out := make([]ControlEvidence, 0, len(order))
	for _, k := range order {
		e := ev[k]
		slices.Sort(e.Files)
		e.Files = slices.Compact(e.Files)
		out = append(out, *e)
	}
	return out
}

// BundleFiles returns the bundle's files by name, all but the manifest: the
// documents verified in the period and the index, verification,
// monitoring and control files. The same collection gives the same bytes.
func (c *Collection) BundleFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range c.Files {
		if f.Status == StatusVerified && f.InPeriod {
			out[path.Join(DocumentsDir, f.Path)] = f.raw
		}
	}
	controls := c.Controls()
	docs := []struct {
		name string
		v    any
	}{
		{IndexJSON, struct {
			Since     string     `json:"since"`
			Until     string     `json:"until"`
			Decisions []Decision `json:"decisions"`
		}{c.since(), c.until(), nonNil(c.Decisions)}},
		{VerificationJSON, c.verificationDoc()},
		{MonitoringJSON, c.monitoring()},
		{ControlsJSON, struct {
			Since    string            `json:"since"`
			Until    string            `json:"until"`
			Controls []ControlEvidence `json:"controls"`
		}{c.since(), c.until(), controls}},
	}
	for _, d := range docs {
		b, err := json.MarshalIndent(d.v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", d.name, err)
		}
		out[d.name] = append(b, '\n')
	}
	index, err := c.indexCSV()
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", IndexCSV, err)
	}
	out[IndexCSV] = index
	out[VerificationMD] = c.verificationMD()
	out[ControlsMD] = controlsMD(c, controls)
	return out, nil
}

func (c *Collection) since() string { return c.Options.Since.UTC().Format(time.RFC3339) }
func (c *Collection) until() string { return c.Options.Until.UTC().Format(time.RFC3339) }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// indexHeader is index.csv's header, one column per Decision field.
var indexHeader = []string{"time", "time_source", "window_since", "window_until", "model", "dataset_name", "dataset_version", "dataset_sha256", "verdict", "status",
	"rules_passed", "rules_failed", "signer_key_id", "approvers", "approval_decisions", "approval_files", "file", "envelope_sha256"}

func (c *Collection) indexCSV() ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(indexHeader)
	for _, d := range c.Decisions {
		var who, what, files []string
		for _, a := range d.Approvals {
			who, what, files = append(who, csvSafe(a.Approver)), append(what, a.Decision), append(files, csvSafe(a.File))
		}
		w.Write([]string{d.Time.Format(time.RFC3339), d.TimeSource, d.WindowSince, d.WindowUntil, csvSafe(d.Model), csvSafe(d.DatasetName), csvSafe(d.DatasetVersion), d.DatasetSHA256,
			d.Verdict, d.Status, strconv.Itoa(d.RulesPassed), strconv.Itoa(d.RulesFailed), d.SignerKeyID,
			strings.Join(who, "; "), strings.Join(what, "; "), strings.Join(files, "; "), csvSafe(d.File), d.EnvelopeSHA256})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: a cell
// that starts with = + - @ or a tab or carriage return gets a leading '.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type verificationDoc struct {
	Since  string `json:"since"`
	Until  string `json:"until"`
	Keys   []Key  `json:"keys"`
	Counts Counts `json:"counts"`
	Files  []File `json:"files"`
	Gaps   []Week `json:"gaps"`
	Note   string `json:"note"`
}

// Key is a public key a bundle verified with, by its role.
type Key struct {
	// Role is "report" or "approver".
	Role string `json:"role"`
	// KeyID is the SSH-style fingerprint; Fingerprint the hex SHA-256 of
	// the PKIX key (see signing.Verifier).
	KeyID       string `json:"key_id"`
	Fingerprint string `json:"fingerprint"`
}

// Counts summarise a collection.
type Counts struct {
	// Files is every file found; Verified the envelopes that verified (in
	// the period or not); InPeriod those in the period; Failed the files
	// that failed; Decisions the rows of the index; Gaps the weeks with no
	// monitoring run.
	Files     int `json:"files"`
	Verified  int `json:"verified"`
	InPeriod  int `json:"in_period"`
	Failed    int `json:"failed"`
	Decisions int `json:"decisions"`
	Gaps      int `json:"gaps"`
}

// Keys lists the keys c verified with.
func (c *Collection) Keys() []Key {
	out := []Key{{"report", c.Options.ReportKey.KeyID, c.Options.ReportKey.Fingerprint}}
	for _, k := range c.Options.ApproverKeys {
		out = append(out, Key{"approver", k.KeyID, k.Fingerprint})
	}
	return out
}

// Counts counts c's files by status.
func (c *Collection) Counts() Counts {
	n := Counts{Files: len(c.Files), Decisions: len(c.Decisions), Gaps: len(c.Gaps)}
	for _, f := range c.Files {
		switch {
		case f.Status == StatusFailed:
			n.Failed++
		case f.Status == StatusVerified:
			n.Verified++
			if f.InPeriod {
				n.InPeriod++
			}
		}
	}
	return n
}

func (c *Collection) verificationDoc() verificationDoc {
	return verificationDoc{Since: c.since(), Until: c.until(), Keys: c.Keys(), Counts: c.Counts(), Files: nonNil(c.Files), Gaps: nonNil(c.Gaps),
		Note: "A failed file is listed with its reason and nothing from it is used. Verified documents outside the period are listed and not copied."}
}

func (c *Collection) verificationMD() []byte {
	var b strings.Builder
	n := c.Counts()
	fmt.Fprintf(&b, "# Evidence verification, %s to %s\n\n", c.Options.Since.UTC().Format(time.RFC3339), c.Options.Until.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "| files read | signed documents verified | in the period | failed | gate decisions in the period | weeks with no monitoring run |\n| --- | --- | --- | --- | --- | --- |\n| %d | %d | %d | %d | %d | %d |\n\n",
		n.Files, n.Verified, n.InPeriod, n.Failed, n.Decisions, n.Gaps)
	b.WriteString("Keys:\n\n")
	for _, k := range c.Keys() {
		fmt.Fprintf(&b, "- %s key %s (PKIX SHA-256 %s)\n", k.Role, code(k.KeyID), code(k.Fingerprint))
	}
	b.WriteString("\n## Failed verification\n\n")
	if n.Failed == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| file | kind | reason | detail | sha256 |\n| --- | --- | --- | --- | --- |\n")
		for _, f := range c.Files {
			if f.Status == StatusFailed {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(f.Path), f.Kind, f.Reason, cell(f.Detail), code(f.SHA256))
			}
		}
	}
	b.WriteString("\n## Weeks with no monitoring run\n\n")
	if len(c.Gaps) == 0 {
		b.WriteString("None: every ISO week of the period has a verified report or drift run.\n")
	}
	for _, g := range c.Gaps {
		fmt.Fprintf(&b, "- %s (%s to %s)\n", g.Week, g.Start, g.End)
	}
	b.WriteString("\n## Verified\n\n| file | kind | time | in period | key | sha256 |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, f := range c.Files {
		if f.Status == StatusVerified {
			fmt.Fprintf(&b, "| %s | %s | %s | %t | %s | %s |\n", code(f.Path), f.Kind, f.Time.Format(time.RFC3339), f.InPeriod, code(f.KeyID), code(f.SHA256))
		}
	}
	return []byte(b.String())
}

type weekCover struct {
	Week
	Reports []string `json:"reports"`
	Drift   []string `json:"drift"`
}

type monitoringDoc struct {
	Since string      `json:"since"`
	Until string      `json:"until"`
	Weeks []weekCover `json:"weeks"`
	Gaps  []Week      `json:"gaps"`
}

func (c *Collection) monitoring() monitoringDoc {
	doc := monitoringDoc{Since: c.since(), Until: c.until(), Gaps: nonNil(c.Gaps)}
	at := map[string]int{}
	for _, w := range Weeks(c.Options.Since, c.Options.Until) {
		at[w.Week] = len(doc.Weeks)
		doc.Weeks = append(doc.Weeks, weekCover{Week: w, Reports: []string{}, Drift: []string{}})
	}
	for _, f := range c.Files {
		if !f.InPeriod || f.Status != StatusVerified {
			continue
		}
		w, _ := weekOf(*f.Time)
		i, ok := at[w.Week]
		if !ok {
			continue
		}
		name := path.Join(DocumentsDir, f.Path)
		if f.report != nil {
			doc.Weeks[i].Reports = append(doc.Weeks[i].Reports, name)
		} else if f.drift != nil {
			doc.Weeks[i].Drift = append(doc.Weeks[i].Drift, name)
		}
	}
	return doc
}

func controlsMD(c *Collection, controls []ControlEvidence) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Controls evidenced, %s to %s\n\n", c.Options.Since.UTC().Format(time.RFC3339), c.Options.Until.UTC().Format(time.RFC3339))
	b.WriteString("Each control and the files of this bundle that evidence it. A control with no file has no evidence in this period.\n")
	framework := ""
	for _, ctl := range controls {
		if ctl.Framework != framework {
			framework = ctl.Framework
			fmt.Fprintf(&b, "\n## %s\n\n| control | name | sections | files |\n| --- | --- | --- | --- |\n", framework)
		}
		files := "none"
		if len(ctl.Files) > 0 {
			var parts []string
			for _, f := range ctl.Files {
				parts = append(parts, code(f))
			}
			files = strings.Join(parts, "<br>")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ctl.ID, cell(ctl.Name), strings.Join(ctl.Sections, ", "), files)
	}
	return []byte(b.String())
}

// naturalCompare orders control identifiers with their numbers as
// numbers: CC7.2 before CC8.1, MEASURE 2.3 before MEASURE 2.10.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		c := 0
		if isDigit(ra[0]) && isDigit(rb[0]) {
			na, _ := strconv.Atoi(ra)
			nb, _ := strconv.Atoi(rb)
			c = cmp.Compare(na, nb)
		}
		if c = cmp.Or(c, strings.Compare(ra, rb)); c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return cmp.Compare(len(a), len(b))
}

// run is s's leading run of digits, or of other bytes.
func run(s string) string {
	i := 1
	for i < len(s) && isDigit(s[i]) == isDigit(s[0]) {
		i++
	}
	return s[:i]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// cell makes s safe in a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
}

// code is s as a code span in a Markdown table cell.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "`", "'").Replace(s) + "`"
}
