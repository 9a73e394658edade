package approvals_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

func key(t testing.TB, seed byte) (*signing.Signer, *signing.Verifier) {
	t.Helper()
	s, v, err := newKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// newKey is a seeded Ed25519 key pair.
func newKey(seed byte) (*signing.Signer, *signing.Verifier, error) {
	priv, _, err := signing.GenerateKey(signing.KeyEd25519, rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		return nil, nil, err
	}
	s, err := signing.ParsePrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	v, err := signing.NewVerifier(s)
	return s, v, err
}

func signedReport(t testing.TB, s *signing.Signer, w int, min float64) []byte {
	t.Helper()
	b, err := newReport(s, w, min)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newReport signs week w's report (evaluated 2026-10-01 + w weeks) with
// s; min is the accuracy gate's minimum, so that 0.8 gives ALLOW and 0.95
// BLOCK.
func newReport(s *signing.Signer, w int, min float64) ([]byte, error) {
	r := reportstest.HistoryReport(w, 361, 380, 0, 2)
	reports.ApplyGate(r, []configs.Rule{{Metric: "accuracy", Min: &min}})
	return reports.SignReport(s, r, "")
}

var decided = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func record(t testing.TB, env []byte, reportKey *signing.Verifier, decision, justification string) approvals.Record {
	t.Helper()
	rec, err := approvals.NewRecord(env, reportKey)
	if err != nil {
		t.Fatal(err)
	}
	rec.Decision, rec.Justification = decision, justification
	rec.Approver, rec.Time, rec.Reference = "Ada Lovelace <ada@example.com>", decided, "CHG-1234"
	return *rec
}

func TestSignVerifyCheck(t *testing.T) {
	ciKey, ciPub := key(t, 1)
	approver, approverPub := key(t, 2)
	_, otherPub := key(t, 3)
	allow := signedReport(t, ciKey, 0, 0.8)
	block := signedReport(t, ciKey, 0, 0.95)
	otherAllow := signedReport(t, ciKey, 1, 0.8)

	tests := []struct {
		name          string
		signer        *signing.Signer
		report        []byte // the report the record is about
		decision, why string
		edit          func(*approvals.Record)
		signErr       error  // Sign refuses
		checked       []byte // the report Check is given; report when nil
		approvers     []*signing.Verifier
		checkErr      error
	}{
		{name: "approve an ALLOW", signer: approver, report: allow, decision: approvals.Approve},
		{name: "override a BLOCK with a justification", signer: approver, report: block, decision: approvals.Override, why: "known-noisy item set; CHG-1234 reviewed"},
		{name: "allowed approvers list holds the key", signer: approver, report: allow, decision: approvals.Approve, approvers: []*signing.Verifier{otherPub, approverPub}},
		{name: "same key as the report", signer: ciKey, report: allow, decision: approvals.Approve, signErr: approvals.ErrSameKey},
		{name: "override without justification", signer: approver, report: block, decision: approvals.Override, why: "  ", signErr: approvals.ErrInvalid},
		{name: "override of an ALLOW", signer: approver, report: allow, decision: approvals.Override, why: "because", signErr: approvals.ErrInvalid},
		{name: "approve of a BLOCK", signer: approver, report: block, decision: approvals.Approve, signErr: approvals.ErrInvalid},
		{name: "unknown decision", signer: approver, report: allow, decision: "lgtm", signErr: approvals.ErrInvalid},
		{name: "approver without a name", signer: approver, report: allow, decision: approvals.Approve, edit: func(r *approvals.Record) { r.Approver = "ada@example.com" }, signErr: approvals.ErrInvalid},
		{name: "decided before the report was evaluated", signer: approver, report: allow, decision: approvals.Approve, edit: func(r *approvals.Record) { r.Time = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC) }, signErr: approvals.ErrInvalid},
		{name: "another report's digest", signer: approver, report: allow, decision: approvals.Approve, checked: otherAllow, checkErr: approvals.ErrOtherReport},
		{name: "approver outside the allowed list", signer: approver, report: allow, decision: approvals.Approve, approvers: []*signing.Verifier{otherPub}, checkErr: approvals.ErrNotAllowed},
		{name: "reject", signer: approver, report: block, decision: approvals.Reject, checkErr: approvals.ErrNotPermitted},
		{name: "reject of an ALLOW", signer: approver, report: allow, decision: approvals.Reject, why: "not before the freeze ends", checkErr: approvals.ErrNotPermitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t, tt.report, ciPub, tt.decision, tt.why)
			if tt.edit != nil {
				tt.edit(&rec)
			}
			env, err := approvals.Sign(tt.signer, rec)
			if !errors.Is(err, tt.signErr) || (tt.signErr == nil) != (err == nil) {
				t.Fatalf("Sign: got %v, want %v", err, tt.signErr)
			}
			if err != nil {
				return
			}
			signerPub, _ := signing.NewVerifier(tt.signer)
			got, err := approvals.Verify(signerPub, env)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Decision != tt.decision || got.ApproverKeyID != signerPub.KeyID || got.Report.SignerKeyID != ciPub.KeyID || !got.Time.Equal(decided) {
				t.Errorf("Verify: got %+v", got)
			}
			checked := tt.checked
			if checked == nil {
				checked = tt.report
			}
			err = approvals.Check(got, checked, ciPub, approvals.CheckOptions{Approvers: tt.approvers})
			if !errors.Is(err, tt.checkErr) || (tt.checkErr == nil) != (err == nil) {
				t.Errorf("Check: got %v, want %v", err, tt.checkErr)
			}
		})
	}
}

