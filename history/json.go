package history

// history.json: the history as a document, written by WriteJSON and read
// back (strictly) by ReadJSON; it is also the predicate of a signed
// history (sign.go).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// Document is history.json: the key, the reference period, the reports
// charted, the files left out, the newest report's positions and every
// chart point with its report's path, time and model. Times are RFC 3339,
// UTC; undefined numbers are null (nil).
type Document struct {
	// Key identifies the key the reports verified with.
	Key DocumentKey `json:"key"`
	// Reference is the period the limits come from.
	Reference DocumentReference `json:"reference"`
	// Reports are the charted reports, oldest first (History.Reports).
	Reports []DocumentReport `json:"reports"`
	// Excluded are the files left out of the series.
	Excluded []Exclusion `json:"excluded"`
	// Newest is the newest report and its position on each chart.
	Newest DocumentNewest `json:"newest"`
	// Metrics are the charts, in the order they were asked for.
	Metrics []DocumentMetric `json:"metrics"`
	// Rules describe the Western Electric rules 1 to 4, by number.
	Rules map[string]string `json:"rules"`
}

// DocumentKey is History.KeyID and History.KeyFingerprint.
type DocumentKey struct {
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
}

// DocumentReference is History.Reference; Text is its String().
type DocumentReference struct {
	By      string  `json:"by"`
	Reports int     `json:"reports"`
	Until   *string `json:"until"`
	From    string  `json:"from"`
	To      string  `json:"to"`
	Text    string  `json:"text"`
}

// DocumentReport is one Report of the history.
type DocumentReport struct {
	Path          string `json:"path"`
	Time          string `json:"time"`
	Model         string `json:"model"`
	Verdict       string `json:"verdict"`
	Dataset       string `json:"dataset"`
	ResultsSHA256 string `json:"results_sha256"`
}

// DocumentNewest is the newest report, whether any rule fires on it, and
// its position on each chart that has a point for it (History.Latest).
type DocumentNewest struct {
	Path         string                    `json:"path"`
	Time         string                    `json:"time"`
	OutOfControl bool                      `json:"out_of_control"`
	Positions    []reports.ControlPosition `json:"positions"`
}

// DocumentMetric is one Metric's chart: its center and limits' inputs,
// its warnings and its points.
type DocumentMetric struct {
	Metric      string           `json:"metric"`
	Chart       string           `json:"chart"`
	Center      *float64         `json:"center"`
	Successes   int              `json:"successes"`
	Trials      int              `json:"trials"`
	MovingRange *float64         `json:"moving_range"`
	Reference   int              `json:"reference_points"`
	Warnings    metrics.Warnings `json:"warnings"`
	Points      []DocumentPoint  `json:"points"`
}

// DocumentPoint is one chart point: Report is the index of its report in
// Document.Reports, Reference whether it is in the reference period.
type DocumentPoint struct {
	Report    int              `json:"report"`
	Path      string           `json:"path"`
	Time      string           `json:"time"`
	Model     string           `json:"model"`
	Reference bool             `json:"reference"`
	Value     *float64         `json:"value"`
	N         int              `json:"n"`
	LCL       *float64         `json:"lcl"`
	UCL       *float64         `json:"ucl"`
	Sigma     *float64         `json:"sigma"`
	Z         *float64         `json:"z"`
	Signals   []metrics.Signal `json:"signals"`
}

