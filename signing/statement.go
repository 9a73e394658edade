package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// In-toto identifiers shared by every evalgate predicate.
const (
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// VerifierID is the verifier.id of every evalgate predicate.
	VerifierID = "https://github.com/evalgate/evalgate"
)

// Verification results, as SLSA VSA spells them.
const (
	Passed = "PASSED"
	Failed = "FAILED"
)

// Result is the VSA verificationResult of a verdict: Passed when it
// allowed, Failed otherwise.
func Result(allowed bool) string {
	if allowed {
		return Passed
	}
	return Failed
}

// Subject is one artifact the statement is about, matched by digest only.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// VSAVerifier is the VSA verifier field: who checked.
type VSAVerifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version"`
}

// Policy is the VSA policy field: the config, by path and digest.
type Policy struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

// RawStatement is an in-toto Statement v1 whose predicate is kept as
// undecoded JSON, for callers that dispatch on PredicateType.
type RawStatement struct {
	// Type is StatementType.
	Type string `json:"_type"`
	// Subject lists the artifacts the statement is about, by digest.
	Subject []Subject `json:"subject"`
	// PredicateType names the predicate's schema, such as
	// reports.PredicateType or drift.PredicateType.
	PredicateType string `json:"predicateType"`
	// Predicate is the predicate's JSON, undecoded.
	Predicate json.RawMessage `json:"predicate"`
}

// SignStatement wraps predicate in an in-toto Statement v1 with the given
// subjects and predicate type, signs it with s in a DSSE envelope (payload
// type PayloadType) and returns the envelope's JSON, indented, with a
// final newline. Subjects are matched by their SHA-256 digest only.
func SignStatement(s *Signer, subjects []Subject, predicateType string, predicate any) ([]byte, error) {
	pred, err := json.Marshal(predicate)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	payload, err := json.Marshal(RawStatement{Type: StatementType, Subject: subjects, PredicateType: predicateType, Predicate: pred})
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	env, err := s.SignEnvelope(payload)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode envelope: %w", err)
	}
	return append(out, '\n'), nil
}

// VerifyStatement decodes a DSSE envelope, checks its signature with v and
// decodes its in-toto Statement, leaving the predicate undecoded. Errors
// wrap ErrEnvelope or ErrSignature.
func VerifyStatement(v *Verifier, envelope []byte) (*RawStatement, error) {
	env, err := DecodeEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if err := v.Verify(env); err != nil {
		return nil, err
	}
	if err := CheckUnambiguous(env.Payload); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrEnvelope, err)
	}
	var st RawStatement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrEnvelope, err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("%w: statement _type %q, want %q", ErrEnvelope, st.Type, StatementType)
	}
	return &st, nil
}

// MatchSubject returns the subject whose SHA-256 is that of data. The
// error wraps ErrSubject and lists the subjects.
func (st *RawStatement) MatchSubject(data []byte) (Subject, error) {
	return MatchSubject(st.Subject, data)
}

// MatchSubject returns the one of subjects whose SHA-256 is that of data.
// The error wraps ErrSubject and lists the subjects.
func MatchSubject(subjects []Subject, data []byte) (Subject, error) {
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	i := slices.IndexFunc(subjects, func(s Subject) bool { return s.Digest["sha256"] == got })
	if i < 0 {
		var names []string
		for _, s := range subjects {
			names = append(names, s.Name)
		}
		return Subject{}, fmt.Errorf("%w: its sha256 %s matches none of %s", ErrSubject, got, strings.Join(names, ", "))
	}
	return subjects[i], nil
}

// ErrDigestMismatch marks a file whose name is a subject's but whose bytes
// are not: it was changed after the statement was signed.
var ErrDigestMismatch = errors.New("digest mismatch")

// CheckSubject checks a file, by its base name and the hex SHA-256 of its
// bytes, against subjects. A file named as a subject must have that
// subject's digest (else an error wrapping ErrDigestMismatch and
// ErrSubject, giving both digests): a results file is checked against the
// results subject, never matched to another subject with equal bytes. A
// file whose name is no subject's is matched by digest alone (byName is
// then false); one that matches nothing is an error wrapping ErrSubject.
func CheckSubject(subjects []Subject, name, sha256hex string) (s Subject, byName bool, err error) {
	if i := slices.IndexFunc(subjects, func(s Subject) bool { return s.Name == name }); i >= 0 {
		s := subjects[i]
		if want := s.Digest["sha256"]; want != sha256hex {
			return Subject{}, true, fmt.Errorf("%w: %w: its sha256 is %s, but the signed subject %s has %s", ErrSubject, ErrDigestMismatch, sha256hex, s.Name, want)
		}
		return s, true, nil
	}
	i := slices.IndexFunc(subjects, func(s Subject) bool { return s.Digest["sha256"] == sha256hex })
	if i < 0 {
		var names []string
		for _, s := range subjects {
			names = append(names, s.Name)
		}
		return Subject{}, false, fmt.Errorf("%w: no subject is named %s, and its sha256 %s matches none of %s", ErrSubject, name, sha256hex, strings.Join(names, ", "))
	}
	return subjects[i], false, nil
}
