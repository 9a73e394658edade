// Package testkeys makes Ed25519 signing keys for tests, so that the
// packages whose tests sign reports, histories, cards, approvals and
// review records make them one way. Production code does not import it.
package testkeys

import (
	"math/rand/v2"
	"testing"

	"github.com/evalgate/evalgate/signing"
)

// Seeded returns the Ed25519 key derived from seed (the same seed gives
// the same key in every run, so goldens that name a key id stay put): its
// signer, verifier, and private and public keys as PEM.
func Seeded(t testing.TB, seed byte) (*signing.Signer, *signing.Verifier, []byte, []byte) {
	t.Helper()
	priv, pub, err := signing.GenerateKey(signing.KeyEd25519, rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, priv, pub
}

// Pair is Seeded's signer and verifier.
func Pair(t testing.TB, seed byte) (*signing.Signer, *signing.Verifier) {
	t.Helper()
	s, v, _, _ := Seeded(t, seed)
	return s, v
}