// NewDocument returns h as history.json holds it. h must have at least
// one report (New guarantees it).
func NewDocument(h *History) *Document {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	out := &Document{
		Key: DocumentKey{h.KeyID, h.KeyFingerprint},
		Reference: DocumentReference{By: h.Reference.By, Reports: h.Reference.Reports, From: ts(h.Reference.From), To: ts(h.Reference.To),
			Text: h.Reference.String()},
		Excluded: h.Excluded,
		Rules:    map[string]string{},
	}
	if out.Excluded == nil {
		out.Excluded = []Exclusion{}
	}
	if h.Reference.By == ReferenceUntil {
		u := ts(h.Reference.Until)
		out.Reference.Until = &u
	}
	for r := metrics.Rule1; r <= metrics.Rule4; r++ {
		out.Rules[fmt.Sprint(int(r))] = r.Describe()
	}
	for _, r := range h.Reports {
		out.Reports = append(out.Reports, DocumentReport{r.Path, ts(r.Time), r.Model, r.Verdict, r.Dataset, r.ResultsSHA256})
	}
	newest := h.Reports[len(h.Reports)-1]
	out.Newest = DocumentNewest{Path: newest.Path, Time: ts(newest.Time), Positions: h.Latest()}
	if out.Newest.Positions == nil {
		out.Newest.Positions = []reports.ControlPosition{}
	}
	for _, p := range out.Newest.Positions {
		out.Newest.OutOfControl = out.Newest.OutOfControl || p.OutOfControl()
	}
	for _, m := range h.Metrics {
		c := m.Chart
		mj := DocumentMetric{Metric: m.Metric, Chart: c.Kind, Center: metrics.Finite(c.Center), Successes: c.Successes, Trials: c.Trials,
			MovingRange: metrics.Finite(c.MovingRange), Reference: c.Reference, Warnings: c.Warnings}
		if mj.Warnings == nil {
			mj.Warnings = metrics.Warnings{}
		}
		for j, p := range c.Points {
			r := h.Reports[m.Reports[j]]
			sig := p.Signals
			if sig == nil {
				sig = []metrics.Signal{}
			}
			mj.Points = append(mj.Points, DocumentPoint{m.Reports[j], r.Path, ts(r.Time), r.Model, j < c.Reference,
				metrics.Finite(p.Value), p.N, metrics.Finite(p.LCL), metrics.Finite(p.UCL), metrics.Finite(p.Sigma), metrics.Finite(p.Z), sig})
		}
		out.Metrics = append(out.Metrics, mj)
	}
	return out
}

// WriteJSON writes h as history.json: NewDocument(h) as indented JSON
// followed by a newline. The same history always gives the same bytes.
func WriteJSON(w io.Writer, h *History) error {
	b, err := json.MarshalIndent(NewDocument(h), "", "  ")
	if err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadJSON decodes a history.json written by WriteJSON. A field this
// evalgate does not know, trailing data, a document with no report, a
// time that is not RFC 3339, or a newest report that is not the last one
// is an error.
func ReadJSON(r io.Reader) (*Document, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode history: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode history: data after the document")
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("decode history: %w", err)
	}
	return &d, nil
}

// check is what ReadJSON asks of a decoded document beyond its fields.
func (d *Document) check() error {
	if len(d.Reports) == 0 {
		return errors.New("no report")
	}
	for i, r := range d.Reports {
		if _, err := time.Parse(time.RFC3339, r.Time); err != nil {
			return fmt.Errorf("reports[%d] (%s): time %q is not RFC 3339", i, r.Path, r.Time)
		}
	}
	if last := d.Reports[len(d.Reports)-1]; d.Newest.Path != last.Path || d.Newest.Time != last.Time {
		return fmt.Errorf("newest report %s at %s is not the last of reports, %s at %s", d.Newest.Path, d.Newest.Time, last.Path, last.Time)
	}
	for _, m := range d.Metrics {
		for _, p := range m.Points {
			if p.Report < 0 || p.Report >= len(d.Reports) {
				return fmt.Errorf("metric %s: a point of report %d, and there are %d reports", m.Metric, p.Report, len(d.Reports))
			}
		}
	}
	return nil
}

// NewestTime is the time of d's newest report (Newest.Time), the time a
// history document is about. ReadJSON has checked that it parses.
func (d *Document) NewestTime() time.Time {
	t, _ := time.Parse(time.RFC3339, d.Newest.Time)
	return t.UTC()
}

// equalJSON reports whether a and b are the same JSON value once
// compacted.
func equalJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}
