package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/inputfile"
)

// approvalSetup is a signed ALLOW report (the quickstart) and a signed
// BLOCK report (the regression demo), both signed by the CI key, and two
// approvers' key pairs.
type approvalSetup struct {
	ciPriv, ciPub           string
	allow, block            string // report.dsse.json paths
	approver, approverPub   string
	approver2, approver2Pub string
}

func newApprovalSetup(t *testing.T) approvalSetup {
	t.Helper()
	var s approvalSetup
	dir, pub := signedQuickstart(t, "ed25519", nil)
	s.ciPub, s.ciPriv = pub, strings.Replace(pub, publicKeyFile, privateKeyFile, 1)
	s.allow = filepath.Join(dir, "report.dsse.json")
	blockDir := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "regression-demo.yaml"), "--out", blockDir, "--quiet", "--key", s.ciPriv)
	if res.code != exitBlock {
		t.Fatalf("regression demo: exit %d, want 1\n%s", res.code, res.stderr)
	}
	s.block = filepath.Join(blockDir, "report.dsse.json")
	s.approver, s.approverPub = keygen(t, "ed25519")
	s.approver2, s.approver2Pub = keygen(t, "ecdsa-p256")
	return s
}

// approve runs evalgate approve on report with the given extra flags,
// writing to a fresh file whose path it returns.
func (s approvalSetup) approve(t *testing.T, key, report string, flags ...string) (result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "approval.dsse.json")
	args := append([]string{"approve", "--key", key, "--report-key", s.ciPub, "--approver", "Ada Lovelace <ada@example.com>", "--out", out}, flags...)
	return runCLI(t, context.Background(), nil, append(args, report)...), out
}

