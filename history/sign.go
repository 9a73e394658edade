package history

// Signing a history: an in-toto Statement of its own predicate type whose
// predicate is history.json's document and whose subjects are the
// rendered files and the signed reports the charts were built from.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies the predicate of history.dsse.json: the
// history document, as in history.json (Document).
const PredicateType = "https://github.com/evalgate/evalgate/history/v1"

// File names of a history and its signature.
const (
	FileJSON     = "history.json"
	FileEnvelope = "history.dsse.json"
)

// File is one rendered file of a history (history.json, history.md,
// history.html).
type File = signing.File

// Statement is a verified history statement with its predicate decoded.
type Statement struct {
	signing.RawStatement
	// History is the decoded predicate.
	History *Document
}

// Subjects are the subjects of a signed history: each of files by the
// SHA-256 of its bytes, under its name, then each report of h by the
// SHA-256 of its envelope file, under its path relative to the folder.
func Subjects(h *History, files []File) []signing.Subject {
	var out []signing.Subject
	for _, f := range files {
		out = append(out, signing.FileSubject(f.Name, f.Data))
	}
	for _, r := range h.Reports {
		out = append(out, signing.DigestSubject(r.Path, r.EnvelopeSHA256))
	}
	return out
}

// Sign signs h and its rendered files as history.dsse.json: an in-toto
// Statement of type PredicateType whose predicate is NewDocument(h) and
// whose subjects are Subjects(h, files). It refuses a report of h with no
// envelope digest (a History not built from ReadSignedReports), two files
// of one name, and a history.json among files that is not h's document.
func Sign(s *signing.Signer, h *History, files []File) ([]byte, error) {
	if len(h.Reports) == 0 {
		return nil, fmt.Errorf("sign history: %w", ErrNoReports)
	}
	for _, r := range h.Reports {
		if r.EnvelopeSHA256 == "" {
			return nil, fmt.Errorf("sign history: report %s has no envelope digest", r.Path)
		}
	}
	doc := NewDocument(h)
	pred, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("sign history: encode history: %w", err)
	}
	var names []string
	for _, f := range files {
		if slices.Contains(names, f.Name) {
			return nil, fmt.Errorf("sign history: two files named %s", f.Name)
		}
		names = append(names, f.Name)
		if f.Name == FileJSON && !equalJSON(f.Data, pred) {
			return nil, fmt.Errorf("sign history: %s is not this history's document", f.Name)
		}
	}
	env, err := signing.SignStatement(s, Subjects(h, files), PredicateType, doc)
	if err != nil {
		return nil, fmt.Errorf("sign history: %w", err)
	}
	return env, nil
}

// Verify checks a signed history: the signature with v, the statement
// and predicate types, the predicate as ReadJSON reads history.json (no
// field this evalgate does not know), and that every report of the
// document is a subject. It does not check the files: match them against
// the subjects (signing.CheckSubject). Errors wrap signing.ErrEnvelope or
// signing.ErrSignature.
func Verify(v *signing.Verifier, envelope []byte) (*Statement, error) {
	var doc *Document
	st, err := signing.VerifyPredicateFunc(v, envelope, PredicateType, func(b []byte) (err error) {
		doc, err = ReadJSON(bytes.NewReader(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, r := range doc.Reports {
		if !slices.ContainsFunc(st.Subject, func(s signing.Subject) bool { return s.Name == r.Path && s.Digest["sha256"] != "" }) {
			return nil, fmt.Errorf("%w: report %s of the history is not a subject of the statement", signing.ErrEnvelope, r.Path)
		}
	}
	return &Statement{RawStatement: *st, History: doc}, nil
}
