package signing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// VerifyPredicate is VerifyStatement for a document of one predicate
// type, decoded strictly: it checks the signature with v, that the
// statement's predicateType is predicateType, that the statement holds no
// field an in-toto Statement v1 does not define, and decodes the predicate
// into dst refusing any field dst does not have. It returns the
// statement. Errors wrap ErrEnvelope or ErrSignature.
func VerifyPredicate(v *Verifier, envelope []byte, predicateType string, dst any) (*RawStatement, error) {
	return VerifyPredicateFunc(v, envelope, predicateType, func(predicate []byte) error { return decodeStrict(predicate, dst) })
}

// VerifyPredicateFunc is VerifyPredicate for a predicate with a reader of
// its own (a strict decoder that also checks the document's rules): decode
// reads the predicate's bytes, and its error is wrapped in ErrEnvelope.
func VerifyPredicateFunc(v *Verifier, envelope []byte, predicateType string, decode func(predicate []byte) error) (*RawStatement, error) {
	st, err := VerifyStatement(v, envelope)
	if err != nil {
		return nil, err
	}
	if st.PredicateType != predicateType {
		return nil, fmt.Errorf("%w: predicateType %q, want %q", ErrEnvelope, st.PredicateType, predicateType)
	}
	env, err := DecodeEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	var strict RawStatement
	if err := decodeStrict(env.Payload, &strict); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrEnvelope, err)
	}
	if err := decode(st.Predicate); err != nil {
		return nil, fmt.Errorf("%w: predicate: %w", ErrEnvelope, err)
	}
	return st, nil
}

// decodeStrict decodes one JSON value from b into dst, refusing unknown
// fields.
func decodeStrict(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// DigestSubject is the subject naming a document by its lower-case hex
// SHA-256.
func DigestSubject(name, sha256hex string) Subject {
	return Subject{Name: name, Digest: map[string]string{"sha256": sha256hex}}
}

// FileSubject is the subject naming a file by the SHA-256 of its bytes.
func FileSubject(name string, data []byte) Subject {
	return DigestSubject(name, DigestHex(data))
}

// File is one file of a signed document's rendering, named by its base
// name.
type File struct {
	Name string
	Data []byte
}

// DigestHex is the lower-case hex SHA-256 of b, as subjects carry it.
func DigestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// IsDigestHex reports whether s is a lower-case hex SHA-256.
func IsDigestHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// CheckPerson checks the identity a signed record names its person by
// (an approver, a reviewer): "Name <email>", a name and an address, valid
// UTF-8 without control characters.
func CheckPerson(s string) error {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return errors.New("holds control characters or invalid UTF-8")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || strings.TrimSpace(a.Name) == "" {
		return errors.New(`want "Name <email>"`)
	}
	return nil
}

// SameSubjects reports whether a and b list the same subjects in the same
// order: equal names, each with exactly one digest, the same SHA-256.
func SameSubjects(a, b []Subject) bool {
	return slices.EqualFunc(a, b, func(x, y Subject) bool {
		return x.Name == y.Name && len(x.Digest) == len(y.Digest) && x.Digest["sha256"] == y.Digest["sha256"]
	})
}