// TestCheckSameKey covers approvals that Sign refuses but a hand-made
// signer could produce: a record signed by the report's key, and an
// approver key that also signed the report envelope.
func TestCheckSameKey(t *testing.T) {
	ciKey, ciPub := key(t, 1)
	approver, approverPub := key(t, 2)
	allow := signedReport(t, ciKey, 0, 0.8)

	t.Run("record signed by the report key", func(t *testing.T) {
		rec := record(t, allow, ciPub, approvals.Approve, "")
		rec.ApproverKeyID, rec.ApproverFingerprint = ciPub.KeyID, ciPub.Fingerprint
		env, err := signing.SignStatement(ciKey, []signing.Subject{
			{Name: approvals.SubjectEnvelope, Digest: map[string]string{"sha256": rec.Report.EnvelopeSHA256}},
			{Name: approvals.SubjectReportJSON, Digest: map[string]string{"sha256": rec.Report.JSONSHA256}},
		}, approvals.PredicateType, rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := approvals.Verify(ciPub, env); !errors.Is(err, approvals.ErrSameKey) {
			t.Errorf("Verify: got %v, want ErrSameKey", err)
		}
		// Check refuses it too, for a record that did not come from Verify.
		if err := approvals.Check(&rec, allow, ciPub, approvals.CheckOptions{}); !errors.Is(err, approvals.ErrSameKey) {
			t.Errorf("Check: got %v, want ErrSameKey", err)
		}
	})
	t.Run("approver key also signed the report", func(t *testing.T) {
		// The report envelope carries a second signature by the approver.
		env, err := signing.DecodeEnvelope(allow)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := approver.Sign(env.PayloadType, env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		env.Signatures = append(env.Signatures, signing.Signature{KeyID: approver.KeyID, Sig: sig})
		both, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		a, err := approvals.Sign(approver, record(t, both, ciPub, approvals.Approve, ""))
		if err != nil {
			t.Fatal(err)
		}
		got, err := approvals.Verify(approverPub, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := approvals.Check(got, both, ciPub, approvals.CheckOptions{Approvers: []*signing.Verifier{approverPub}}); !errors.Is(err, approvals.ErrSameKey) {
			t.Errorf("Check: got %v, want ErrSameKey", err)
		}
	})
}

// TestVerifyStrict alters signed approvals and re-signs them with the
// approver's key, so that only the decoding rules can refuse them.
func TestVerifyStrict(t *testing.T) {
	ciKey, ciPub := key(t, 1)
	approver, approverPub := key(t, 2)
	_, otherPub := key(t, 3)
	env, err := approvals.Sign(approver, record(t, signedReport(t, ciKey, 0, 0.95), ciPub, approvals.Override, "accepted risk, see CHG-1234"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := approvals.Verify(approverPub, env); err != nil {
		t.Fatalf("Verify the unaltered approval: %v", err)
	}
	payload := func() map[string]any {
		e, _ := signing.DecodeEnvelope(env)
		var m map[string]any
		json.Unmarshal(e.Payload, &m)
		return m
	}
	resign := func(body []byte) []byte {
		e, err := approver.SignEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		return b
	}
	edit := func(f func(st, pred map[string]any)) []byte {
		m := payload()
		f(m, m["predicate"].(map[string]any))
		b, _ := json.Marshal(m)
		return resign(b)
	}
	tests := []struct {
		name string
		env  []byte
		key  *signing.Verifier
		want error
		msg  string
	}{
		{"another key", env, otherPub, signing.ErrSignature, ""},
		{"unknown predicate field", edit(func(_, p map[string]any) { p["approved_by_ceo"] = true }), approverPub, signing.ErrEnvelope, "unknown field"},
		{"unknown statement field", edit(func(st, _ map[string]any) { st["extra"] = 1 }), approverPub, signing.ErrEnvelope, "unknown field"},
		{"other predicate type", edit(func(st, _ map[string]any) { st["predicateType"] = reports.PredicateType }), approverPub, signing.ErrEnvelope, "predicateType"},
		{"justification removed", edit(func(_, p map[string]any) { delete(p, "justification") }), approverPub, approvals.ErrInvalid, "justification"},
		{"subject digest changed", edit(func(st, _ map[string]any) {
			st["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": strings.Repeat("0", 64)}
		}), approverPub, approvals.ErrInvalid, "subjects"},
		{"record names another key", edit(func(_, p map[string]any) { p["approver_key_id"] = otherPub.KeyID }), approverPub, approvals.ErrInvalid, "names approver key"},
		{"duplicate key up to case", func() []byte {
			e, _ := signing.DecodeEnvelope(env)
			body := strings.Replace(string(e.Payload), `"decision":"override"`, `"decision":"override","Decision":"approve"`, 1)
			return resign([]byte(body))
		}(), approverPub, signing.ErrAmbiguous, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := approvals.Verify(tt.key, tt.env)
			if !errors.Is(err, tt.want) || !strings.Contains(errString(err), tt.msg) {
				t.Errorf("got %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzSignVerify checks the round trip: whatever free text a record
// holds, a record Sign accepts verifies and decodes to the same record.
func FuzzSignVerify(f *testing.F) {
	ciKey, ciPub := key(f, 1)
	approver, approverPub := key(f, 2)
	block := signedReport(f, ciKey, 0, 0.95)
	base := record(f, block, ciPub, approvals.Override, "")
	f.Add("accepted risk", "CHG-1", "Ada Lovelace")
	f.Add("line one\nline two", "", "Grace Hopper")
	f.Add("\x1b[31m", "\u202e", "\"quoted\" name")
	f.Fuzz(func(t *testing.T, justification, ref, name string) {
		rec := base
		rec.Justification, rec.Reference, rec.Approver = justification, ref, name+" <a@example.com>"
		env, err := approvals.Sign(approver, rec)
		if err != nil {
			if !errors.Is(err, approvals.ErrInvalid) {
				t.Fatalf("Sign: %v, not ErrInvalid", err)
			}
			return
		}
		got, err := approvals.Verify(approverPub, env)
		if err != nil {
			t.Fatalf("Verify of a signed record: %v", err)
		}
		if got.Justification != justification || got.Reference != ref || got.Approver != rec.Approver || got.Report != rec.Report {
			t.Errorf("round trip: got %+v, want %+v", got, rec)
		}
		if err := approvals.Check(got, block, ciPub, approvals.CheckOptions{Approvers: []*signing.Verifier{approverPub}}); err != nil {
			t.Errorf("Check: %v", err)
		}
	})
}
