package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
)

var quickstart = filepath.Join("..", "..", "configs", "quickstart.yaml")

func keygen(t *testing.T, typ string) (priv, pub string) {
	t.Helper()
	dir := t.TempDir()
	res := runCLI(t, context.Background(), nil, "keygen", "--out", dir, "--type", typ)
	if res.code != exitOK {
		t.Fatalf("keygen: exit %d: %s", res.code, res.stderr)
	}
	return filepath.Join(dir, privateKeyFile), filepath.Join(dir, publicKeyFile)
}

func TestKeygen(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa-p256"} {
		t.Run(typ, func(t *testing.T) {
			priv, pub := keygen(t, typ)
			for _, f := range []struct {
				path, block string
				mode        os.FileMode
			}{{priv, "PRIVATE KEY", 0o600}, {pub, "PUBLIC KEY", 0o644}} {
				st, err := os.Stat(f.path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != f.mode {
					t.Errorf("%s: mode %v, want %v", f.path, st.Mode().Perm(), f.mode)
				}
				b, _ := os.ReadFile(f.path)
				if !strings.HasPrefix(string(b), "-----BEGIN "+f.block+"-----") {
					t.Errorf("%s is not a %s PEM", f.path, f.block)
				}
			}
			res := runCLI(t, context.Background(), nil, "keygen", "--out", filepath.Dir(priv))
			if res.code != exitUsage || !strings.Contains(res.stderr, "never overwrites") {
				t.Errorf("second keygen into the same dir: exit %d, %s", res.code, res.stderr)
			}
		})
	}
	res := runCLI(t, context.Background(), nil, "keygen", "--out", t.TempDir(), "--type", "rsa")
	if res.code != exitUsage || !strings.Contains(res.stderr, `--type "rsa"`) {
		t.Errorf("keygen --type rsa: exit %d, %s", res.code, res.stderr)
	}
}

