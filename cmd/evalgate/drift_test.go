package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/signing"
	"github.com/parquet-go/parquet-go"
)

// driftLogRow has the columns of the shared production log that drift
// compares.
type driftLogRow struct {
	ID           string  `parquet:"id"`
	Input        string  `parquet:"input"`
	Output       string  `parquet:"output"`
	ModelVersion string  `parquet:"model_version"`
	Gender       string  `parquet:"gender"`
	Locale       string  `parquet:"locale"`
	LatencyMS    float64 `parquet:"latency_ms"`
}

// writeDriftLog writes n log rows in the shape of the shared production
// log (make-interop.sql), all from model version, with latency shifted by
// shift ms.
func writeDriftLog(t *testing.T, n int, version string, shift float64) string {
	t.Helper()
	rows := make([]driftLogRow, n)
	for i := range rows {
		out := "Open Settings, then Security, then Reset."
		if i%10 == 0 {
			out = "Call us at 555-0100 and we will reset it within 24 hours."
		}
		rows[i] = driftLogRow{
			ID: fmt.Sprint("req-", i), Input: fmt.Sprintf("How do I reset my password, case %d?", i), Output: out,
			ModelVersion: version, Gender: []string{"female", "male"}[i%2], Locale: []string{"en", "es", "de", "fr"}[i%4],
			LatencyMS: 120 + float64(i%50)*3 + shift,
		}
	}
	path := filepath.Join(t.TempDir(), "current.parquet")
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// driftProdLogs is the production log DuckDB wrote; the test skips
// without the shared data.
func driftProdLogs(t *testing.T) string {
	t.Helper()
	path := filepath.Join(interop, "prod-logs-duckdb.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared test data not found at %s (it sits beside the repository; see its README.md): %v", path, err)
	}
	return path
}

const driftConfigBody = `dataset: {path: set.parquet}
candidate: {provider: replay}
drift: {categorical: [gender, locale]}
gate:
  - {metric: accuracy, min: 0.5}
`

func TestDriftCommand(t *testing.T) {
	ref := driftProdLogs(t)
	// The production log mixes support-bot@2026-09-14 (60%) and
	// support-bot@2026-10-20; the current file has only the second, with
	// 40 ms more latency and the same user mix.
	cur := writeDriftLog(t, 20000, "support-bot@2026-10-20", 40)
	tests := []struct {
		name  string
		rules string
		code  int
		want  []string
	}{
		{"alert without rules exits 0", "", exitOK, []string{
			"model_version  categorical", "ALERT", "gender         categorical  0.0000", "drift: ALERT",
			"verdict: ALLOW: the config has no drift.* gate rules",
		}},
		{"a failing drift rule blocks", "  - {metric: drift.latency_ms.psi, max: 0.2}\n  - {metric: drift.gender.psi, max: 0.1}\n", exitBlock, []string{
			"rule drift.latency_ms.psi: FAIL", "rule drift.gender.psi: pass", "verdict: BLOCK: 1 of 2 drift gate rules did not pass",
		}},
		{"passing drift rules allow", "  - {metric: drift.gender.psi, max: 0.1}\n  - {metric: drift.locale.chi2_pvalue, min: 0.05}\n", exitOK, []string{
			"verdict: ALLOW: all 2 drift gate rules passed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			cfg := writeConfig(t, driftConfigBody+tt.rules)
			res := runCLI(t, context.Background(), nil, "drift", "--reference", ref, "--current", cur, "-c", cfg, "--out", out)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.stdout)
				}
			}
			for _, name := range []string{"drift.json", "drift.md", "drift.html"} {
				if _, err := os.Stat(filepath.Join(out, name)); err != nil {
					t.Errorf("%s not written: %v", name, err)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "drift.dsse.json")); err == nil {
				t.Error("drift.dsse.json written without a key")
			}
			f, err := os.Open(filepath.Join(out, "drift.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := drift.ReadJSON(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Reference.Rows != 100000 || r.Current.Rows != 20000 || r.Config == nil || r.OtherRules != 1 {
				t.Errorf("rows %d and %d, config %v, other rules %d", r.Reference.Rows, r.Current.Rows, r.Config, r.OtherRules)
			}
		})
	}
}

