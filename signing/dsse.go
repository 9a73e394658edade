package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// PayloadType is the DSSE payload type of a signed report: an in-toto
// Statement. It is exactly this string; cosign rejects the
// predicate-specific form.
const PayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE v1 envelope
// (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md).
// Payload and each signature's Sig are standard, padded base64 in JSON.
type Envelope struct {
	// Payload is the signed body, the in-toto Statement's JSON bytes.
	Payload []byte `json:"payload"`
	// PayloadType says how to interpret Payload; PayloadType for evalgate.
	PayloadType string `json:"payloadType"`
	// Signatures are over PAE(PayloadType, Payload); at least one.
	Signatures []Signature `json:"signatures"`
}

// Signature is one signature of an envelope.
type Signature struct {
	// KeyID is a hint naming the key, never trusted: empty or the
	// SSH-style "SHA256:<unpadded base64>" fingerprint (see KeyID).
	KeyID string `json:"keyid"`
	// Sig is the raw signature: 64 bytes for Ed25519, ASN.1 DER for ECDSA.
	Sig []byte `json:"sig"`
}

// envelopeJSON is the wire form, with base64 kept as text so that decoding
// can insist on standard padded base64.
type envelopeJSON struct {
	Payload     *string         `json:"payload"`
	PayloadType *string         `json:"payloadType"`
	Signatures  []signatureJSON `json:"signatures"`
}

type signatureJSON struct {
	KeyID string  `json:"keyid"`
	Sig   *string `json:"sig"`
}

// Errors of envelope decoding and verification, for errors.Is.
var (
	// ErrEnvelope marks a file that is not a well-formed DSSE envelope.
	ErrEnvelope = errors.New("not a DSSE envelope")
	// ErrSignature marks a signature that does not verify.
	ErrSignature = errors.New("signature does not verify")
	// ErrSubject marks a file whose digest is not among the subjects.
	ErrSubject = errors.New("file is not a subject of the signed document")
)

// PAE is DSSE v1's pre-authentication encoding of a payload, the bytes that
// are signed: "DSSEv1" SP len(type) SP type SP len(body) SP body, with the
// lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// MarshalJSON writes the envelope with standard padded base64.
func (e Envelope) MarshalJSON() ([]byte, error) {
	p := base64.StdEncoding.EncodeToString(e.Payload)
	t := e.PayloadType
	w := envelopeJSON{Payload: &p, PayloadType: &t, Signatures: make([]signatureJSON, len(e.Signatures))}
	for i, s := range e.Signatures {
		sig := base64.StdEncoding.EncodeToString(s.Sig)
		w.Signatures[i] = signatureJSON{KeyID: s.KeyID, Sig: &sig}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads an envelope, accepting only standard padded base64
// and requiring payload, payloadType and at least one signature.
func (e *Envelope) UnmarshalJSON(b []byte) error {
	var w envelopeJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	switch {
	case w.Payload == nil:
		return errors.New("no payload")
	case w.PayloadType == nil:
		return errors.New("no payloadType")
	case len(w.Signatures) == 0:
		return errors.New("no signatures")
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(*w.Payload)
	if err != nil {
		return fmt.Errorf("payload: not standard base64: %w", err)
	}
	out := Envelope{Payload: payload, PayloadType: *w.PayloadType, Signatures: make([]Signature, len(w.Signatures))}
	for i, s := range w.Signatures {
		if s.Sig == nil {
			return fmt.Errorf("signature %d: no sig", i+1)
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(*s.Sig)
		if err != nil {
			return fmt.Errorf("signature %d: not standard base64: %w", i+1, err)
		}
		out.Signatures[i] = Signature{KeyID: s.KeyID, Sig: sig}
	}
	*e = out
	return nil
}

// DecodeEnvelope decodes a DSSE envelope and checks that its payload type
// is PayloadType. Errors wrap ErrEnvelope.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvelope, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the envelope", ErrEnvelope)
	}
	if e.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: payloadType %q, want %q", ErrEnvelope, e.PayloadType, PayloadType)
	}
	return &e, nil
}