// signedQuickstart runs the quickstart signed with a fresh key and returns
// the output directory and the public key.
func signedQuickstart(t *testing.T, typ string, environ map[string]string, args ...string) (dir, pub string) {
	t.Helper()
	priv, pub := keygen(t, typ)
	dir = t.TempDir()
	args = append([]string{"run", "-c", quickstart, "--out", dir, "--quiet"}, args...)
	if environ == nil {
		args = append(args, "--key", priv)
	} else {
		b, _ := os.ReadFile(priv)
		environ[signingKeyEnv] = string(b)
	}
	res := runCLI(t, context.Background(), environ, args...)
	if res.code != exitOK {
		t.Fatalf("signed run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "report.dsse.json") {
		t.Errorf("run does not say it wrote report.dsse.json:\n%s", res.stdout)
	}
	return dir, pub
}

func TestSignedRunVerifies(t *testing.T) {
	dataset := filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet")
	for _, tt := range []struct {
		name    string
		typ     string
		environ map[string]string
	}{
		{"ed25519 from --key", "ed25519", nil},
		{"ecdsa-p256 from " + signingKeyEnv, "ecdsa-p256", map[string]string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, pub := signedQuickstart(t, tt.typ, tt.environ)
			env := filepath.Join(dir, "report.dsse.json")
			res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", "--expect-model", "extractive-v2@extractive-v2",
				env, filepath.Join(dir, "results.parquet"), filepath.Join(dir, "production-results.parquet"), dataset, quickstart)
			if res.code != exitOK {
				t.Fatalf("verify: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			opensslVerify(t, tt.typ, env, pub)
			for _, want := range []string{"signature: good", "matches subject results.parquet", "matches subject support-qa.parquet", "matches subject quickstart.yaml",
				"verdict: ALLOW", "candidate: extractive-v2@extractive-v2", "dataset: support-qa 1.1.0, 400 rows", "OK"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("verify output lacks %q:\n%s", want, res.stdout)
				}
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	dir, pub := signedQuickstart(t, "ed25519", nil)
	_, otherPub := keygen(t, "ed25519")
	envPath := filepath.Join(dir, "report.dsse.json")
	raw, _ := os.ReadFile(envPath)
	var wire map[string]any
	json.Unmarshal(raw, &wire)
	rewrite := func(field func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal(raw, &m)
		field(m)
		b, _ := json.Marshal(m)
		p := filepath.Join(t.TempDir(), "report.dsse.json")
		os.WriteFile(p, b, 0o644)
		return p
	}
	flipB64 := func(s string, i int) string {
		b, _ := base64.StdEncoding.DecodeString(s)
		b[i%len(b)] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	flippedPayload := rewrite(func(m map[string]any) { m["payload"] = flipB64(m["payload"].(string), 200) })
	flippedSig := rewrite(func(m map[string]any) {
		s := m["signatures"].([]any)[0].(map[string]any)
		s["sig"] = flipB64(s["sig"].(string), 10)
	})
	results, _ := os.ReadFile(filepath.Join(dir, "results.parquet"))
	results[len(results)/2] ^= 1
	tamperedResults := filepath.Join(t.TempDir(), "results.parquet")
	os.WriteFile(tamperedResults, results, 0o644)
	production, _ := os.ReadFile(filepath.Join(dir, "production-results.parquet"))
	productionAsResults := filepath.Join(t.TempDir(), "results.parquet")
	os.WriteFile(productionAsResults, production, 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"payload byte flipped", []string{"--key", pub, flippedPayload}, exitBlock, "signature does not verify"},
		{"signature byte flipped", []string{"--key", pub, flippedSig}, exitBlock, "signature does not verify"},
		{"another key", []string{"--key", otherPub, envPath}, exitBlock, "the envelope names signing key"},
		{"subject file changed", []string{"--key", pub, envPath, tamperedResults}, exitBlock, tamperedResults + ": file is not a subject of the signed document: digest mismatch"},
		{"another subject's bytes under the results' name", []string{"--key", pub, envPath, productionAsResults}, exitBlock, "digest mismatch: its sha256 is"},
		{"no FILE", []string{"--key", pub, envPath}, exitUsage, "no FILE was given, so the files the report vouches for were not checked"},
		{"--signature-only with a FILE", []string{"--key", pub, "--signature-only", envPath, tamperedResults}, exitUsage, "--signature-only checks no FILE"},
		{"--require-drift-allow on a model report", []string{"--key", pub, "--require-drift-allow", envPath, filepath.Join(dir, "results.parquet")}, exitBlock, "is a model report, and --require-drift-allow asks for a drift report"},
		{"other model expected", []string{"--key", pub, "--expect-model", "extractive-v3@extractive-v3", "--signature-only", envPath}, exitBlock, "the report is for model extractive-v2@extractive-v2, not extractive-v3@extractive-v3"},
		{"bad --expect-model", []string{"--key", pub, "--expect-model", "extractive-v3", envPath}, exitUsage, "want NAME@VERSION"},
		{"no key", []string{envPath}, exitUsage, "--key PUB.pem is required"},
		{"no envelope", []string{"--key", pub}, exitUsage, "missing report.dsse.json"},
		{"private key given", []string{"--key", strings.Replace(pub, publicKeyFile, privateKeyFile, 1), envPath}, exitUsage, `want a PKIX "PUBLIC KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, append([]string{"verify"}, tt.args...)...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", res.code, tt.code, res.stderr, tt.want)
			}
		})
	}
}

func TestVerifyRequireAllowOnBlock(t *testing.T) {
	priv, pub := keygen(t, "ed25519")
	dir := t.TempDir()
	cfg := filepath.Join("..", "..", "configs", "regression-demo.yaml")
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", dir, "--quiet", "--key", priv)
	if res.code != exitBlock {
		t.Fatalf("regression demo: exit %d, want 1\n%s", res.code, res.stderr)
	}
	env := filepath.Join(dir, "report.dsse.json")
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--signature-only", env); res.code != exitOK || !strings.Contains(res.stdout, "verdict: BLOCK") {
		t.Errorf("verify without --require-allow: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", env); res.code != exitBlock || !strings.Contains(res.stderr, "the verdict is BLOCK") {
		t.Errorf("verify --require-allow: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestSigningKeyErrors(t *testing.T) {
	priv, _ := keygen(t, "ed25519")
	secret, _ := os.ReadFile(priv)
	body := strings.Split(string(secret), "\n")[1]
	broken := strings.Replace(string(secret), body[:10], "AAAAAAAAAA", 1)
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		want    string
	}{
		{"require signing without key", nil, []string{"--require-signing"}, "--require-signing: no signing key"},
		{"missing key file", nil, []string{"--key", "/nonexistent/key.pem"}, "--key /nonexistent/key.pem: no such file"},
		{"broken key in env", map[string]string{signingKeyEnv: broken}, nil, "signing key from environment variable EVALGATE_SIGNING_KEY: not a valid PKCS#8 private key"},
		{"public key in env", map[string]string{signingKeyEnv: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, []string{"--require-signing"}, `want a PKCS#8 "PRIVATE KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			res := runCLI(t, context.Background(), tt.environ, append([]string{"run", "-c", quickstart, "--out", out, "--quiet"}, tt.args...)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want 2; stderr %q lacks %q", res.code, res.stderr, tt.want)
			}
			if strings.Contains(res.stdout+res.stderr, body[10:40]) {
				t.Error("the key's contents appear in the output")
			}
			if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
				t.Error("the run went ahead")
			}
		})
	}
}

func TestReportRender(t *testing.T) {
	dir := t.TempDir()
	if res := runCLI(t, context.Background(), nil, "run", "-c", quickstart, "--out", dir, "--quiet"); res.code != exitOK {
		t.Fatalf("run: exit %d: %s", res.code, res.stderr)
	}
	report := filepath.Join(dir, "report.json")
	for _, tt := range []struct{ format, file string }{{"md", "report.md"}, {"html", "report.html"}, {"junit", "report.junit.xml"}} {
		t.Run(tt.format, func(t *testing.T) {
			written, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatalf("run did not write %s: %v", tt.file, err)
			}
			res := runCLI(t, context.Background(), nil, "report", "render", report, "--format", tt.format)
			if res.code != exitOK || res.stdout != string(written) {
				t.Errorf("report render --format %s: exit %d, output differs from the run's %s (%s)", tt.format, res.code, tt.file, res.stderr)
			}
			out := filepath.Join(t.TempDir(), tt.file)
			if res := runCLI(t, context.Background(), nil, "report", "render", report, "--format", tt.format, "--out", out); res.code != exitOK {
				t.Errorf("--out: exit %d: %s", res.code, res.stderr)
			}
			if b, _ := os.ReadFile(out); !bytes.Equal(b, written) {
				t.Errorf("--out wrote other bytes than the run's %s", tt.file)
			}
		})
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"render", report, "--format", "pdf"}, `--format "pdf" is not one of md, html, junit`},
		{"no format", []string{"render", report}, "--format is required"},
		{"no subcommand", nil, "missing subcommand"},
		{"missing file", []string{"render", "/nonexistent.json", "--format", "md"}, "/nonexistent.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, append([]string{"report"}, tt.args...)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want 2; stderr %q lacks %q", res.code, res.stderr, tt.want)
			}
		})
	}
}

