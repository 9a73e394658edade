package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Key types for GenerateKey.
const (
	KeyEd25519   = "ed25519"
	KeyECDSAP256 = "ecdsa-p256"
)

// KeyTypes lists the key types GenerateKey accepts.
func KeyTypes() []string { return []string{KeyEd25519, KeyECDSAP256} }

// GenerateKey makes a new signing key pair of type typ (KeyEd25519 or
// KeyECDSAP256) and returns the private key as PKCS#8 "PRIVATE KEY" PEM and
// the public key as PKIX "PUBLIC KEY" PEM, the forms openssl genpkey
// writes. rnd is the randomness source; crypto/rand when nil.
func GenerateKey(typ string, rnd io.Reader) (private, public []byte, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var priv crypto.Signer
	switch typ {
	case KeyEd25519:
		_, k, err := ed25519.GenerateKey(rnd)
		if err != nil {
			return nil, nil, fmt.Errorf("generate key: %w", err)
		}
		priv = k
	case KeyECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
		if err != nil {
			return nil, nil, fmt.Errorf("generate key: %w", err)
		}
		priv = k
	default:
		return nil, nil, fmt.Errorf("generate key: unknown key type %q (want one of %s)", typ, strings.Join(KeyTypes(), ", "))
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// Signer signs DSSE envelopes with an Ed25519 or ECDSA P-256 private key.
// Its errors never contain key material.
type Signer struct {
	key crypto.Signer
	// KeyID is the SSH-style fingerprint of the public key, written as each
	// signature's keyid.
	KeyID string
}

// ParsePrivateKey reads a PKCS#8 "PRIVATE KEY" PEM holding an Ed25519 or
// ECDSA P-256 key. The error says what is wrong without quoting the input.
func ParsePrivateKey(pemBytes []byte) (*Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM-encoded key")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block is %q, want a PKCS#8 \"PRIVATE KEY\" (convert with openssl pkcs8 -topk8 -nocrypt)", block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a valid PKCS#8 private key")
	}
	var s crypto.Signer
	switch k := k.(type) {
	case ed25519.PrivateKey:
		s = k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA key on curve %s, want P-256", k.Curve.Params().Name)
		}
		s = k
	default:
		return nil, fmt.Errorf("%T keys are not supported (want Ed25519 or ECDSA P-256)", k)
	}
	id, err := KeyID(s.Public())
	if err != nil {
		return nil, err
	}
	return &Signer{key: s, KeyID: id}, nil
}

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign returns the signature of PAE(payloadType, payload): pure Ed25519 over
// the bytes, or ECDSA P-256 over their SHA-256 as ASN.1 DER.
func (s *Signer) Sign(payloadType string, payload []byte) ([]byte, error) {
	msg := PAE(payloadType, payload)
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	case *ecdsa.PrivateKey:
		sum := sha256.Sum256(msg)
		sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sig, nil
	}
	return nil, errors.New("sign: unsupported key")
}

// SignEnvelope wraps payload in a DSSE envelope of type PayloadType signed
// by s.
func (s *Signer) SignEnvelope(payload []byte) (*Envelope, error) {
	sig, err := s.Sign(PayloadType, payload)
	if err != nil {
		return nil, err
	}
	return &Envelope{Payload: payload, PayloadType: PayloadType, Signatures: []Signature{{KeyID: s.KeyID, Sig: sig}}}, nil
}

// Verifier checks DSSE signatures with an Ed25519 or ECDSA P-256 public key.
type Verifier struct {
	key crypto.PublicKey
	// KeyID is the SSH-style fingerprint of the key (see KeyID).
	KeyID string
	// Fingerprint is the hex SHA-256 of the key's PKIX DER encoding, the
	// form `openssl pkey -pubin -outform DER | sha256sum` prints.
	Fingerprint string
}

// ParsePublicKey reads a PKIX "PUBLIC KEY" PEM holding an Ed25519 or ECDSA
// P-256 key.
func ParsePublicKey(pemBytes []byte) (*Verifier, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM-encoded key")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block is %q, want a PKIX \"PUBLIC KEY\"", block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a valid PKIX public key: %w", err)
	}
	switch k := k.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA key on curve %s, want P-256", k.Curve.Params().Name)
		}
	default:
		return nil, fmt.Errorf("%T keys are not supported (want Ed25519 or ECDSA P-256)", k)
	}
	id, err := KeyID(k)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(block.Bytes)
	return &Verifier{key: k, KeyID: id, Fingerprint: hex.EncodeToString(sum[:])}, nil
}

// NewVerifier returns a verifier for the public half of s.
func NewVerifier(s *Signer) (*Verifier, error) {
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Verify checks that some signature of env verifies over PAE(type,
// payload) with v's key. The keyid is only used to say, on failure, that
// another key signed. Errors wrap ErrSignature.
func (v *Verifier) Verify(env *Envelope) error {
	msg := PAE(env.PayloadType, env.Payload)
	var others []string
	for _, s := range env.Signatures {
		ok := false
		switch k := v.key.(type) {
		case ed25519.PublicKey:
			ok = ed25519.Verify(k, msg, s.Sig)
		case *ecdsa.PublicKey:
			sum := sha256.Sum256(msg)
			ok = ecdsa.VerifyASN1(k, sum[:], s.Sig)
		}
		if ok {
			return nil
		}
		if s.KeyID != "" && s.KeyID != v.KeyID {
			others = append(others, s.KeyID)
		}
	}
	if len(others) == len(env.Signatures) {
		return fmt.Errorf("%w: the envelope names signing key %s, and the given key is %s", ErrSignature, strings.Join(others, ", "), v.KeyID)
	}
	return fmt.Errorf("%w with key %s: the payload or the signature was altered, or another key signed", ErrSignature, v.KeyID)
}

// KeyID returns the SSH-style fingerprint of an Ed25519 or ECDSA P-256
// public key: "SHA256:" and the unpadded base64 of the SHA-256 of the key's
// SSH wire encoding, as ssh-keygen -l prints it.
func KeyID(pub crypto.PublicKey) (string, error) {
	var wire []byte
	str := func(b []byte) {
		wire = binary.BigEndian.AppendUint32(wire, uint32(len(b)))
		wire = append(wire, b...)
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		str([]byte("ssh-ed25519"))
		str(k)
	case *ecdsa.PublicKey:
		pt, err := k.Bytes()
		if err != nil {
			return "", fmt.Errorf("encode public key: %w", err)
		}
		str([]byte("ecdsa-sha2-nistp256"))
		str([]byte("nistp256"))
		str(pt)
	default:
		return "", fmt.Errorf("%T keys are not supported", pub)
	}
	sum := sha256.Sum256(wire)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}
