package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/signing"
)

// signingKeyEnv names the environment variable that may hold the signing
// key's PEM, for CI secrets.
const signingKeyEnv = "EVALGATE_SIGNING_KEY"

// Key file names keygen writes.
const (
	privateKeyFile = "evalgate-key.pem"
	publicKeyFile  = "evalgate-pub.pem"
)

const keygenUsage = "keygen --out DIR [--type ed25519|ecdsa-p256]"

// cmdKeygen writes a new signing key pair: DIR/evalgate-key.pem (PKCS#8 PEM,
// mode 0600) and DIR/evalgate-pub.pem (PKIX PEM). It never overwrites a key.
func cmdKeygen(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "keygen", keygenUsage)
	out := fs.String("out", "", "write the key pair into `dir` (required)")
	typ := fs.String("type", signing.KeyEd25519, "key `type`: "+strings.Join(signing.KeyTypes(), " or ")+" (ecdsa-p256 is what cloud KMS services offer)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErr("keygen: unexpected argument %q (usage: evalgate %s)", pos[0], keygenUsage)
	case *out == "":
		return usageErr("keygen: --out DIR is required (usage: evalgate %s)", keygenUsage)
	case !slices.Contains(signing.KeyTypes(), *typ):
		return usageErr("keygen: --type %q is not one of %s", *typ, strings.Join(signing.KeyTypes(), ", "))
	}
	priv, pub, err := signing.GenerateKey(*typ, nil)
	if err != nil {
		return runErr(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return inputErr(fmt.Errorf("keygen: %w", err))
	}
	privPath, pubPath := filepath.Join(*out, privateKeyFile), filepath.Join(*out, publicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return inputErr(fmt.Errorf("keygen: %s exists; evalgate never overwrites a key (remove it, or choose another --out)", p))
		}
	}
	if err := atomicfile.WriteNew(privPath, priv, 0o600); err != nil {
		return inputErr(fmt.Errorf("keygen: %w", err))
	}
	if err := atomicfile.WriteNew(pubPath, pub, 0o644); err != nil {
		return inputErr(fmt.Errorf("keygen: %w", err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (private, mode 0600: keep it secret, e.g. as the CI secret %s)\n", privPath, signingKeyEnv)
	fmt.Fprintf(e.stdout, "wrote %s (public: give it to whoever verifies reports)\n", pubPath)
	fmt.Fprintf(e.stdout, "%s key %s, sha256 of the PKIX public key %s\n", *typ, v.KeyID, v.Fingerprint)
	return nil
}

// loadSigner returns the signing key named by --key, or else held by
// EVALGATE_SIGNING_KEY; nil when neither is set. Errors name the source,
// never the key's contents.
func loadSigner(e *env, path string) (*signing.Signer, error) {
	var pemBytes []byte
	source := path
	switch {
	case path != "":
		b, err := inputfile.Read(path, "key", inputfile.MaxKey)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, usageErr("--key %s: %v", path, err)
		}
		pemBytes = b
	case e.getenv(signingKeyEnv) != "":
		pemBytes, source = []byte(e.getenv(signingKeyEnv)), "environment variable "+signingKeyEnv
	default:
		return nil, nil
	}
	s, err := signing.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, usageErr("signing key from %s: %v", source, err)
	}
	return s, nil
}
