package reports_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// testSigner makes a key pair of typ.
func testSigner(t testing.TB, typ string) (*signing.Signer, *signing.Verifier, []byte) {
	t.Helper()
	priv, pub, err := signing.GenerateKey(typ, nil)
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
	return s, v, pub
}

func TestSignVerify(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	for _, typ := range signing.KeyTypes() {
		t.Run(typ, func(t *testing.T) {
			s, v, _ := testSigner(t, typ)
			if s.KeyID != v.KeyID || !strings.HasPrefix(s.KeyID, "SHA256:") || strings.HasSuffix(s.KeyID, "=") {
				t.Errorf("keyid %q (verifier %q): want the same unpadded SHA256:… fingerprint", s.KeyID, v.KeyID)
			}
			env, err := reports.SignReport(s, r, strings.Repeat("12", 32))
			if err != nil {
				t.Fatal(err)
			}
			var wire map[string]any
			if err := json.Unmarshal(env, &wire); err != nil {
				t.Fatal(err)
			}
			if wire["payloadType"] != "application/vnd.in-toto+json" {
				t.Errorf("payloadType %v", wire["payloadType"])
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(wire["payload"].(string)); err != nil {
				t.Errorf("payload is not standard padded base64: %v", err)
			}
			st, err := reports.VerifyReport(v, env)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, sub := range st.Subject {
				names = append(names, sub.Name)
			}
			if got, want := strings.Join(names, " "), "results.parquet production-results.parquet set.parquet eval.yaml model:extractive-v2@extractive-v2"; got != want {
				t.Errorf("subjects %q, want %q", got, want)
			}
			p := st.Predicate
			if p.VerificationResult != signing.Failed || p.Report.Verdict != reports.Block || p.Verifier.ID != signing.VerifierID || p.Policy.Digest["sha256"] != r.Config.SHA256 || p.TimeVerified != "2026-11-26T12:00:01Z" {
				t.Errorf("predicate %+v does not carry the verdict, verifier, policy and time", p)
			}
			var a, b bytes.Buffer
			reports.WriteJSON(&a, r)
			reports.WriteJSON(&b, p.Report)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("the signed report differs from report.json")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	s, v, _ := testSigner(t, signing.KeyEd25519)
	_, other, _ := testSigner(t, signing.KeyEd25519)
	good, err := reports.SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(e *signing.Envelope)) []byte {
		var e signing.Envelope
		if err := json.Unmarshal(good, &e); err != nil {
			t.Fatal(err)
		}
		f(&e)
		b, _ := json.Marshal(e)
		return b
	}
	tests := []struct {
		name     string
		envelope []byte
		key      *signing.Verifier
		is       error
		want     string
	}{
		{"payload byte flipped", edit(func(e *signing.Envelope) { e.Payload[len(e.Payload)/2] ^= 1 }), v, signing.ErrSignature, "payload or the signature was altered"},
		{"verdict rewritten", edit(func(e *signing.Envelope) {
			e.Payload = bytes.Replace(e.Payload, []byte(`"verdict":"BLOCK"`), []byte(`"verdict":"ALLOW"`), 1)
		}), v, signing.ErrSignature, "altered"},
		{"signature byte flipped", edit(func(e *signing.Envelope) { e.Signatures[0].Sig[3] ^= 0x80 }), v, signing.ErrSignature, "signature does not verify"},
		{"another key", good, other, signing.ErrSignature, "names signing key " + s.KeyID},
		{"payload type changed", edit(func(e *signing.Envelope) { e.PayloadType = "application/vnd.in-toto.evalgate+json" }), v, signing.ErrEnvelope, "payloadType"},
		{"no signatures", edit(func(e *signing.Envelope) { e.Signatures = nil }), v, signing.ErrEnvelope, "no signatures"},
		{"url-safe base64", urlSafe(t, good), v, signing.ErrEnvelope, "not standard base64"},
		{"not json", []byte("hello"), v, signing.ErrEnvelope, "not a DSSE envelope"},
		{"trailing data", append(bytes.Clone(good), "{}"...), v, signing.ErrEnvelope, "data after the envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reports.VerifyReport(tt.key, tt.envelope)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestMatchSubject(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	data := []byte("results bytes")
	sum := sha256.Sum256(data)
	r.Candidate.ResultsSHA256 = hex.EncodeToString(sum[:])
	st := reports.NewStatement(r, "")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"the results file", data, "results.parquet"},
		{"a byte flipped", []byte("results bytez"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := st.MatchSubject(tt.data)
			switch {
			case tt.want != "" && (err != nil || sub.Name != tt.want):
				t.Errorf("got %v, %v; want subject %s", sub.Name, err, tt.want)
			case tt.want == "" && !errors.Is(err, signing.ErrSubject):
				t.Errorf("got %v, %v; want ErrSubject", sub.Name, err)
			}
		})
	}
}

// TestOpenSSLInterop checks that openssl verifies our envelopes over the
// DSSE pre-authentication encoding built the way SIGNING.md shows, so that
// a drift of our encoding from the standard fails here.
func TestOpenSSLInterop(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; skipping the interop test")
	}
	r := reports.Build(reportstest.Input(t))
	for _, typ := range signing.KeyTypes() {
		t.Run(typ, func(t *testing.T) {
			s, _, pub := testSigner(t, typ)
			raw, err := reports.SignReport(s, r, "")
			if err != nil {
				t.Fatal(err)
			}
			var w struct {
				Payload, PayloadType string
				Signatures           []struct{ Sig string }
			}
			if err := json.Unmarshal(raw, &w); err != nil {
				t.Fatal(err)
			}
			body, _ := base64.StdEncoding.DecodeString(w.Payload)
			sig, _ := base64.StdEncoding.DecodeString(w.Signatures[0].Sig)
			// The encoding, written out independently of PAE.
			pae := []byte("DSSEv1 " + strconv.Itoa(len(w.PayloadType)) + " " + w.PayloadType + " " + strconv.Itoa(len(body)) + " " + string(body))
			dir := t.TempDir()
			files := map[string][]byte{"pub.pem": pub, "pae.bin": pae, "sig.bin": sig, "bad.bin": append(bytes.Clone(pae), ' ')}
			for name, b := range files {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			verify := func(in string) ([]byte, error) {
				args := []string{"pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", in, "-sigfile", "sig.bin"}
				if typ == signing.KeyECDSAP256 {
					args = []string{"dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", in}
				}
				cmd := exec.Command("openssl", args...)
				cmd.Dir = dir
				return cmd.CombinedOutput()
			}
			if out, err := verify("pae.bin"); err != nil || !strings.Contains(string(out), "Verified") {
				t.Errorf("openssl rejects our envelope: %v\n%s", err, out)
			}
			if out, err := verify("bad.bin"); err == nil {
				t.Errorf("openssl accepted a changed message:\n%s", out)
			}
		})
	}
}

// urlSafe rewrites an envelope's payload and signatures in URL-safe
// base64 without padding, with a character that standard base64 lacks.
func urlSafe(t *testing.T, envelope []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(envelope, &m); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
	m["payload"] = base64.RawURLEncoding.EncodeToString(append(raw, 0xfb, 0xff))
	b, _ := json.Marshal(m)
	return b
}

// TestVerifyRejectsSignedContradictions signs payloads that are valid
// signatures over lies: a case-variant duplicate verdict (ALLOW to Go's
// encoding/json, BLOCK to jq and Python), and a verdict its own gate
// contradicts. VerifyReport refuses both.
func TestVerifyRejectsSignedContradictions(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	if r.Verdict != reports.Block || r.Gate.Failed == 0 {
		t.Fatalf("the fixture is %s with %d failed rules; the test needs a BLOCK", r.Verdict, r.Gate.Failed)
	}
	s, v, _ := testSigner(t, signing.KeyEd25519)
	good, err := reports.SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	var e signing.Envelope
	if err := json.Unmarshal(good, &e); err != nil {
		t.Fatal(err)
	}
	resign := func(rewrite func([]byte) []byte) []byte {
		payload := rewrite(bytes.Clone(e.Payload))
		env, err := s.SignEnvelope(payload)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name     string
		envelope []byte
		want     string
	}{
		{"case-variant duplicate verdict", resign(func(p []byte) []byte {
			return bytes.Replace(p, []byte(`"verdict":"BLOCK"`), []byte(`"verdict":"BLOCK","Verdict":"ALLOW"`), 1)
		}), `"verdict" and "Verdict"`},
		{"ALLOW over failed rules", resign(func(p []byte) []byte {
			p = bytes.Replace(p, []byte(`"verdict":"BLOCK"`), []byte(`"verdict":"ALLOW"`), 1)
			return bytes.Replace(p, []byte(`"verificationResult":"FAILED"`), []byte(`"verificationResult":"PASSED"`), 1)
		}), "contradicts the report"},
		{"unknown field in a gate rule", resign(func(p []byte) []byte {
			return bytes.Replace(p, []byte(`"outcome":`), []byte(`"override":"pass","outcome":`), 1)
		}), `unknown field "override"`},
		{"counts rewritten", resign(func(p []byte) []byte {
			return bytes.Replace(p, []byte(`"passed":`), []byte(`"passed":9`), 1)
		}), "but its rules say"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.envelope, good) {
				t.Fatal("the rewrite changed nothing")
			}
			_, err := reports.VerifyReport(v, tt.envelope)
			if !errors.Is(err, signing.ErrEnvelope) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrEnvelope containing %q", err, tt.want)
			}
		})
	}
	if _, err := reports.VerifyReport(v, good); err != nil {
		t.Errorf("the honest envelope: %v", err)
	}
}

