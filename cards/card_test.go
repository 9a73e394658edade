package cards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// newKey returns a fresh Ed25519 signer and its verifier.
func newKey(t *testing.T) (*signing.Signer, *signing.Verifier) {
	t.Helper()
	priv, _, err := signing.GenerateKey(signing.KeyEd25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func signReport(t *testing.T, s *signing.Signer, r *reports.Report, artifact string) []byte {
	t.Helper()
	env, err := reports.SignReport(s, r, artifact)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const cardConfig = reportstest.IntegrityConfig + `card:
  intended_use: answer support questions
  out_of_scope: [medical advice]
  limitations: [English only]
  owners: [ml team]
  contact: ml@example.com
`

// TestBuildCopiesNumbers checks that every section of the card holds the
// signed report's own values, and that the card names the envelope.
func TestBuildCopiesNumbers(t *testing.T) {
	s, v := newKey(t)
	r := reportstest.IntegrityReport(t)
	artifact := strings.Repeat("ab", 32)
	env := signReport(t, s, r, artifact)
	cfg, err := configs.Parse("eval.yaml", []byte(cardConfig))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "runs/report.dsse.json", Envelope: env}}, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	e := c.Evaluations[0]
	sum := sha256.Sum256(env)
	tests := []struct {
		name      string
		got, want any
	}{
		{"model", c.Model.Identity, reports.ModelIdentity(r.Candidate)},
		{"artifact", c.Model.ArtifactSHA256, artifact},
		{"source digest", c.Sources[0].SHA256, hex.EncodeToString(sum[:])},
		{"source name", c.Sources[0].Name, "report.dsse.json"},
		{"evaluation source", e.Source, hex.EncodeToString(sum[:])},
		{"dataset", mustJSON(t, e.Dataset), mustJSON(t, r.Dataset)},
		{"accuracy", mustJSON(t, e.Accuracy), mustJSON(t, r.Metrics.Accuracy)},
		{"error rate", mustJSON(t, e.ErrorRate), mustJSON(t, r.Candidate.ErrorRate)},
		{"fairness", mustJSON(t, e.Fairness), mustJSON(t, r.Metrics.Fairness)},
		{"groundedness", mustJSON(t, e.Groundedness.Rate), mustJSON(t, r.Metrics.Groundedness.Rate)},
		{"boundaries", e.Boundaries.Violations, r.Metrics.Boundaries.Violations},
		{"pii", mustJSON(t, e.PII.Summary), mustJSON(t, r.Metrics.PII)},
		{"redacted", e.PII.Redacted, r.Redacted},
		{"regression delta", e.Regression.Delta.Value, r.Metrics.Regression.Delta},
		{"regression ci", [2]float64{e.Regression.Delta.Low, e.Regression.Delta.High}, [2]float64{r.Metrics.Regression.DeltaLow, r.Metrics.Regression.DeltaHigh}},
		{"gate", mustJSON(t, e.Gate), mustJSON(t, r.Gate)},
		{"verdict", e.Verdict, r.Verdict},
		{"intended use", c.Use.IntendedUse, "answer support questions"},
		{"first limitation", c.Limitations[0], Limitation{Origin: "config", Text: "English only"}},
		{"config same as report", c.Config.SameAsReports, false},
		{"fairness controls", mustJSON(t, c.Controls[reports.SectionFairness]), mustJSON(t, reports.SectionControls(reports.SectionFairness))},
		{"no drift controls", c.Controls[reports.SectionDrift] == nil, true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	var warned bool
	for _, l := range c.Limitations {
		warned = warned || l.Origin != "config"
	}
	if !warned {
		t.Errorf("the report's statistical warnings are not among the limitations: %+v", c.Limitations)
	}
}

func TestBuildRefuses(t *testing.T) {
	s, v := newKey(t)
	other, _ := newKey(t)
	r := reportstest.IntegrityReport(t)
	env := signReport(t, s, r, "")
	r2 := reportstest.IntegrityReport(t)
	r2.Candidate.Model = "another-model"
	env2 := signReport(t, s, r2, "")
	tampered := bytes.Replace(env, []byte(`"sig": "`), []byte(`"sig": "AAAA`), 1)
	artA := signReport(t, s, r, strings.Repeat("aa", 32))
	artB := signReport(t, s, r, strings.Repeat("bb", 32))
	doc := func(b []byte) Document { return Document{Path: "r.dsse.json", Envelope: b} }
	tests := []struct {
		name    string
		in      Inputs
		wantErr error
	}{
		{"no report", Inputs{Key: v}, ErrNoReport},
		{"bad signature", Inputs{Key: v, Reports: []Document{doc(tampered)}}, ErrUnverified},
		{"another key", Inputs{Key: v, Reports: []Document{doc(signReport(t, other, r, ""))}}, ErrUnverified},
		{"not an envelope", Inputs{Key: v, Reports: []Document{doc([]byte("{}"))}}, ErrUnverified},
		{"two models", Inputs{Key: v, Reports: []Document{doc(env), doc(env2)}}, ErrMismatch},
		{"two artifacts", Inputs{Key: v, Reports: []Document{doc(artA), doc(artB)}}, ErrMismatch},
		{"a report as drift", Inputs{Key: v, Reports: []Document{doc(env)}, Drift: []Document{doc(env)}}, ErrUnverified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
			}
		})
	}
}

// TestSignVerify signs a card and checks that the signature verifies,
// that each rendered file matches its subject, and that a file with one
// number changed does not.
func TestSignVerify(t *testing.T) {
	s, v := newKey(t)
	env := signReport(t, s, reportstest.IntegrityReport(t), "")
	c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "report.dsse.json", Envelope: env}}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(s, c, files)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Verify(v, signed)
	if err != nil {
		t.Fatal(err)
	}
	if st.Card.Model.Identity != c.Model.Identity {
		t.Errorf("verified card is for %s, want %s", st.Card.Model.Identity, c.Model.Identity)
	}
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		if _, _, err := signing.CheckSubject(st.Subject, f.Name, hex.EncodeToString(sum[:])); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		i := bytes.IndexAny(f.Data, "123456789")
		changed := bytes.Clone(f.Data)
		changed[i] = '0'
		sum = sha256.Sum256(changed)
		if _, _, err := signing.CheckSubject(st.Subject, f.Name, hex.EncodeToString(sum[:])); !errors.Is(err, signing.ErrDigestMismatch) {
			t.Errorf("%s with a number changed: got %v, want a digest mismatch", f.Name, err)
		}
	}
	sum := sha256.Sum256(env)
	if _, err := st.MatchSubject(env); err != nil {
		t.Errorf("the source report %s is not a subject: %v", hex.EncodeToString(sum[:]), err)
	}
	_, ov := newKey(t)
	if _, err := Verify(ov, signed); !errors.Is(err, signing.ErrSignature) {
		t.Errorf("verify with another key: got %v, want a signature error", err)
	}
	if _, err := Verify(v, env); !errors.Is(err, signing.ErrEnvelope) {
		t.Errorf("verify a report as a card: got %v, want an envelope error", err)
	}
}

