package signing

import (
	"bytes"
	"encoding/json"
	"errors"
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
