package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/internal/testkeys"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/evidence"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// evidenceFolder writes an audit folder for the thirteen ISO weeks from
// Monday 2026-09-07 (2026-W37) to 2026-12-07: a signed weekly report in
// every week but the sixth (2026-W42), each with its plain report.json and
// a results file beside it, the ninth week's report (2026-W45) tampered
// after signing but that week's drift run signed and intact, an unsigned
// re-run, a report signed by another key, a copy of a signed report, an
// envelope of a predicate evalgate does not know, a signed report from
// the week before the period, and approvals: an approve (W37) and a
// reject (W38) by the given approver, one by an approver whose key is not
// given (W39), one signed with the report's own key (W40), and one of the
// W45 report before it was tampered with. Every report passes its one gate
// rule (ALLOW). It returns the folder, the report key's and the approver's
// public key files, and the paths of the reports that must be indexed.
func evidenceFolder(t *testing.T) (dir, pub, approverPub string, indexed []string) {
	t.Helper()
	key := func(seed byte) (*signing.Signer, []byte) {
		s, _, _, pub := testkeys.Seeded(t, seed)
		return s, pub
	}
	signer, pubPEM := key(7)
	other, _ := key(8)
	approver, approverPEM := key(9)
	stranger, _ := key(10)
	dir = t.TempDir()
	pub = filepath.Join(t.TempDir(), "report-pub.pem")
	approverPub = filepath.Join(t.TempDir(), "approver-pub.pem")
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(approverPub, approverPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	reportKey, err := signing.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	approve := func(s *signing.Signer, env []byte, decision string) []byte {
		t.Helper()
		rec, err := approvals.NewRecord(env, reportKey)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := time.Parse(time.RFC3339, rec.Report.Evaluated)
		rec.Decision, rec.Approver, rec.Reference, rec.Time = decision, "Ada Lovelace <ada@example.com>", "CHG-42", ev.Add(26*time.Hour)
		if s == signer { // what evalgate approve refuses: the report's key approving
			v, _ := signing.NewVerifier(s)
			rec.ApproverKeyID, rec.ApproverFingerprint = v.KeyID, v.Fingerprint
			subjects := []signing.Subject{{Name: approvals.SubjectEnvelope, Digest: map[string]string{"sha256": rec.Report.EnvelopeSHA256}},
				{Name: approvals.SubjectReportJSON, Digest: map[string]string{"sha256": rec.Report.JSONSHA256}}}
			b, err := signing.SignStatement(s, subjects, approvals.PredicateType, rec)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		b, err := approvals.Sign(s, *rec)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(rel string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := time.Date(2026, 9, 7, 6, 30, 0, 0, time.UTC)
	report := func(w int) *reports.Report {
		r := weeklyReport(w, "support-bot@v3", 360+w, 400, 2, 0.03)
		floor := 0.8
		reports.ApplyGate(r, []configs.Rule{{Metric: "accuracy", Min: &floor}})
		r.Timing.FinishedAt = first.AddDate(0, 0, 7*w)
		r.Timing.StartedAt = r.Timing.FinishedAt.Add(-10 * time.Minute)
		r.Dataset.Version = fmt.Sprintf("2026-w%02d", 37+w)
		return r
	}
	sign := func(s *signing.Signer, r *reports.Report) []byte {
		env, err := reports.SignReport(s, r, "")
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	plain := func(r *reports.Report) []byte {
		var b bytes.Buffer
		if err := reports.WriteJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for w := range 13 {
		if w == 5 {
			continue // 2026-W42: no run
		}
		d := fmt.Sprintf("2026-W%02d/run", 37+w)
		r := report(w)
		env := sign(signer, r)
		switch w {
		case 0:
			write("approvals/w37-approve.dsse.json", approve(approver, env, approvals.Approve))
		case 1:
			write("approvals/w38-reject.dsse.json", approve(approver, env, approvals.Reject))
		case 2:
			write("approvals/w39-stranger.dsse.json", approve(stranger, env, approvals.Approve))
		case 3:
			write("approvals/w40-self.dsse.json", approve(signer, env, approvals.Approve))
		case 8:
			write("approvals/w45-before-tampering.dsse.json", approve(approver, env, approvals.Approve))
		}
		if w == 8 {
			var m map[string]any
			if err := json.Unmarshal(env, &m); err != nil {
				t.Fatal(err)
			}
			payload, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
			edited := bytes.ReplaceAll(payload, []byte(`"version":"v3"`), []byte(`"version":"v9"`))
			if bytes.Equal(edited, payload) {
				t.Fatal("the tampering changed nothing")
			}
			m["payload"] = base64.StdEncoding.EncodeToString(edited)
			env, _ = json.MarshalIndent(m, "", "  ")
		} else {
			indexed = append(indexed, d+"/report.dsse.json")
		}
		write(d+"/report.dsse.json", env)
		write(d+"/report.json", plain(r))
		write(d+"/results.parquet", []byte(fmt.Sprintf("PAR1 week %d", w)))
	}
	dr := &drift.Report{SchemaVersion: drift.SchemaVersion, Status: "ok", Verdict: reports.Allow, Harness: reports.Harness{Name: "evalgate", Version: reports.Version},
		Reference: drift.File{Path: "w37.parquet", SHA256: strings.Repeat("1", 64)}, Current: drift.File{Path: "w45.parquet", SHA256: strings.Repeat("2", 64)},
		Timing: reports.Timing{StartedAt: first.AddDate(0, 0, 7*8), FinishedAt: first.AddDate(0, 0, 7*8).Add(time.Minute), Seconds: 60}}
	denv, err := drift.Sign(signer, dr)
	if err != nil {
		t.Fatal(err)
	}
	write("2026-W45/drift/drift.dsse.json", denv)
	write("2026-W40/rerun/report.json", plain(report(3)))       // unsigned
	write("elsewhere/report.dsse.json", sign(other, report(4))) // another key
	copyEnv, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(indexed[0])))
	write("copies/week37.dsse.json", copyEnv) // a duplicate
	unknown, err := signing.SignStatement(signer, nil, "https://example.com/other/v1", map[string]string{"x": "y"})
	if err != nil {
		t.Fatal(err)
	}
	write("misc/other.dsse.json", unknown)
	write("2026-W36/run/report.dsse.json", sign(signer, report(-1))) // before the period
	write("notes.txt", []byte("weekly runs, see runbook\n"))
	return dir, pub, approverPub, indexed
}

func TestEvidenceBundle(t *testing.T) {
	dir, pub, approverPub, indexed := evidenceFolder(t)
	bundlePriv, bundlePub := keygen(t, signing.KeyEd25519)
	out := filepath.Join(t.TempDir(), "audit", "bundle.tar.gz")
	res := runCLI(t, context.Background(), nil, "evidence", "--since", "2026-09-07", "--until", "2026-12-07", "--key", pub,
		"--approver-key", approverPub, "--sign-key", bundlePriv, "--out", out, dir)
	if res.code != exitBlock {
		t.Fatalf("exit %d, want 1 (bundle written with failures and a gap)\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if !strings.Contains(res.stdout, hex.EncodeToString(sum[:])) {
		t.Errorf("stdout does not give the archive's sha256 %x:\n%s", sum, res.stdout)
	}
	pubPEM, err := os.ReadFile(bundlePub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	m, files, err := evidence.VerifyArchive(bytes.NewReader(raw), v)
	if err != nil {
		t.Fatalf("the bundle does not verify: %v", err)
	}
	if len(m.Files) != len(files)-1 {
		t.Errorf("manifest lists %d files, the archive holds %d besides it", len(m.Files), len(files)-1)
	}
	for _, f := range m.Files {
		s := sha256.Sum256(files[f.Name])
		if hex.EncodeToString(s[:]) != f.SHA256 {
			t.Errorf("%s: archive digest %x, manifest %s", f.Name, s, f.SHA256)
		}
	}
	// openssl verifies the manifest as README.md tells auditors to.
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(manifest, files[evidence.ManifestJSON], 0o644); err != nil {
		t.Fatal(err)
	}
	opensslVerify(t, signing.KeyEd25519, manifest, bundlePub)
	// The manifest verifies only with the bundle key.
	rv, _ := signing.ParsePublicKey(mustRead(t, pub))
	if _, _, err := evidence.VerifyArchive(bytes.NewReader(raw), rv); !errors.Is(err, signing.ErrSignature) {
		t.Errorf("verify with the report key: %v, want a signature error", err)
	}

	// The population index: every verified report of the period, once.
	var index struct{ Decisions []evidence.Decision }
	if err := json.Unmarshal(files[evidence.IndexJSON], &index); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range index.Decisions {
		got = append(got, d.File)
		orig := mustRead(t, filepath.Join(dir, filepath.FromSlash(d.File)))
		s := sha256.Sum256(orig)
		if d.EnvelopeSHA256 != hex.EncodeToString(s[:]) || !bytes.Equal(files["documents/"+d.File], orig) {
			t.Errorf("%s: indexed digest %s, file %x; or its copy differs", d.File, d.EnvelopeSHA256, s)
		}
		if d.Verdict != reports.Allow || d.Model != "support-bot@v3" || d.SignerKeyID != rv.KeyID || d.DatasetSHA256 == "" {
			t.Errorf("%s: row %+v", d.File, d)
		}
	}
	approvedBy := map[string]string{}
	for _, d := range index.Decisions {
		for _, a := range d.Approvals {
			approvedBy[d.File] += a.Decision + " by " + a.Approver + " in " + a.File + ";"
		}
	}
	if want := map[string]string{
		"2026-W37/run/report.dsse.json": "approve by Ada Lovelace <ada@example.com> in approvals/w37-approve.dsse.json;",
		"2026-W38/run/report.dsse.json": "reject by Ada Lovelace <ada@example.com> in approvals/w38-reject.dsse.json;",
	}; !maps.Equal(approvedBy, want) {
		t.Errorf("approvals in the index:\n%v\nwant\n%v", approvedBy, want)
	}
	if !slices.Equal(got, indexed) {
		t.Errorf("index holds\n%v\nwant\n%v", got, indexed)
	}
	rows, err := csv.NewReader(bytes.NewReader(files[evidence.IndexCSV])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(indexed)+1 || rows[1][0] != "2026-09-07T06:30:00Z" || rows[1][16] != indexed[0] {
		t.Errorf("index.csv has %d rows, first %v; want a header and %d decisions", len(rows), rows[min(1, len(rows)-1)], len(indexed))
	}

	// Every failure is listed with its reason.
	var ver struct{ Files []evidence.File }
	if err := json.Unmarshal(files[evidence.VerificationJSON], &ver); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range ver.Files {
		status[f.Path] = f.Status + "/" + f.Reason
	}
	for p, want := range map[string]string{
		"2026-W45/run/report.dsse.json":            "failed/" + history.ExcludedTampered,
		"2026-W40/rerun/report.json":               "failed/" + history.ExcludedUnsigned,
		"elsewhere/report.dsse.json":               "failed/" + history.ExcludedBadSignature,
		"copies/week37.dsse.json":                  "failed/" + history.ExcludedDuplicate,
		"misc/other.dsse.json":                     "failed/" + evidence.ReasonUnknownPredicate,
		"2026-W45/run/report.json":                 "failed/" + history.ExcludedUnsigned, // its envelope is tampered
		"2026-W37/run/report.json":                 "not_evidence/",
		"2026-W37/run/results.parquet":             "not_evidence/",
		"2026-W36/run/report.dsse.json":            "verified/",
		"2026-W45/drift/drift.dsse.json":           "verified/",
		"notes.txt":                                "not_evidence/",
		"approvals/w37-approve.dsse.json":          "verified/",
		"approvals/w38-reject.dsse.json":           "verified/",
		"approvals/w39-stranger.dsse.json":         "failed/" + history.ExcludedBadSignature,
		"approvals/w40-self.dsse.json":             "failed/" + evidence.ReasonSameKey,
		"approvals/w45-before-tampering.dsse.json": "failed/" + evidence.ReasonNoReport,
	} {
		if status[p] != want {
			t.Errorf("%s: %q, want %q", p, status[p], want)
		}
	}
	md := string(files[evidence.VerificationMD])
	for _, p := range []string{"2026-W45/run/report.dsse.json", "2026-W40/rerun/report.json", "2026-W42"} {
		if !strings.Contains(md, p) {
			t.Errorf("verification.md does not name %s:\n%s", p, md)
		}
	}
	if _, ok := files["documents/2026-W36/run/report.dsse.json"]; ok {
		t.Error("the report from before the period is in the bundle")
	}
	if _, ok := files["documents/2026-W45/run/report.dsse.json"]; ok {
		t.Error("the tampered report is in the bundle")
	}

	// The gap: 2026-W42 only; the tampered week is covered by its drift run.
	var mon struct{ Gaps []evidence.Week }
	if err := json.Unmarshal(files[evidence.MonitoringJSON], &mon); err != nil {
		t.Fatal(err)
	}
	if len(mon.Gaps) != 1 || mon.Gaps[0] != (evidence.Week{Week: "2026-W42", Start: "2026-10-12", End: "2026-10-19"}) {
		t.Errorf("gaps %+v, want 2026-W42 alone", mon.Gaps)
	}
	if !strings.Contains(res.stdout, "no monitoring run in 2026-W42\n") {
		t.Errorf("stdout does not name the gap:\n%s", res.stdout)
	}

	// Controls: every framework, and the files that evidence each control.
	var ctl struct{ Controls []evidence.ControlEvidence }
	if err := json.Unmarshal(files[evidence.ControlsJSON], &ctl); err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	frameworks := map[string]bool{}
	for _, c := range ctl.Controls {
		byID[c.Framework+" "+c.ID] = c.Files
		frameworks[c.Framework] = true
	}
	if len(frameworks) != 4 {
		t.Errorf("controls of %d frameworks, want 4: %v", len(frameworks), frameworks)
	}
	for id, want := range map[string][]string{
		"SOC 2 CC7.2":       {"documents/2026-W45/drift/drift.dsse.json", evidence.MonitoringJSON},
		"SOC 2 PI1.3":       {"documents/" + indexed[0], "documents/" + indexed[len(indexed)-1]},
		"EU AI Act Art. 10": {"documents/" + indexed[0]}, // fairness
		"EU AI Act Art. 72": {"documents/2026-W45/drift/drift.dsse.json"},
		"EU AI Act Art. 14": {"documents/approvals/w37-approve.dsse.json", "documents/approvals/w38-reject.dsse.json"},
	} {
		for _, f := range want {
			if !slices.Contains(byID[id], f) {
				t.Errorf("%s: files %v, want %s among them", id, byID[id], f)
			}
		}
	}
	if files := byID["SOC 2 CC8.1"]; slices.Contains(files, "documents/2026-W45/run/report.dsse.json") || slices.Contains(files, "documents/approvals/w40-self.dsse.json") {
		t.Errorf("a tampered report evidences CC8.1: %v", files)
	}
}

// TestEvidenceDeterministic builds the bundle of one folder twice.
func TestEvidenceDeterministic(t *testing.T) {
	dir, pub, _, _ := evidenceFolder(t)
	priv, _ := keygen(t, signing.KeyEd25519)
	var outs [][]byte
	for i := range 2 {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("b%d.tar.gz", i))
		res := runCLI(t, context.Background(), nil, "evidence", "--since", "2026-09-07", "--until", "2026-12-07", "--key", pub, "--sign-key", priv, "--out", out, dir)
		if res.code != exitBlock {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		outs = append(outs, mustRead(t, out))
	}
	// The archives differ at most in the manifest's creation time; the
	// files before the manifest are the same bytes.
	a, b := archiveFiles(t, outs[0]), archiveFiles(t, outs[1])
	if len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, x := range a {
		if name != evidence.ManifestJSON && !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between two bundles of the same folder", name)
		}
	}
}

func archiveFiles(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	files, err := evidence.ReadArchive(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvidenceBadInput(t *testing.T) {
	dir, pub, _, _ := evidenceFolder(t)
	priv, _ := keygen(t, signing.KeyEd25519)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	base := func(over ...string) []string {
		args := map[string]string{"--since": "2026-09-07", "--until": "2026-12-07", "--key": pub, "--sign-key": priv, "--out": out}
		for i := 0; i+1 < len(over); i += 2 {
			args[over[i]] = over[i+1]
		}
		var a []string
		for _, k := range []string{"--since", "--until", "--key", "--sign-key", "--out"} {
			if args[k] != "\x00" {
				a = append(a, k, args[k])
			}
		}
		return append([]string{"evidence"}, a...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing DIR", append(base(), filepath.Join(dir, "nope")), "DIR " + filepath.Join(dir, "nope")},
		{"DIR is a file", append(base(), pub), "is not a directory"},
		{"no DIR", base(), "want one DIR"},
		{"since after until", append(base("--since", "2026-12-08"), dir), "--since 2026-12-08 is not before --until 2026-12-07"},
		{"since equals until", append(base("--since", "2026-12-07"), dir), "is not before --until"},
		{"bad date", append(base("--until", "December"), dir), `--until "December"`},
		{"no since", append(base("--since", "\x00"), dir), "--since DATE is required"},
		{"no sign key", append(base("--sign-key", "\x00"), dir), "--sign-key PRIV.pem is required"},
		{"report key is a private key", append(base("--key", priv), dir), "--key " + priv},
		{"sign key is a public key", append(base("--sign-key", pub), dir), "--sign-key " + pub},
		{"missing key", append(base("--key", filepath.Join(dir, "no.pem")), dir), "--key " + filepath.Join(dir, "no.pem")},
		{"approver key is garbage", append(base(), "--approver-key", filepath.Join(dir, "notes.txt"), dir), "--approver-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tc.args...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 naming %q", res.code, res.stderr, tc.want)
			}
			if strings.Contains(res.stderr, "-----BEGIN") {
				t.Errorf("stderr quotes a key: %s", res.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a bundle was written")
			}
		})
	}
}