// timingFields are the report.json fields that may differ between two
// runs of the same inputs: wall-clock times, call latencies, and the
// digests of the results files, which record each call's latency.
var timingFields = regexp.MustCompile(`(?s)"(started_at|finished_at|seconds|results_sha256)": [^,\n]+|"latency_ms": \{[^}]*\}`)

// TestQuickstartReproducible runs the quickstart twice, uncached, and
// checks that the two report.json files are byte-identical apart from the
// timing fields, and that they match report.schema.json.
func TestQuickstartReproducible(t *testing.T) {
	var reps [2][]byte
	var results [2][]records.Result
	for i := range reps {
		dir := t.TempDir()
		res := runCLI(t, context.Background(), nil, "run", "-c", quickstart, "--out", dir, "--quiet", "--no-cache")
		if res.code != exitOK {
			t.Fatalf("run %d: exit %d: %s", i+1, res.code, res.stderr)
		}
		reps[i], _ = os.ReadFile(filepath.Join(dir, "report.json"))
		var err error
		if results[i], _, err = datasets.ReadResults(filepath.Join(dir, "results.parquet")); err != nil {
			t.Fatal(err)
		}
		for j := range results[i] {
			results[i][j].LatencyMS = 0
		}
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Error("the two runs' results differ beyond latency")
	}
	a, b := timingFields.ReplaceAll(reps[0], []byte("TIMING")), timingFields.ReplaceAll(reps[1], []byte("TIMING"))
	if !bytes.Equal(a, b) {
		t.Errorf("two runs differ beyond the timing fields:\n%s\n----\n%s", a, b)
	}
	if bytes.Equal(reps[0], reps[1]) {
		t.Log("the two runs are byte-identical, timings included")
	}

	raw, err := os.ReadFile(filepath.Join("..", "..", "reports", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.AddResource("report.schema.json", doc)
	schema, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(reps[0]))
	if err := schema.Validate(inst); err != nil {
		t.Errorf("the quickstart's report.json does not match report.schema.json: %v", err)
	}
}

// opensslVerify checks the envelope with openssl over the DSSE
// pre-authentication encoding, as README.md tells users to.
func opensslVerify(t *testing.T, typ, envPath, pub string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl is not installed; skipping the openssl check")
		return
	}
	raw, _ := os.ReadFile(envPath)
	var w struct {
		Payload, PayloadType string
		Signatures           []struct{ Sig string }
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	body, _ := base64.StdEncoding.DecodeString(w.Payload)
	sig, _ := base64.StdEncoding.DecodeString(w.Signatures[0].Sig)
	dir := t.TempDir()
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(w.PayloadType), w.PayloadType, len(body), body)
	os.WriteFile(filepath.Join(dir, "pae.bin"), []byte(pae), 0o600)
	os.WriteFile(filepath.Join(dir, "sig.bin"), sig, 0o600)
	args := []string{"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", "pae.bin", "-sigfile", "sig.bin"}
	if typ == "ecdsa-p256" {
		args = []string{"dgst", "-sha256", "-verify", pub, "-signature", "sig.bin", "pae.bin"}
	}
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Verified") {
		t.Errorf("openssl does not verify the run's envelope: %v\n%s", err, out)
	}
}

// TestCIExample checks that the shipped GitHub Actions workflow parses and
// does what the README says, through the action it uses: signs, comments,
// summarises, uploads and gates.
func TestCIExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "github", "model-pr.yml"))
	if err != nil {
		t.Fatal(err)
	}
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]any `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("model-pr.yml: %v", err)
	}
	if wf.On["pull_request"] == nil || wf.Jobs["evaluate"] == nil {
		t.Errorf("model-pr.yml has no pull_request trigger or evaluate job")
	}
	for _, want := range []string{"uses: evalgate/evalgate@", "EVALGATE_SIGNING_KEY", "pull-requests: write", "report.junit.xml", "exit 1"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("model-pr.yml lacks %q", want)
		}
	}
	for _, want := range []string{"--require-signing", "EVALGATE_SIGNING_KEY", "--policy", "github.base_ref", "GITHUB_STEP_SUMMARY", "report.md", "actions/upload-artifact", "report.*", "exit 1"} {
		if !strings.Contains(string(action), want) {
			t.Errorf("action.yml lacks %q", want)
		}
	}
}