func TestApprove(t *testing.T) {
	s := newApprovalSetup(t)
	_, strangerPub := keygen(t, "ed25519")
	existing := filepath.Join(t.TempDir(), "approval.dsse.json")
	os.WriteFile(existing, []byte("{}"), 0o644)
	tests := []struct {
		name   string
		key    string
		report string
		flags  []string
		code   int
		want   string
	}{
		{"approve an ALLOW", s.approver, s.allow, []string{"--decision", "approve", "--ref", "CHG-1234"}, exitOK, "decision: approve by Ada Lovelace <ada@example.com>"},
		{"override a BLOCK, ECDSA approver", s.approver2, s.block, []string{"--decision", "override", "--justification", "regression is on deprecated intents; CAB approved"}, exitOK, "report: " + s.block + " verdict BLOCK"},
		{"reject a BLOCK", s.approver, s.block, []string{"--decision", "reject"}, exitOK, "decision: reject"},
		{"same key as the report", s.ciPriv, s.allow, []string{"--decision", "approve"}, exitUsage, "is the key that signed the report"},
		{"override without justification", s.approver, s.block, []string{"--decision", "override"}, exitUsage, "--decision override needs --justification"},
		{"override with a blank justification", s.approver, s.block, []string{"--decision", "override", "--justification", "   "}, exitUsage, "--decision override needs --justification"},
		{"override of an ALLOW", s.approver, s.allow, []string{"--decision", "override", "--justification", "just in case"}, exitUsage, "there is nothing to override"},
		{"approve of a BLOCK", s.approver, s.block, []string{"--decision", "approve"}, exitUsage, "a promotion despite the gate is an override"},
		{"unknown decision", s.approver, s.allow, []string{"--decision", "lgtm"}, exitUsage, `--decision "lgtm" is not one of approve, reject, override`},
		{"no decision", s.approver, s.allow, nil, exitUsage, "--decision is required"},
		{"approver without a name", s.approver, s.allow, []string{"--decision", "approve", "--approver", "ada@example.com"}, exitUsage, `want "Name <email>"`},
		{"report key is not the signer's", s.approver, s.allow, []string{"--decision", "approve", "--report-key", strangerPub}, exitUsage, "only a report that verifies can be approved"},
		{"time in the future", s.approver, s.allow, []string{"--decision", "approve", "--time", time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, exitUsage, "is in the future"},
		{"time before the evaluation", s.approver, s.allow, []string{"--decision", "approve", "--time", "2020-01-01T00:00:00Z"}, exitUsage, "is before the report was evaluated"},
		{"bad time", s.approver, s.allow, []string{"--decision", "approve", "--time", "yesterday"}, exitUsage, "want RFC 3339"},
		{"out exists", s.approver, s.allow, []string{"--decision", "approve", "--out", existing}, exitUsage, "is never overwritten"},
		{"public key as --key", s.approverPub, s.allow, []string{"--decision", "approve"}, exitUsage, `want a PKCS#8 "PRIVATE KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := s.approve(t, tt.key, tt.report, tt.flags...)
			if res.code != tt.code || !strings.Contains(res.stdout+res.stderr, tt.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s%s", res.code, tt.code, tt.want, res.stdout, res.stderr)
			}
			_, err := os.Stat(out)
			if written := err == nil; written != (tt.code == exitOK) {
				t.Errorf("approval written: %v, want %v", written, tt.code == exitOK)
			}
		})
	}
	res := runCLI(t, context.Background(), nil, "approve", "--key", s.approver, "--report-key", s.ciPub, "--decision", "approve", "--approver", "Ada <ada@example.com>", s.allow)
	if res.code != exitOK {
		t.Fatalf("approve with the default --out: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.allow), approvalFile)); err != nil {
		t.Errorf("no %s beside the report: %v", approvalFile, err)
	}
}

// TestApprovalOpenSSL checks that openssl verifies an approval envelope
// over the DSSE pre-authentication encoding, for both key types, and that
// its statement has the approval predicate type and the report envelope
// as a subject.
func TestApprovalOpenSSL(t *testing.T) {
	s := newApprovalSetup(t)
	for _, tt := range []struct{ typ, key, pub, report string }{
		{"ed25519", s.approver, s.approverPub, s.allow},
		{"ecdsa-p256", s.approver2, s.approver2Pub, s.block},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			decision := []string{"--decision", "approve"}
			if tt.report == s.block {
				decision = []string{"--decision", "override", "--justification", "accepted risk"}
			}
			res, out := s.approve(t, tt.key, tt.report, decision...)
			if res.code != exitOK {
				t.Fatalf("approve: exit %d: %s", res.code, res.stderr)
			}
			opensslVerify(t, tt.typ, out, tt.pub)
			raw, _ := os.ReadFile(out)
			var env struct{ Payload string }
			json.Unmarshal(raw, &env)
			body, _ := base64.StdEncoding.DecodeString(env.Payload)
			var st struct {
				PredicateType string `json:"predicateType"`
				Subject       []struct {
					Name   string
					Digest map[string]string
				}
			}
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatal(err)
			}
			if st.PredicateType != "https://github.com/evalgate/evalgate/approval/v1" {
				t.Errorf("predicateType %q", st.PredicateType)
			}
			sum, _ := inputfile.SHA256(tt.report)
			if len(st.Subject) == 0 || st.Subject[0].Digest["sha256"] != sum {
				t.Errorf("subjects %+v lack the report envelope's sha256 %s", st.Subject, sum)
			}
			js, _ := inputfile.SHA256(filepath.Join(filepath.Dir(tt.report), "report.json"))
			if len(st.Subject) < 2 || st.Subject[1].Name != "report.json" || st.Subject[1].Digest["sha256"] != js {
				t.Errorf("subjects %+v lack report.json's sha256 %s", st.Subject, js)
			}
		})
	}
}

func TestVerifyRequireApproval(t *testing.T) {
	s := newApprovalSetup(t)
	mustApprove := func(key, report string, flags ...string) string {
		t.Helper()
		res, out := s.approve(t, key, report, flags...)
		if res.code != exitOK {
			t.Fatalf("approve %v: exit %d: %s", flags, res.code, res.stderr)
		}
		return out
	}
	approved := mustApprove(s.approver, s.allow, "--decision", "approve", "--ref", "CHG-1")
	overridden := mustApprove(s.approver2, s.block, "--decision", "override", "--justification", "accepted risk, CHG-2")
	rejected := mustApprove(s.approver, s.block, "--decision", "reject", "--justification", "wait for the fix")
	raw, _ := os.ReadFile(overridden)
	var m map[string]any
	json.Unmarshal(raw, &m)
	body, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
	m["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(body), "accepted risk", "accepted_risk", 1)))
	b, _ := json.Marshal(m)
	tampered := filepath.Join(t.TempDir(), "approval.dsse.json")
	os.WriteFile(tampered, b, 0o644)

	tests := []struct {
		name   string
		report string
		args   []string
		code   int
		want   string
	}{
		{"approve of an ALLOW", s.allow, []string{"--require-approval", approved, "--approver-key", s.approverPub}, exitOK, "approval: approve by Ada Lovelace <ada@example.com>"},
		{"justified override of a BLOCK", s.block, []string{"--require-approval", overridden, "--approver-key", s.approverPub, "--approver-key", s.approver2Pub}, exitOK, "justification: accepted risk, CHG-2"},
		{"override, but --require-allow too", s.block, []string{"--require-approval", overridden, "--approver-key", s.approver2Pub, "--require-allow"}, exitBlock, "the verdict is BLOCK"},
		{"rejected", s.block, []string{"--require-approval", rejected, "--approver-key", s.approverPub}, exitBlock, "the decision does not permit promotion"},
		{"approval of another report", s.block, []string{"--require-approval", approved, "--approver-key", s.approverPub}, exitBlock, "the approval is for another report"},
		{"approver not in the allowed list", s.allow, []string{"--require-approval", approved, "--approver-key", s.approver2Pub}, exitBlock, "does not verify under any --approver-key"},
		{"report key as an approver key", s.allow, []string{"--require-approval", approved, "--approver-key", s.approverPub, "--approver-key", s.ciPub}, exitUsage, "separation of duties"},
		{"tampered approval", s.block, []string{"--require-approval", tampered, "--approver-key", s.approver2Pub}, exitBlock, "signature does not verify"},
		{"no approver key", s.allow, []string{"--require-approval", approved}, exitUsage, "--require-approval needs --approver-key"},
		{"approver key without an approval", s.allow, []string{"--approver-key", s.approverPub}, exitUsage, "only used with --require-approval"},
		{"missing approval file", s.allow, []string{"--require-approval", "/nonexistent/approval.dsse.json", "--approver-key", s.approverPub}, exitUsage, "/nonexistent/approval.dsse.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify", "--key", s.ciPub, "--signature-only"}, tt.args...)
			res := runCLI(t, context.Background(), nil, append(args, tt.report)...)
			if res.code != tt.code || !strings.Contains(res.stdout+res.stderr, tt.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\n%s%s", res.code, tt.code, tt.want, res.stdout, res.stderr)
			}
		})
	}
}
