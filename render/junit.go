package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/evalgate/evalgate/reports"
)

// junitSuites is the JUnit XML document Jenkins, GitLab and GitHub test
// reporters read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r's gate as JUnit XML: one test case per gate rule,
// named by its metric, threshold and SOC 2 criterion, with a failure for each rule that
// failed or could not be evaluated (unless it is optional, which is
// skipped). A run that did not finish adds one failing case, "run
// completed", since it BLOCKs whatever the rules say.
func WriteJUnit(w io.Writer, r *reports.Report) error {
	s := junitSuite{
		Name:      fmt.Sprintf("evalgate gate: %s on %s %s", reports.ModelIdentity(r.Candidate), r.Dataset.Name, r.Dataset.Version),
		Time:      fmt.Sprintf("%.3f", r.Timing.Seconds),
		Timestamp: r.Timing.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"verdict", r.Verdict},
			{"status", r.Status},
			{"candidate", reports.ModelIdentity(r.Candidate)},
			{"dataset", r.Dataset.Name + " " + r.Dataset.Version},
			{"dataset.sha256", r.Dataset.SHA256},
			{"config", r.Config.Path},
			{"config.sha256", r.Config.SHA256},
			{"evalgate.version", r.Harness.Version},
		},
	}
	if p := r.Production; p != nil {
		s.Properties = append(s.Properties, junitProperty{"production", reports.ModelIdentity(*p)})
	}
	for _, rr := range r.Gate.Rules {
		c := junitCase{
			Name:      strings.TrimSpace(rr.Metric+" "+asciiThreshold(rr)) + " [SOC 2 " + reports.Criterion(rr.Metric) + "]",
			Classname: "evalgate.gate",
			Time:      "0",
			SystemOut: strings.TrimSuffix(fmt.Sprintf("observed %s, interval %s, threshold %s: %s. %s", reports.FormatNumber(rr.Observed), interval(rr.Low, rr.High), threshold(rr), rr.Reason, rr.Description), " "),
		}
		switch {
		case rr.Outcome == reports.Pass:
		case rr.Outcome == reports.NotEvaluated && rr.Optional:
			c.Skipped = &junitMessage{Message: rr.Reason}
			s.Skipped++
		default:
			c.Failure = &junitMessage{Message: rr.Reason, Type: rr.Outcome, Text: strings.TrimSpace(rr.Reason + ". " + rr.Description)}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	if r.Verdict == reports.None {
		// No rules is not zero failures: say so, as a skipped case.
		s.Cases = append(s.Cases, junitCase{
			Name: "gate", Classname: "evalgate.gate", Time: "0",
			Skipped: &junitMessage{Message: "no gate rules (--no-gate): the report gives no verdict"},
		})
		s.Skipped++
	}
	if r.Status != reports.Complete {
		s.Cases = append(s.Cases, junitCase{
			Name: "run completed", Classname: "evalgate.run", Time: "0",
			Failure: &junitMessage{Message: "run " + r.Status + ": " + r.StatusReason, Type: r.Status, Text: r.StatusReason},
		})
		s.Failures++
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "evalgate", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// asciiThreshold spells a rule's bounds in ASCII for test names:
// ">= 0.8", "<= 0.2".
func asciiThreshold(rr reports.RuleResult) string {
	var b []string
	if rr.Min != nil {
		b = append(b, ">= "+reports.FormatNumber(*rr.Min))
	}
	if rr.Max != nil {
		b = append(b, "<= "+reports.FormatNumber(*rr.Max))
	}
	return strings.Join(b, " and ")
}