// TestDeterministic builds and renders the same card twice.
func TestDeterministic(t *testing.T) {
	s, v := newKey(t)
	env := signReport(t, s, reportstest.IntegrityReport(t), "")
	var out [2][]File
	for i := range out {
		c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "report.dsse.json", Envelope: env}}})
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = Render(c); err != nil {
			t.Fatal(err)
		}
	}
	for i := range out[0] {
		if !bytes.Equal(out[0][i].Data, out[1][i].Data) {
			t.Errorf("%s differs between two renderings of the same card", out[0][i].Name)
		}
	}
}

func TestReadJSONRoundTrip(t *testing.T) {
	s, v := newKey(t)
	env := signReport(t, s, reportstest.IntegrityReport(t), "")
	c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "report.dsse.json", Envelope: env}}})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WriteJSON(&a, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&b, back); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("card.json does not survive a round trip:\n%s\n---\n%s", a.String(), b.String())
	}
	if _, err := ReadJSON(strings.NewReader(`{"schema_version":"1","surprise":1}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}

// FuzzReadJSON checks that card.json decoding never panics and that a card
// it accepts writes back to JSON that decodes to the same bytes again.
func FuzzReadJSON(f *testing.F) {
	f.Add(`{"schema_version":"1"}`)
	f.Add(`{"schema_version":"1","evaluations":[{"accuracy":{"overall":{"k":1,"n":2,"rate":0.5}}}]}`)
	f.Add(`{"schema_version":"2"}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ReadJSON(strings.NewReader(s))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := WriteJSON(&a, c); err != nil {
			return // a value JSON cannot hold (an infinite rate) is refused, not mangled
		}
		back, err := ReadJSON(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("a written card does not read back: %v\n%s", err, a.String())
		}
		if err := WriteJSON(&b, back); err != nil || a.String() != b.String() {
			t.Fatalf("round trip changed the card: %v\n%s\n---\n%s", err, a.String(), b.String())
		}
	})
}
