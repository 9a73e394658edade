package reviews

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// keyPair returns a new Ed25519 signer and its verifier.
func keyPair(t *testing.T) (*signing.Signer, *signing.Verifier) {
	t.Helper()
	priv, pub, err := signing.GenerateKey(signing.KeyEd25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// signedReport signs a minimal report over the eval set with digest ds.
func signedReport(t *testing.T, ds string) []byte {
	t.Helper()
	s, _ := keyPair(t)
	r := &reports.Report{SchemaVersion: reports.SchemaVersion, Verdict: reports.Block, Status: reports.Complete,
		Candidate: reports.ModelRun{Model: "m", Version: "2"}, Dataset: reports.DatasetInfo{Name: "qa", Version: "1", SHA256: ds},
		Timing: reports.Timing{StartedAt: time.Unix(0, 0).UTC(), FinishedAt: time.Unix(1, 0).UTC()}}
	env, err := reports.SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// filledCSV writes rows as review.csv and fills decision and note.
func filledCSV(t *testing.T, rows []records.ReviewRow, fill map[string][2]string) []byte {
	t.Helper()
	for i := range rows {
		if f, ok := fill[rows[i].ID]; ok {
			rows[i].Decision, rows[i].Note = f[0], f[1]
		}
	}
	var b bytes.Buffer
	if err := render.WriteReviewCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var sampleRows = []records.ReviewRow{
	{ID: "q1", Reasons: "hallucinated", Input: "=HYPERLINK(\"http://x\")", Output: "+1 answer"},
	{ID: "-q2", Sample: 1, Reasons: "low_confidence", Input: "two", Output: "@two"},
	{ID: "q3", Reasons: "boundary:pii", Input: "three\nlines", Output: "three"},
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name     string
		fill     map[string][2]string
		want     []Decision
		wantLine int
		wantErr  error
	}{
		{"none filled", nil, nil, 0, nil},
		{"filled, case and spaces, formula cells neutralised and restored",
			map[string][2]string{"q1": {" Accept ", "fine"}, "-q2": {"reject", "=wrong, see @ops"}},
			[]Decision{{ID: "q1", Decision: Accept, Note: "fine"}, {ID: "-q2", Sample: 1, Decision: Reject, Note: "=wrong, see @ops"}}, 0, nil},
		{"unknown decision names its line", map[string][2]string{"q3": {"approve", ""}}, nil, 4, ErrDecision},
		{"a note without a decision", map[string][2]string{"q1": {"", "later"}}, nil, 2, ErrDecision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := append([]records.ReviewRow(nil), sampleRows...)
			data := filledCSV(t, rows, tt.fill)
			got, err := ReadCSV(bytes.NewReader(data))
			if tt.wantErr != nil {
				var re *RowError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &re) || re.Line != tt.wantLine {
					t.Fatalf("got %v, want %v at line %d", err, tt.wantErr, tt.wantLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("decision %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestCSVNeutralised checks that no cell of review.csv starts with a
// character a spreadsheet reads as a formula.
func TestCSVNeutralised(t *testing.T) {
	data := filledCSV(t, append([]records.ReviewRow(nil), sampleRows...), nil)
	for _, bad := range []string{",=", ",+", ",@", "\n=", "\n-", ",-"} {
		if strings.Contains(string(data), bad) {
			t.Errorf("review.csv has a cell starting %q:\n%s", bad[1:], data)
		}
	}
	if !strings.Contains(string(data), `'=HYPERLINK`) || !strings.Contains(string(data), "'-q2") {
		t.Errorf("review.csv does not neutralise formula cells:\n%s", data)
	}
}

// TestSignVerify signs a record over a report and a filled CSV, verifies
// it, and checks that a changed CSV, another key and a changed envelope
// do not verify.
func TestSignVerify(t *testing.T) {
	env := signedReport(t, strings.Repeat("a", 64))
	data := filledCSV(t, append([]records.ReviewRow(nil), sampleRows...), map[string][2]string{"q1": {"accept", ""}, "q3": {"escalate", "ask legal"}})
	rec, err := NewRecord(env, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec.Reviewer, rec.Time = "Ada Reviewer <ada@example.com>", time.Now()
	s, v := keyPair(t)
	signed, err := Sign(s, *rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(v, signed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Decisions) != 2 || got.Report.DatasetSHA256 != strings.Repeat("a", 64) || got.Report.Verdict != reports.Block {
		t.Errorf("verified record %+v", got)
	}
	if err := VerifyCSV(got, data); err != nil {
		t.Errorf("the CSV it was made from: %v", err)
	}
	tampered := bytes.Replace(data, []byte("ask legal"), []byte("ask nobody"), 1)
	if err := VerifyCSV(got, tampered); !errors.Is(err, signing.ErrDigestMismatch) {
		t.Errorf("tampered CSV: got %v, want ErrDigestMismatch", err)
	}
	_, other := keyPair(t)
	if _, err := Verify(other, signed); !errors.Is(err, signing.ErrSignature) {
		t.Errorf("another key: got %v, want ErrSignature", err)
	}
	forged := bytes.Replace(signed, []byte(`"sig": "`), []byte(`"sig": "AA`), 1)
	if _, err := Verify(v, forged); err == nil {
		t.Error("a changed signature verified")
	}
	bad := *rec
	bad.Reviewer = "ada"
	if _, err := Sign(s, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("reviewer without an address: got %v, want ErrInvalid", err)
	}
}

// TestLoadCount checks that Load counts only records a given key
// verifies, that Count keeps the latest decision per answer and only the
// eval set asked for.
func TestLoadCount(t *testing.T) {
	ds, other := strings.Repeat("a", 64), strings.Repeat("b", 64)
	env := signedReport(t, ds)
	dir := t.TempDir()
	sa, va := keyPair(t)
	sb, vb := keyPair(t)
	sc, _ := keyPair(t)
	write := func(name string, s *signing.Signer, reviewer string, at time.Time, report []byte, fill map[string][2]string) {
		data := filledCSV(t, append([]records.ReviewRow(nil), sampleRows...), fill)
		rec, err := NewRecord(report, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reviewer, rec.Time = reviewer, at
		signed, err := Sign(s, *rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), signed, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	write("a.json", sa, "Ada <ada@example.com>", t0, env, map[string][2]string{"q1": {"reject", ""}, "-q2": {"accept", ""}})
	write("b.json", sb, "Bo <bo@example.com>", t0.Add(time.Hour), env, map[string][2]string{"q1": {"accept", "on second look"}, "q3": {"escalate", ""}})
	write("c.json", sc, "Cy <cy@example.com>", t0, env, map[string][2]string{"q3": {"reject", ""}})
	write("d.json", sa, "Ada <ada@example.com>", t0, signedReport(t, other), map[string][2]string{"q1": {"reject", ""}})
	if err := os.WriteFile(filepath.Join(dir, "report.dsse.json"), env, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Load(dir, []*signing.Verifier{va, vb})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Count(ds)
	if got.Records != 2 || got.Reviewed != 3 || got.Accepted != 2 || got.Rejected != 0 || got.Escalated != 1 {
		t.Errorf("got %+v, want 2 records, 3 reviewed (2 accepted, 1 escalated)", got)
	}
	if len(got.Reviewers) != 2 || got.Reviewers[0].Reviewer != "Ada <ada@example.com>" || got.Reviewers[0].Accepted != 1 || got.Reviewers[1].Reviewed != 2 {
		t.Errorf("reviewers %+v", got.Reviewers)
	}
	var skippedC, skippedD bool
	for _, s := range got.Skipped {
		skippedC = skippedC || strings.HasPrefix(s, "c.json: ")
		skippedD = skippedD || strings.Contains(s, "about eval set bbbbbbbbbbbb")
	}
	if !skippedC || !skippedD || len(got.Skipped) != 2 {
		t.Errorf("skipped %q: want c.json (no key) and d.json's record (another set)", got.Skipped)
	}
}
