package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/cards"
	"github.com/evalgate/evalgate/signing"
)

// cardConfig is the quickstart's config with a card block, its dataset
// path made absolute.
func cardConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := filepath.Abs(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))
	body := strings.Replace(string(b), "path: ../datasets/examples/support-qa.parquet", "path: "+set, 1)
	return writeConfig(t, body+`
card:
  intended_use: Answer customer-support questions from retrieved help-centre passages.
  out_of_scope: [legal or medical advice]
  limitations: [English-language tickets only]
  owners: [support-ml team]
  contact: support-ml@example.com
`)
}

func readCard(t *testing.T, path string) *cards.Card {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cards.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCardFromQuickstart builds a signed card from the quickstart's signed
// report, checks that its numbers are the report's and that it verifies,
// and that changing any number in card.md or card.json, without signing
// again, fails verification.
func TestCardFromQuickstart(t *testing.T) {
	dir, pub := signedQuickstart(t, "ed25519", nil)
	priv := filepath.Join(filepath.Dir(pub), privateKeyFile)
	out, cfg := t.TempDir(), cardConfig(t)
	res := runCLI(t, context.Background(), nil, "card", "--key", pub, "-c", cfg, "--sign-key", priv, "--out", out, filepath.Join(dir, "report.dsse.json"))
	if res.code != exitOK {
		t.Fatalf("card: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, dir)
	c := readCard(t, filepath.Join(out, "card.json"))
	e := c.Evaluations[0]
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"model", c.Model.Identity, "extractive-v2@extractive-v2"},
		{"accuracy k", e.Accuracy.Overall.K, rep.Metrics.Accuracy.Overall.K},
		{"accuracy n", e.Accuracy.Overall.N, rep.Metrics.Accuracy.Overall.N},
		{"accuracy ci_low", e.Accuracy.Overall.Low, rep.Metrics.Accuracy.Overall.Low},
		{"fairness gap", e.Fairness[0].AccuracyGap.Value, rep.Metrics.Fairness[0].AccuracyGap.Value},
		{"dataset sha256", e.Dataset.SHA256, rep.Dataset.SHA256},
		{"redacted", e.PII.Redacted, true},
		{"verdict", e.Verdict, rep.Verdict},
		{"intended use", c.Use.IntendedUse, "Answer customer-support questions from retrieved help-centre passages."},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: card has %v, report %v", tt.name, tt.got, tt.want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "card.md"))
	for _, want := range []string{"# Model card: extractive-v2@extractive-v2", "## Intended use", "legal or medical advice", "## Evaluation data", "| support-qa | 1.1.0 |",
		"87.5% \\[83.9%, 90.4%\\] (350/400)", "## Fairness by group", "## Groundedness", "## Personal data (PII) handling", "Redacted:", "## Regression against production",
		"## Drift status", "## Gate verdicts", "Verdict ALLOW", "English-language tickets only", "## Approval trail", "## Sources", "Controls: SOC 2 PI1.4"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("card.md lacks %q", want)
		}
	}

	env := filepath.Join(out, "card.dsse.json")
	files := []string{filepath.Join(out, "card.md"), filepath.Join(out, "card.json"), filepath.Join(out, "card.html"), filepath.Join(dir, "report.dsse.json")}
	res = runCLI(t, context.Background(), nil, append([]string{"verify", "--key", pub, "--expect-model", "extractive-v2@extractive-v2", env}, files...)...)
	if res.code != exitOK || !strings.Contains(res.stdout, "matches subject card.md, by name") || !strings.Contains(res.stdout, "matches subject report.dsse.json") {
		t.Fatalf("verify card: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	opensslVerify(t, "ed25519", env, pub)

	// Change each number of card.md and card.json in turn: every change is
	// checked against the signed subjects as verify checks a file
	// (signing.CheckSubject), and the first, middle and last through the
	// verify command itself.
	rawEnv, _ := os.ReadFile(env)
	pubPEM, _ := os.ReadFile(pub)
	v, err := signing.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cards.Verify(v, rawEnv)
	if err != nil {
		t.Fatal(err)
	}
	number := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	for _, name := range []string{"card.md", "card.json"} {
		orig, _ := os.ReadFile(filepath.Join(out, name))
		locs := number.FindAllIndex(orig, -1)
		if len(locs) < 100 {
			t.Fatalf("%s has %d numbers: too few for the card", name, len(locs))
		}
		tampered := filepath.Join(t.TempDir(), name)
		for i, loc := range locs {
			b := bytes.Clone(orig)
			last := loc[1] - 1
			b[last] = "1234567890"[b[last]-'0'] // the last digit, one up (9 → 0)
			sum := sha256.Sum256(b)
			if _, _, err := signing.CheckSubject(st.Subject, name, hex.EncodeToString(sum[:])); !errors.Is(err, signing.ErrDigestMismatch) {
				t.Fatalf("%s with %q changed to %q at byte %d: got %v, want a digest mismatch", name, orig[loc[0]:loc[1]], b[loc[0]:loc[1]], loc[0], err)
			}
			if i != 0 && i != len(locs)/2 && i != len(locs)-1 {
				continue
			}
			if err := os.WriteFile(tampered, b, 0o644); err != nil {
				t.Fatal(err)
			}
			res := runCLI(t, context.Background(), nil, "verify", "--key", pub, env, tampered)
			if res.code != exitBlock || !strings.Contains(res.stderr, "digest mismatch") {
				t.Fatalf("%s with %q changed to %q at byte %d: verify exit %d, want 1 with a digest mismatch\n%s", name, orig[loc[0]:loc[1]], b[loc[0]:loc[1]], loc[0], res.code, res.stderr)
			}
		}
	}

	// The same card from the same report is the same bytes.
	again := t.TempDir()
	res = runCLI(t, context.Background(), nil, "card", "--key", pub, "-c", cfg, "--out", again, filepath.Join(dir, "report.dsse.json"))
	if res.code != exitOK || !strings.Contains(res.stdout, "not signed") {
		t.Fatalf("unsigned card: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, f := range []string{"card.md", "card.json", "card.html"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two cards of the same report", f)
		}
	}
	if _, err := os.Stat(filepath.Join(again, "card.dsse.json")); !os.IsNotExist(err) {
		t.Errorf("a card without --sign-key wrote card.dsse.json (%v)", err)
	}
}

// TestCardRefuses checks the refusals: usage, and documents that do not
// verify.
func TestCardRefuses(t *testing.T) {
	dir, pub := signedQuickstart(t, "ed25519", nil)
	_, otherPub := keygen(t, "ed25519")
	report := filepath.Join(dir, "report.dsse.json")
	raw, _ := os.ReadFile(report)
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	w["payload"] = strings.Replace(w["payload"].(string), "A", "B", 1)
	forged, _ := json.Marshal(w)
	forgedPath := filepath.Join(t.TempDir(), "report.dsse.json")
	os.WriteFile(forgedPath, forged, 0o644)
	out := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no key", []string{"card", "--out", out, report}, exitUsage, "--key PUB.pem is required"},
		{"no out", []string{"card", "--key", pub, report}, exitUsage, "--out DIR is required"},
		{"no report", []string{"card", "--key", pub, "--out", out}, exitUsage, "missing report.dsse.json"},
		{"drift key without drift", []string{"card", "--key", pub, "--drift-key", pub, "--out", out, report}, exitUsage, "--drift-key without --drift"},
		{"another key", []string{"card", "--key", otherPub, "--out", out, report}, exitUsage, "does not verify"},
		{"forged payload", []string{"card", "--key", pub, "--out", out, forgedPath}, exitUsage, "does not verify"},
		{"a report as drift", []string{"card", "--key", pub, "--drift", report, "--out", out, report}, exitUsage, "drift report"},
		{"a card as report", []string{"card", "--key", pub, "--out", out, filepath.Join(dir, "report.json")}, exitUsage, "does not verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
				t.Fatalf("exit %d, want %d with %q\n%s", res.code, tt.code, tt.want, res.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a refused card wrote %d files into --out", len(entries))
	}
}

// TestCardWithDrift adds a signed drift report: the card shows its status,
// lists it as a source and maps the drift controls.
func TestCardWithDrift(t *testing.T) {
	dir, pub := signedQuickstart(t, "ed25519", nil)
	priv := filepath.Join(filepath.Dir(pub), privateKeyFile)
	driftOut := t.TempDir()
	res := runCLI(t, context.Background(), nil, "drift", "--reference", driftProdLogs(t), "--current", writeDriftLog(t, 1000, "support-bot@2026-10-20", 0), "--out", driftOut, "--key", priv)
	if res.code != exitOK {
		t.Fatalf("drift: exit %d\n%s", res.code, res.stderr)
	}
	out := t.TempDir()
	res = runCLI(t, context.Background(), nil, "card", "--key", pub, "--drift", filepath.Join(driftOut, "drift.dsse.json"), "--sign-key", priv, "--out", out, filepath.Join(dir, "report.dsse.json"))
	if res.code != exitOK {
		t.Fatalf("card: exit %d\n%s", res.code, res.stderr)
	}
	c := readCard(t, filepath.Join(out, "card.json"))
	if len(c.Drift) != 1 || len(c.Drift[0].Features) == 0 || c.Controls["drift"] == nil || len(c.Sources) != 2 || c.Sources[1].Kind != cards.SourceDrift {
		t.Fatalf("card drift %+v, sources %+v, controls %v", c.Drift, c.Sources, c.Controls["drift"])
	}
	md, _ := os.ReadFile(filepath.Join(out, "card.md"))
	if !bytes.Contains(md, []byte("Status "+c.Drift[0].Status+", verdict "+c.Drift[0].Verdict)) {
		t.Errorf("card.md does not show the drift status:\n%s", md)
	}
	res = runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", filepath.Join(out, "card.dsse.json"), filepath.Join(out, "card.md"))
	if res.code != exitBlock || !strings.Contains(res.stderr, "model card") {
		t.Errorf("verify --require-allow on a card: exit %d, %s", res.code, res.stderr)
	}
}

// TestCardApprovalTrail puts two verified decisions on the quickstart's
// report on the card, and refuses approvals that do not belong there.
func TestCardApprovalTrail(t *testing.T) {
	s := newApprovalSetup(t)
	res, approve := s.approve(t, s.approver, s.allow, "--decision", "approve", "--ref", "CHG-1234")
	if res.code != exitOK {
		t.Fatalf("approve: exit %d\n%s", res.code, res.stderr)
	}
	res, reject := s.approve(t, s.approver2, s.allow, "--decision", "reject", "--justification", "wait for the Q4 eval set")
	if res.code != exitOK {
		t.Fatalf("reject: exit %d\n%s", res.code, res.stderr)
	}
	res, other := s.approve(t, s.approver, s.block, "--decision", "reject")
	if res.code != exitOK {
		t.Fatalf("reject the block: exit %d\n%s", res.code, res.stderr)
	}
	out := t.TempDir()
	res = runCLI(t, context.Background(), nil, "card", "--key", s.ciPub, "--approval", approve, "--approval", reject,
		"--approver-key", s.approverPub, "--approver-key", s.approver2Pub, "--sign-key", s.ciPriv, "--out", out, s.allow)
	if res.code != exitOK || !strings.Contains(res.stdout, "and 2 approvals") {
		t.Fatalf("card: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	c := readCard(t, filepath.Join(out, "card.json"))
	if len(c.Approvals) != 2 || c.Controls["approval"] == nil {
		t.Fatalf("approvals %+v, controls %v", c.Approvals, c.Controls["approval"])
	}
	a, r := c.Approvals[0], c.Approvals[1]
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"decision", a.Decision, "approve"},
		{"approver", a.Approver, "Ada Lovelace <ada@example.com>"},
		{"reference", a.Reference, "CHG-1234"},
		{"report", a.Report, c.Evaluations[0].Source},
		{"verdict", a.Verdict, "ALLOW"},
		{"second decision", r.Decision, "reject"},
		{"justification", r.Justification, "wait for the Q4 eval set"},
		{"approval source", c.Sources[1].Kind, cards.SourceApproval},
		{"approval source digest", c.Sources[1].SHA256, a.Source},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "card.md"))
	for _, want := range []string{"## Approval trail", "Ada Lovelace &lt;ada@example.com&gt;", "CHG-1234", "| approve |", "| reject |"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("card.md lacks %q", want)
		}
	}
	res = runCLI(t, context.Background(), nil, "verify", "--key", s.ciPub, filepath.Join(out, "card.dsse.json"), approve, filepath.Join(out, "card.md"))
	if res.code != exitOK || !strings.Contains(res.stdout, "source: approval approval.dsse.json") {
		t.Errorf("verify the card and an approval on it: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"approval of a report not on the card", []string{"--approval", other, "--approver-key", s.approverPub}, "not among the card's reports"},
		{"approver key not given", []string{"--approval", approve, "--approver-key", s.approver2Pub}, "does not verify"},
		{"the report key as approver", []string{"--approval", approve, "--approver-key", s.ciPub}, "is the report key"},
		{"approval without approver key", []string{"--approval", approve}, "--approval needs --approver-key"},
		{"approver key without approval", []string{"--approver-key", s.approverPub}, "--approver-key without --approval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"card", "--key", s.ciPub, "--out", t.TempDir()}, tt.args...)
			res := runCLI(t, context.Background(), nil, append(args, s.allow)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Fatalf("exit %d, want 2 with %q\n%s", res.code, tt.want, res.stderr)
			}
		})
	}
}
