package cards

// Signing a card: an in-toto Statement of its own predicate type whose
// subjects are the card's files and the signed documents it was built
// from.

import (
	"bytes"
	"io"

	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies the predicate of card.dsse.json: the card, as
// in card.json.
const PredicateType = "https://github.com/evalgate/evalgate/model-card/v1"

// File is one file of a rendered card.
type File = signing.File

// Statement is a verified card statement with its predicate decoded.
type Statement struct {
	signing.RawStatement
	// Card is the decoded predicate.
	Card *Card
}

// Subjects are the subjects of a signed card: each of files by SHA-256,
// then each source document by the SHA-256 of its envelope, under its
// Source name.
func Subjects(c *Card, files []File) []signing.Subject {
	var out []signing.Subject
	for _, f := range files {
		out = append(out, signing.FileSubject(f.Name, f.Data))
	}
	for _, s := range c.Sources {
		out = append(out, signing.DigestSubject(s.Name, s.SHA256))
	}
	return out
}

// Sign signs c and its rendered files as card.dsse.json: an in-toto
// Statement of type PredicateType whose predicate is c and whose
// subjects are Subjects(c, files). Changing a number in any of the files
// afterwards breaks its subject's digest.
func Sign(s *signing.Signer, c *Card, files []File) ([]byte, error) {
	return signing.SignStatement(s, Subjects(c, files), PredicateType, c)
}

// Verify checks a signed card: the signature with v, the statement and
// predicate types, and the card's schema version; the predicate must hold
// no field this evalgate does not know. It does not check the files:
// match them against the subjects (signing.CheckSubject). Errors wrap
// signing.ErrEnvelope or signing.ErrSignature.
func Verify(v *signing.Verifier, envelope []byte) (*Statement, error) {
	var c *Card
	st, err := signing.VerifyPredicateFunc(v, envelope, PredicateType, func(b []byte) (err error) {
		c, err = ReadJSON(bytes.NewReader(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Statement{RawStatement: *st, Card: c}, nil
}

// File names of a rendered card.
const (
	FileJSON     = "card.json"
	FileMarkdown = "card.md"
	FileHTML     = "card.html"
	FileEnvelope = "card.dsse.json"
)

// Render renders c as card.json, card.md and card.html, in that order.
func Render(c *Card) ([]File, error) {
	var out []File
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Card) error
	}{{FileJSON, WriteJSON}, {FileMarkdown, WriteMarkdown}, {FileHTML, WriteHTML}} {
		var b bytes.Buffer
		if err := f.write(&b, c); err != nil {
			return nil, err
		}
		out = append(out, File{Name: f.name, Data: b.Bytes()})
	}
	return out, nil
}
