package signing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestVerifyPredicate checks the strict decoding every signed record of
// one predicate type shares: the type must match, and neither the
// statement nor the predicate may hold a field the reader does not know.
func TestVerifyPredicate(t *testing.T) {
	s, v, _ := testSigner(t, KeyEd25519)
	type rec struct {
		Decision string `json:"decision"`
	}
	subjects := []Subject{FileSubject("a.txt", []byte("a"))}
	good, err := SignStatement(s, subjects, "https://example.com/p/v1", rec{"approve"})
	if err != nil {
		t.Fatal(err)
	}
	// sign signs a hand-made statement, as a forger holding the key could.
	sign := func(st map[string]any) []byte {
		payload, _ := json.Marshal(st)
		env, err := s.SignEnvelope(payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(env)
		return b
	}
	base := func() map[string]any {
		return map[string]any{"_type": StatementType, "subject": subjects, "predicateType": "https://example.com/p/v1", "predicate": map[string]any{"decision": "approve"}}
	}
	extraStatement := base()
	extraStatement["note"] = "ignored by one reader, honoured by another"
	extraPredicate := base()
	extraPredicate["predicate"] = map[string]any{"decision": "approve", "override": true}

	var got rec
	st, err := VerifyPredicate(v, good, "https://example.com/p/v1", &got)
	if err != nil || got.Decision != "approve" || !SameSubjects(st.Subject, subjects) {
		t.Fatalf("good record: %v, %+v", err, got)
	}
	for _, tt := range []struct {
		name, typ string
		env       []byte
	}{
		{"another predicate type", "https://example.com/q/v1", good},
		{"unknown statement field", "https://example.com/p/v1", sign(extraStatement)},
		{"unknown predicate field", "https://example.com/p/v1", sign(extraPredicate)},
	} {
		if _, err := VerifyPredicate(v, tt.env, tt.typ, &rec{}); !errors.Is(err, ErrEnvelope) {
			t.Errorf("%s: got %v, want ErrEnvelope", tt.name, err)
		}
	}
	if SameSubjects(subjects, []Subject{FileSubject("a.txt", []byte("b"))}) {
		t.Error("SameSubjects: different digests compared equal")
	}
}

// TestCheckPersonAndDigests checks the identity and digest checks the
// signed records share.
func TestCheckPersonAndDigests(t *testing.T) {
	for s, ok := range map[string]bool{
		"Ada Lovelace <ada@example.com>": true,
		"ada@example.com":                false, // no name
		"Ada Lovelace":                   false, // no address
		"Ada\x1b[31m <ada@example.com>":  false, // a terminal escape
		"Ada \xff <ada@example.com>":     false, // invalid UTF-8
	} {
		if err := CheckPerson(s); (err == nil) != ok {
			t.Errorf("CheckPerson(%q) = %v, want ok %v", s, err, ok)
		}
	}
	// sha256("abc"), as sha256sum prints it.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if DigestHex([]byte("abc")) != abc || !IsDigestHex(abc) || IsDigestHex(strings.ToUpper(abc)) || IsDigestHex(abc[:63]) {
		t.Error("DigestHex/IsDigestHex disagree with sha256sum's lower-case hex")
	}
}
