package reports

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
)

func TestPAE(t *testing.T) {
	tests := []struct {
		name, typ, body, want string
	}{
		{"spec vector", "http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"empty", "", "", "DSSEv1 0  0 "},
		{"in-toto", PayloadType, "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}"},
		{"multibyte lengths count bytes", "t", "≥", "DSSEv1 1 t 3 ≥"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(PAE(tt.typ, []byte(tt.body))); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// testSigner makes a key pair of typ.
func testSigner(t testing.TB, typ string) (*Signer, *Verifier, []byte) {
	t.Helper()
	priv, pub, err := GenerateKey(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, pub
}

func TestSignVerify(t *testing.T) {
	r := Build(testInput(t))
	for _, typ := range KeyTypes() {
		t.Run(typ, func(t *testing.T) {
			s, v, _ := testSigner(t, typ)
			if s.KeyID != v.KeyID || !strings.HasPrefix(s.KeyID, "SHA256:") || strings.HasSuffix(s.KeyID, "=") {
				t.Errorf("keyid %q (verifier %q): want the same unpadded SHA256:… fingerprint", s.KeyID, v.KeyID)
			}
			env, err := SignReport(s, r, strings.Repeat("12", 32))
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
			st, err := VerifyReport(v, env)
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
			if p.VerificationResult != Failed || p.Report.Verdict != Block || p.Verifier.ID != VerifierID || p.Policy.Digest["sha256"] != r.Config.SHA256 || p.TimeVerified != "2026-11-26T12:00:01Z" {
				t.Errorf("predicate %+v does not carry the verdict, verifier, policy and time", p)
			}
			var a, b bytes.Buffer
			WriteJSON(&a, r)
			WriteJSON(&b, p.Report)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("the signed report differs from report.json")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	r := Build(testInput(t))
	s, v, _ := testSigner(t, KeyEd25519)
	_, other, _ := testSigner(t, KeyEd25519)
	good, err := SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(e *Envelope)) []byte {
		var e Envelope
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
		key      *Verifier
		is       error
		want     string
	}{
		{"payload byte flipped", edit(func(e *Envelope) { e.Payload[len(e.Payload)/2] ^= 1 }), v, ErrSignature, "payload or the signature was altered"},
		{"verdict rewritten", edit(func(e *Envelope) {
			e.Payload = bytes.Replace(e.Payload, []byte(`"verdict":"BLOCK"`), []byte(`"verdict":"ALLOW"`), 1)
		}), v, ErrSignature, "altered"},
		{"signature byte flipped", edit(func(e *Envelope) { e.Signatures[0].Sig[3] ^= 0x80 }), v, ErrSignature, "signature does not verify"},
		{"another key", good, other, ErrSignature, "names signing key " + s.KeyID},
		{"payload type changed", edit(func(e *Envelope) { e.PayloadType = "application/vnd.in-toto.evalgate+json" }), v, ErrEnvelope, "payloadType"},
		{"no signatures", edit(func(e *Envelope) { e.Signatures = nil }), v, ErrEnvelope, "no signatures"},
		{"url-safe base64", urlSafe(t, good), v, ErrEnvelope, "not standard base64"},
		{"not json", []byte("hello"), v, ErrEnvelope, "not a DSSE envelope"},
		{"trailing data", append(bytes.Clone(good), "{}"...), v, ErrEnvelope, "data after the envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyReport(tt.key, tt.envelope)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestMatchSubject(t *testing.T) {
	r := Build(testInput(t))
	data := []byte("results bytes")
	sum := sha256.Sum256(data)
	r.Candidate.ResultsSHA256 = hex.EncodeToString(sum[:])
	st := NewStatement(r, "")
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
			case tt.want == "" && !errors.Is(err, ErrSubject):
				t.Errorf("got %v, %v; want ErrSubject", sub.Name, err)
			}
		})
	}
}

func TestParseKeyErrors(t *testing.T) {
	priv, pub, _ := GenerateKey(KeyEd25519, nil)
	secret := strings.TrimSpace(strings.Split(string(priv), "\n")[1])
	tests := []struct {
		name string
		pem  []byte
		want string
	}{
		{"not pem", []byte("hello"), "not a PEM-encoded key"},
		{"public key as private", pub, `"PUBLIC KEY"`},
		{"corrupt body", []byte(strings.Replace(string(priv), secret[:8], "AAAAAAAA", 1)), "not a valid PKCS#8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tt.pem)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), secret[8:20]) {
				t.Errorf("error %v, want %q and no key material", err, tt.want)
			}
		})
	}
	if _, _, err := GenerateKey("rsa", nil); err == nil {
		t.Error("GenerateKey accepted rsa")
	}
}

// TestOpenSSLInterop checks that openssl verifies our envelopes over the
// DSSE pre-authentication encoding built the way SIGNING.md shows, so that
// a drift of our encoding from the standard fails here.
func TestOpenSSLInterop(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; skipping the interop test")
	}
	r := Build(testInput(t))
	for _, typ := range KeyTypes() {
		t.Run(typ, func(t *testing.T) {
			s, _, pub := testSigner(t, typ)
			raw, err := SignReport(s, r, "")
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
				if typ == KeyECDSAP256 {
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

func FuzzDecodeEnvelope(f *testing.F) {
	s, _, _ := testSigner(f, KeyEd25519)
	env, _ := s.SignEnvelope([]byte(`{"a":1}`))
	good, _ := json.Marshal(env)
	f.Add(good)
	f.Add([]byte(`{"payload":"","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":""}]}`))
	f.Add([]byte(`{"payload":"e30","payloadType":"x","signatures":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrEnvelope) {
				t.Fatalf("error %v does not wrap ErrEnvelope", err)
			}
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := DecodeEnvelope(again)
		if err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v", err)
		}
		if !bytes.Equal(e.Payload, e2.Payload) || e.PayloadType != e2.PayloadType || len(e.Signatures) != len(e2.Signatures) {
			t.Fatal("decode → encode → decode changed the envelope")
		}
	})
}

func FuzzSignVerify(f *testing.F) {
	s, v, _ := testSigner(f, KeyEd25519)
	f.Add([]byte("hello world"), 0)
	f.Add([]byte{}, 3)
	f.Fuzz(func(t *testing.T, payload []byte, flip int) {
		env, err := s.SignEnvelope(payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(env)
		back, err := DecodeEnvelope(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(back); err != nil {
			t.Fatalf("round trip does not verify: %v", err)
		}
		if len(payload) > 0 {
			back.Payload[abs(flip)%len(payload)] ^= 1
			if v.Verify(back) == nil {
				t.Fatal("a flipped payload byte verifies")
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
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