func TestDriftCommandSigns(t *testing.T) {
	ref := driftProdLogs(t)
	cur := writeDriftLog(t, 1000, "support-bot@2026-10-20", 0)
	for _, viaEnv := range []bool{false, true} {
		t.Run(fmt.Sprint("key from environment ", viaEnv), func(t *testing.T) {
			priv, pub := keygen(t, "ed25519")
			out := t.TempDir()
			args := []string{"drift", "--reference", ref, "--current", cur, "--out", out}
			var environ map[string]string
			if viaEnv {
				b, _ := os.ReadFile(priv)
				environ = map[string]string{signingKeyEnv: string(b)}
			} else {
				args = append(args, "--key", priv)
			}
			res := runCLI(t, context.Background(), environ, args...)
			if res.code != exitOK || !strings.Contains(res.stdout, "signed with key SHA256:") {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			env, err := os.ReadFile(filepath.Join(out, "drift.dsse.json"))
			if err != nil {
				t.Fatal(err)
			}
			pubPEM, _ := os.ReadFile(pub)
			v, err := signing.ParsePublicKey(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			st, err := drift.Verify(v, env)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{ref, cur} {
				data, _ := os.ReadFile(f)
				if _, err := st.MatchSubject(data); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}

func TestDriftCommandErrors(t *testing.T) {
	ref := driftProdLogs(t)
	dir := t.TempDir()
	notParquet := filepath.Join(dir, "notes.parquet")
	if err := os.WriteFile(notParquet, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	badRule := writeConfig(t, driftConfigBody+"  - {metric: drift.gender.psi_max, max: 0.1}\n")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no files", context.Background(), nil, []string{"drift"}, exitUsage, "--reference and --current are required"},
		{"no current", context.Background(), nil, []string{"drift", "--reference", ref}, exitUsage, "--reference and --current are required"},
		{"stray argument", context.Background(), nil, []string{"drift", "--reference", ref, "--current", ref, "extra"}, exitUsage, `unexpected argument "extra"`},
		{"unknown flag", context.Background(), nil, []string{"drift", "--bins", "5"}, exitUsage, "flag provided but not defined: -bins"},
		{"missing file", context.Background(), nil, []string{"drift", "--reference", ref, "--current", filepath.Join(dir, "absent.parquet"), "--out", dir}, exitUsage, "absent.parquet"},
		{"not parquet", context.Background(), nil, []string{"drift", "--reference", notParquet, "--current", ref, "--out", dir}, exitUsage, "notes.parquet: corrupt Parquet file"},
		{"unknown drift metric", context.Background(), nil, []string{"drift", "--reference", ref, "--current", ref, "-c", badRule, "--out", dir}, exitUsage, `unknown drift metric "drift.gender.psi_max"`},
		{"missing config", context.Background(), nil, []string{"drift", "--reference", ref, "--current", ref, "-c", filepath.Join(dir, "absent.yaml")}, exitUsage, "absent.yaml"},
		{"bad key in environment", context.Background(), map[string]string{signingKeyEnv: "not a key"}, []string{"drift", "--reference", ref, "--current", ref, "--out", dir}, exitUsage, "environment variable EVALGATE_SIGNING_KEY"},
		{"cancelled", cancelled, nil, []string{"drift", "--reference", ref, "--current", ref, "--out", dir}, exitRunFail, "stopped before the files were read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.ctx, tt.env, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q, want %q", res.code, tt.code, res.stderr, tt.want)
			}
		})
	}
}

// TestVerifyDrift checks verifyDrift, which evalgate verify calls for a
// drift.dsse.json, on a signed ALLOW and a signed BLOCK.
func TestVerifyDrift(t *testing.T) {
	ref := driftProdLogs(t)
	cur := writeDriftLog(t, 1000, "support-bot@2026-10-20", 0)
	priv, pub := keygen(t, "ecdsa-p256")
	pubPEM, _ := os.ReadFile(pub)
	v, err := signing.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(rules string) (string, []byte) {
		out := t.TempDir()
		cfg := writeConfig(t, driftConfigBody+rules)
		res := runCLI(t, context.Background(), nil, "drift", "--reference", ref, "--current", cur, "-c", cfg, "--out", out, "--key", priv)
		if res.code != exitOK && res.code != exitBlock {
			t.Fatalf("drift: exit %d: %s", res.code, res.stderr)
		}
		path := filepath.Join(out, "drift.dsse.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, raw
	}
	allowPath, allow := sign("")
	blockPath, block := sign("  - {metric: drift.alert_count, max: 0}\n")
	other := filepath.Join(t.TempDir(), "other.txt")
	if err := os.WriteFile(other, []byte("not compared"), 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(allow, []byte(`"sig": "`), []byte(`"sig": "AAAA`), 1)
	tests := []struct {
		name         string
		path         string
		raw          []byte
		files        []string
		requireAllow bool
		code         int
		want         string
	}{
		{"allow, both files", allowPath, allow, []string{ref, cur}, true, exitOK, "file " + cur + ": matches subject current.parquet"},
		{"block without --require-allow", blockPath, block, nil, false, exitOK, "verdict: BLOCK (0 of 1 drift gate rules passed)"},
		{"block with --require-allow", blockPath, block, nil, true, exitBlock, "the verdict is BLOCK"},
		{"a file that is not a subject", allowPath, allow, []string{other}, false, exitBlock, "is not a subject"},
		{"tampered signature", allowPath, tampered, nil, false, exitBlock, "verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
			code := report(&errb, verifyDrift(e, v, tt.path, tt.raw, tt.files, tt.requireAllow))
			if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\n%s%s", code, tt.code, tt.want, out.String(), errb.String())
			}
		})
	}
}

// TestVerifyRequireAllowIsForModelReports checks that --require-allow does
// not accept a drift report, however it ends: a drift ALLOW says nothing
// of a model promotion. --require-drift-allow is the drift report's flag.
func TestVerifyRequireAllowIsForModelReports(t *testing.T) {
	ref := driftProdLogs(t)
	cur := writeDriftLog(t, 1000, "support-bot@2026-10-20", 0)
	priv, pub := keygen(t, "ed25519")
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "drift", "--reference", ref, "--current", cur, "-c", writeConfig(t, driftConfigBody), "--out", out, "--key", priv)
	if res.code != exitOK {
		t.Fatalf("drift: exit %d: %s", res.code, res.stderr)
	}
	env := filepath.Join(out, "drift.dsse.json")
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", env, ref, cur); res.code != exitBlock || !strings.Contains(res.stderr, "is a drift report, and --require-allow asks for a model report") {
		t.Errorf("--require-allow on a drift ALLOW: exit %d, want 1\n%s", res.code, res.stderr)
	}
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-drift-allow", env, ref, cur); res.code != exitOK {
		t.Errorf("--require-drift-allow on a drift ALLOW: exit %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}
}
