package render

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// The table names the files evalgate writes, in order, and the formats
// report render accepts.
func TestFiles(t *testing.T) {
	tests := []struct {
		kind Kind
		want []string
	}{
		{KindReport, []string{"report.md", "report.html", "report.junit.xml"}},
		{KindDrift, []string{"drift.md", "drift.html"}},
		{KindHistory, []string{"history.md", "history.html", "history.json"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			var got []string
			for _, r := range Files(tt.kind) {
				got = append(got, r.File)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got, want := Formats(), []string{FormatMarkdown, FormatHTML, FormatJUnit}; !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		format string
		err    string
	}{
		{"report summary", KindReport, FormatSummary, ""},
		{"history json", KindHistory, FormatJSON, ""},
		{"drift junit", KindDrift, FormatJUnit, `unknown format "junit" (want one of md, html)`},
		{"report pdf", KindReport, "pdf", `unknown format "pdf" (want one of md, html, junit)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Get(tt.kind, tt.format)
			switch {
			case tt.err == "" && (err != nil || r.Kind != tt.kind || r.Format != tt.format):
				t.Errorf("got %+v, %v", r, err)
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}

// A renderer given another kind's document says so instead of panicking.
func TestRendererWrongDocument(t *testing.T) {
	r, err := Get(KindDrift, FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Write(&bytes.Buffer{}, reports.Build(reportstest.Input(t)))
	if err == nil || !strings.Contains(err.Error(), "*drift.Report") {
		t.Errorf("error %v, want one naming *drift.Report", err)
	}
}
