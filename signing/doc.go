// Package signing signs and verifies evalgate's documents: DSSE v1
// envelopes (PAE, Envelope, DecodeEnvelope) around in-toto Statement v1
// payloads (SignStatement, VerifyStatement), with Ed25519 or ECDSA P-256
// keys in PKCS#8 and PKIX PEM (GenerateKey, ParsePrivateKey,
// ParsePublicKey, KeyID). The standard library does the cryptography.
//
// It knows no document: the report package (reports.SignReport) and the
// drift package (drift.Sign) choose their predicate types and subjects and
// sign through SignStatement, so that a report, a drift report and any
// later document are signed the same way and verify with the same keys.
package signing
