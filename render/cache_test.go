package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// TestCacheSaidPlainly checks that the summary and report.md say how many
// answers came from the response cache and from where, and say first and
// plainly when every answer did.
func TestCacheSaidPlainly(t *testing.T) {
	day := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	origin := records.CacheOrigin{Endpoint: "http://a.example/v1", Provider: "openai", Model: "m", Evalgate: "0.9", Answers: 0, Oldest: day, Newest: day.Add(time.Hour)}
	tests := []struct {
		name   string
		cached int // of the candidate's calls; -1: all of them
		want   []string
		absent []string
	}{
		{"none cached", 0, nil, []string{"response cache"}},
		{"some cached", 3, []string{"candidate: 3 of ", "3 recorded 2026-12-01 09:30 – 2026-12-01 10:30 UTC from http", "a.example/v1 (model m, evalgate 0.9)"}, []string{"every candidate answer"}},
		{"all cached", -1, []string{"every candidate answer came from the response cache: no call of this run reached its endpoint"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reports.Build(reportstest.Input(t))
			n := tt.cached
			if n < 0 {
				n = r.Candidate.Calls
			}
			r.Candidate.Cached = n
			if n > 0 {
				o := origin
				o.Answers = n
				r.Candidate.CacheOrigins = []records.CacheOrigin{o}
			}
			var sum, mdb bytes.Buffer
			if err := WriteSummary(&sum, r); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&mdb, r); err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{sum.String(), mdb.String()} {
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
				for _, a := range tt.absent {
					if strings.Contains(out, a) {
						t.Errorf("output has %q:\n%s", a, out)
					}
				}
			}
		})
	}
}

func TestMarkdownInert(t *testing.T) {
	tests := []struct{ in, want string }{
		{"extractive-v2@extractive-v2", "extractive-v2@extractive-v2"},
		{"ask @evalgate/security", "ask @&#8203;evalgate/security"},
		{"@team", "@&#8203;team"},
		{"see https://evil.example/x", "see https:&#8203;//evil.example/x"},
		{"visit www.evil.example", "visit www&#8203;.evil.example"},
		{"rowwww.not", "rowwww.not"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := md(tt.in); got != tt.want {
			t.Errorf("md(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
