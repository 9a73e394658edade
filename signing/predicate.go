package signing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
)

// VerifyPredicate is VerifyStatement for a document of one predicate
// type, decoded strictly: it checks the signature with v, that the
// statement's predicateType is predicateType, that the statement holds no
// field an in-toto Statement v1 does not define, and decodes the predicate
// into dst refusing any field dst does not have. It returns the
// statement. Errors wrap ErrEnvelope or ErrSignature.
func VerifyPredicate(v *Verifier, envelope []byte, predicateType string, dst any) (*RawStatement, error) {
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
	if err := decodeStrict(st.Predicate, dst); err != nil {
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

// FileSubject is the subject naming a file by the SHA-256 of its bytes.
func FileSubject(name string, data []byte) Subject {
	sum := sha256.Sum256(data)
	return Subject{Name: name, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}
}

// SameSubjects reports whether a and b list the same subjects in the same
// order: equal names, each with exactly one digest, the same SHA-256.
func SameSubjects(a, b []Subject) bool {
	return slices.EqualFunc(a, b, func(x, y Subject) bool {
		return x.Name == y.Name && len(x.Digest) == len(y.Digest) && x.Digest["sha256"] == y.Digest["sha256"]
	})
}