// TestSignedShards checks that a merged report's statement lists every
// shard's files as subjects named "<folder>/<file>", and that verifying
// refuses a field it does not know in a shard, as in a gate rule.
func TestSignedShards(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	r.Shards = []reports.ShardRun{{Index: 0, Count: 2, Folder: "shard-0-of-2", Status: reports.Complete, Items: 3, ManifestSHA256: strings.Repeat("ab", 32),
		Files: []reports.ShardFileDigest{{Name: "results.parquet", SHA256: strings.Repeat("cd", 32)}}}}
	st := reports.NewStatement(r, "")
	want := map[string]string{"shard-0-of-2/results.parquet": strings.Repeat("cd", 32), "shard-0-of-2/shard.json": strings.Repeat("ab", 32)}
	for _, sub := range st.Subject {
		if d, ok := want[sub.Name]; ok {
			if sub.Digest["sha256"] != d {
				t.Errorf("subject %s has sha256 %s, want %s", sub.Name, sub.Digest["sha256"], d)
			}
			delete(want, sub.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("the statement lacks the subjects %v", want)
	}
	s, v, _ := testSigner(t, signing.KeyEd25519)
	good, err := reports.SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reports.VerifyReport(v, good); err != nil {
		t.Fatalf("the honest envelope: %v", err)
	}
	var e signing.Envelope
	if err := json.Unmarshal(good, &e); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Replace(e.Payload, []byte(`"manifest_sha256":`), []byte(`"trusted":true,"manifest_sha256":`), 1)
	if bytes.Equal(payload, e.Payload) {
		t.Fatal("the rewrite changed nothing")
	}
	env, err := s.SignEnvelope(payload)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	if _, err := reports.VerifyReport(v, b); !errors.Is(err, signing.ErrEnvelope) || !strings.Contains(err.Error(), `unknown field "trusted"`) {
		t.Errorf("error %v, want ErrEnvelope naming the unknown field", err)
	}
}
