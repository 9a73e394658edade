package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/signing"
)

// TestHistorySigned signs the history of twelve weekly reports, verifies
// it as a user would (evalgate verify, then openssl), and checks that a
// changed history.json, the wrong flags and a bad --sign-key fail.
func TestHistorySigned(t *testing.T) {
	dir, pub := historyFolder(t, 8)
	// The reports' own key (historyFolder's seed 1) may sign the history
	// too: the same CI key signs both.
	priv, _, err := signing.GenerateKey(signing.KeyEd25519, rand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	reportKey := filepath.Join(t.TempDir(), "priv.pem")
	if err := os.WriteFile(reportKey, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	ecPriv, ecPub := keygen(t, "ecdsa-p256")
	for _, k := range []struct{ name, typ, priv, pub string }{
		{"the reports' ed25519 key", "ed25519", reportKey, pub},
		{"another ecdsa-p256 key", "ecdsa-p256", ecPriv, ecPub},
	} {
		t.Run(k.name, func(t *testing.T) {
			out := t.TempDir()
			res := runCLI(t, context.Background(), nil, "history", dir, "--key", pub, "--out", out, "--sign-key", k.priv)
			env := filepath.Join(out, "history.dsse.json")
			if res.code != exitOK || !strings.Contains(res.stdout, env) {
				t.Fatalf("history --sign-key: exit %d, want 0 and %s written\nstdout:\n%s\nstderr:\n%s", res.code, env, res.stdout, res.stderr)
			}
			files := []string{filepath.Join(out, "history.json"), filepath.Join(out, "history.md"), filepath.Join(out, "history.html")}
			res = runCLI(t, context.Background(), nil, append([]string{"verify", "--key", k.pub, env}, files...)...)
			for _, want := range []string{"matches subject history.json, by name", "matches subject history.md, by name", "matches subject history.html, by name",
				"history: 12 signed reports", "source: 2026-01-05T06:30:00Z support-bot@v3 week-01/report.dsse.json, envelope sha256 ", "OK"} {
				if res.code != exitOK || !strings.Contains(res.stdout, want) {
					t.Fatalf("verify: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", res.code, want, res.stdout, res.stderr)
				}
			}
			opensslVerify(t, k.typ, env, k.pub)
			// A source report envelope is a subject: verify matches it.
			res = runCLI(t, context.Background(), nil, "verify", "--key", k.pub, env, filepath.Join(dir, "week-12", "report.dsse.json"))
			if res.code != exitOK || !strings.Contains(res.stdout, "matches subject week-12/report.dsse.json, by name and sha256") {
				t.Errorf("verify with a source report: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}

			raw, _ := os.ReadFile(files[0])
			changed := bytes.Replace(raw, []byte(`"model": "support-bot@v3"`), []byte(`"model": "support-bot@v2"`), 1)
			if bytes.Equal(changed, raw) {
				t.Fatal("the change to history.json changed nothing")
			}
			tampered := filepath.Join(t.TempDir(), "history.json")
			os.WriteFile(tampered, changed, 0o644)
			for _, tc := range []struct {
				name string
				args []string
				code int
				want string
			}{
				{"history.json changed after signing", []string{"--key", k.pub, env, tampered}, exitBlock, "digest mismatch"},
				{"another key", []string{"--key", ecPub, env, files[0]}, exitBlock, "verification failed"},
				{"--require-allow", []string{"--key", k.pub, "--require-allow", env, files[0]}, exitBlock, "a signed history, which has no verdict"},
				{"--expect-commit", []string{"--key", k.pub, "--expect-commit", "abcdef0", env, files[0]}, exitUsage, "not to a signed history"},
				{"no file", []string{"--key", k.pub, env}, exitUsage, "no FILE was given"},
			} {
				if k.pub == ecPub && tc.name == "another key" {
					tc.args[1] = pub
				}
				t.Run(tc.name, func(t *testing.T) {
					res := runCLI(t, context.Background(), nil, append([]string{"verify"}, tc.args...)...)
					if res.code != tc.code || !strings.Contains(res.stdout+res.stderr, tc.want) {
						t.Errorf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, tc.want, res.stdout, res.stderr)
					}
				})
			}
		})
	}

	// The signed history, written into the folder, is verified evidence of
	// the bundle; a copy edited after signing is listed as tampered.
	charts := filepath.Join(dir, "charts")
	if res := runCLI(t, context.Background(), nil, "history", dir, "--key", pub, "--out", charts, "--sign-key", reportKey); res.code != exitOK {
		t.Fatalf("history into the folder: exit %d\n%s", res.code, res.stderr)
	}
	signed := mustRead(t, filepath.Join(charts, "history.dsse.json"))
	var envelope map[string]any
	json.Unmarshal(signed, &envelope)
	payload, _ := base64.StdEncoding.DecodeString(envelope["payload"].(string))
	envelope["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"model":"support-bot@v3"`), []byte(`"model":"support-bot@v2"`), 1))
	edited, _ := json.Marshal(envelope)
	os.MkdirAll(filepath.Join(dir, "old-charts"), 0o755)
	os.WriteFile(filepath.Join(dir, "old-charts", "history.dsse.json"), edited, 0o644)
	bundlePriv, _ := keygen(t, signing.KeyEd25519)
	bundle := filepath.Join(t.TempDir(), "bundle.tar.gz")
	res := runCLI(t, context.Background(), nil, "evidence", "--since", "2026-01-05", "--until", "2026-03-30", "--key", pub, "--sign-key", bundlePriv, "--out", bundle, dir)
	if res.code != exitBlock { // the folder's tampered, unsigned and foreign reports fail
		t.Fatalf("evidence: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	files := archiveFiles(t, mustRead(t, bundle))
	if !bytes.Equal(files["documents/charts/history.dsse.json"], signed) {
		t.Error("the bundle holds no copy of the signed history")
	}
	var verification struct {
		Files []struct{ Path, Kind, Status, Reason string }
	}
	if err := json.Unmarshal(files["verification.json"], &verification); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range verification.Files {
		got[f.Path] = f.Kind + "/" + f.Status + "/" + f.Reason
	}
	if got["charts/history.dsse.json"] != "history/verified/" || got["old-charts/history.dsse.json"] != "history/failed/tampered" {
		t.Errorf("verification.json: charts %q, old-charts %q; want history/verified/ and history/failed/tampered", got["charts/history.dsse.json"], got["old-charts/history.dsse.json"])
	}

	// The environment's key never signs a history: only --sign-key does.
	ecPEM, _ := os.ReadFile(ecPriv)
	out := t.TempDir()
	res = runCLI(t, context.Background(), map[string]string{signingKeyEnv: string(ecPEM)}, "history", dir, "--key", pub, "--out", out)
	if _, err := os.Stat(filepath.Join(out, "history.dsse.json")); res.code != exitOK || !os.IsNotExist(err) {
		t.Errorf("with %s set and no --sign-key: exit %d, history.dsse.json %v; want 0 and none written", signingKeyEnv, res.code, err)
	}
	for _, tc := range []struct {
		name, key, want string
	}{
		{"missing key file", filepath.Join(out, "nope.pem"), "--sign-key"},
		{"a public key", pub, "--sign-key " + pub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, "history", dir, "--key", pub, "--out", t.TempDir(), "--sign-key", tc.key)
			if res.code != exitUsage || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, want %d and %q\nstderr:\n%s", res.code, exitUsage, tc.want, res.stderr)
			}
		})
	}
}
